import type { PromptLayout } from "../../protocol/completionProtocol";

/**
 * Which part of a document goes into a completion prompt, chosen so that the part that
 * changes while the user types sits at the end of the prompt, and the window's edges
 * stay put between keystrokes. Pure: no tokens, no model.
 */
export interface WindowOptions {
    /** Lines of prefix kept before the anchor (PSM) or the cursor (SPM), at most. */
    readonly prefixLines: number;
    /** Lines after the cursor's line carried in the suffix. */
    readonly suffixLines: number;
    /** The window's start moves in steps of this many lines, so typing does not move it. */
    readonly step: number;
    /** PSM: when the middle (anchor to cursor) grows past this many lines, the anchor moves. */
    readonly maxMiddleLines: number;
    /**
     * Characters bound the window as lines do, for lines of any length (minified code): the prefix
     * holds at most `maxPrefixChars`, the suffix `maxSuffixChars`, the middle `charStep`. Edges
     * set by characters move in steps of `charStep`, so typing does not move them either.
     */
    readonly maxPrefixChars: number;
    readonly maxSuffixChars: number;
    readonly charStep: number;
}

export const defaultWindowOptions: WindowOptions = {
    prefixLines: 256,
    suffixLines: 48,
    step: 32,
    maxMiddleLines: 4,
    maxPrefixChars: 24_576,
    maxSuffixChars: 8_192,
    charStep: 2_048,
};

/** The text pieces of a prompt. PSM: `[PRE] prefix [SUF] suffix [MID] middle`; SPM: `[SUF] suffix [PRE] prefix [MID]`. */
export interface PromptPieces {
    readonly layout: PromptLayout;
    readonly prefix: string;
    readonly suffix: string;
    /** PSM only: the text typed since the anchor; "" for SPM. */
    readonly middle: string;
    /** Offset where the window starts. */
    readonly windowStart: number;
    /** PSM: the anchor's offset (start of the line where the current run of typing began); SPM: the cursor. */
    readonly anchor: number;
    readonly anchorMoved: boolean;
}

/** What the previous request of a document left, to keep the anchor while the user types on. */
export interface AnchorState {
    readonly layout: PromptLayout;
    readonly anchor: number;
    readonly windowStart: number;
    readonly prefix: string;
    readonly suffix: string;
}

export function lineStartOf(text: string, offset: number): number {
    return text.lastIndexOf("\n", offset - 1) + 1;
}

function lineIndexOf(text: string, offset: number): number {
    let count = 0;
    for (let at = text.indexOf("\n"); at !== -1 && at < offset; at = text.indexOf("\n", at + 1)) count++;
    return count;
}

/** Offset of the start of line `line` (clamped to the text). */
function offsetOfLine(text: string, line: number): number {
    let offset = 0;
    for (let i = 0; i < line; i++) {
        const next = text.indexOf("\n", offset);
        if (next === -1) return text.length;
        offset = next + 1;
    }
    return offset;
}

/** End of the suffix: the rest of the cursor's line and the next `lines` lines, without their final newline. */
export function suffixEndOf(text: string, cursor: number, lines: number): number {
    let end = cursor;
    for (let i = 0; i <= lines; i++) {
        const next = text.indexOf("\n", end);
        if (next === -1) return text.length;
        end = i === lines ? next : next + 1;
    }
    return end;
}

/** The window start for a prompt anchored at `anchorLine`: `prefixLines` back, rounded down to a step. */
export function windowStartLine(anchorLine: number, options: WindowOptions): number {
    const first = Math.max(0, anchorLine - options.prefixLines);
    return Math.ceil(first / options.step) * options.step;
}

export function choosePieces(
    text: string,
    cursor: number,
    layout: PromptLayout,
    previous: AnchorState | undefined,
    options: WindowOptions = defaultWindowOptions,
): PromptPieces {
    const suffix = text.slice(cursor, Math.min(suffixEndOf(text, cursor, options.suffixLines), cursor + options.maxSuffixChars));
    if (layout === "spm") {
        const windowStart = boundedStart(text, cursor, offsetOfLine(text, windowStartLine(lineIndexOf(text, cursor), options)), options);
        return { layout, prefix: text.slice(windowStart, cursor), suffix, middle: "", windowStart, anchor: cursor, anchorMoved: false };
    }
    if (previous !== undefined && previous.anchor <= cursor && previous.windowStart <= previous.anchor) {
        const prefix = text.slice(previous.windowStart, previous.anchor);
        const middle = text.slice(previous.anchor, cursor);
        if (prefix === previous.prefix && suffix === previous.suffix && middle.length <= options.charStep && countNewlines(middle) <= options.maxMiddleLines) {
            return { layout, prefix, suffix, middle, windowStart: previous.windowStart, anchor: previous.anchor, anchorMoved: false };
        }
    }
    const lineStart = lineStartOf(text, cursor);
    // On a very long line the anchor is a stepped point near the cursor, not the line's start.
    const anchor = cursor - lineStart > options.charStep ? notInsidePair(text, Math.max(lineStart, cursor - (cursor % options.charStep))) : lineStart;
    const windowStart = boundedStart(text, anchor, offsetOfLine(text, windowStartLine(lineIndexOf(text, lineStart), options)), options);
    return { layout, prefix: text.slice(windowStart, anchor), suffix, middle: text.slice(anchor, cursor), windowStart, anchor, anchorMoved: true };
}

/** The window's start: `lineStart`, or later where the prefix would exceed its characters (a stepped point). */
function boundedStart(text: string, end: number, lineStart: number, options: WindowOptions): number {
    if (end - lineStart <= options.maxPrefixChars) return lineStart;
    return Math.min(end, notInsidePair(text, Math.ceil((end - options.maxPrefixChars) / options.charStep) * options.charStep));
}

/** `offset`, or one back when it would split a UTF-16 surrogate pair. */
function notInsidePair(text: string, offset: number): number {
    const code = text.charCodeAt(offset);
    return offset > 0 && code >= 0xdc00 && code <= 0xdfff ? offset - 1 : offset;
}

export function anchorStateOf(pieces: PromptPieces): AnchorState {
    return { layout: pieces.layout, anchor: pieces.anchor, windowStart: pieces.windowStart, prefix: pieces.prefix, suffix: pieces.suffix };
}

function countNewlines(text: string): number {
    let count = 0;
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
    return count;
}
