/**
 * Post-processing of fill-in-the-middle completions: where to stop generating, and what to show.
 *
 * Pure: no model, no editor, no Node built-ins. The sidecar calls `findStop` while tokens stream in
 * and `finalizeSuggestion` on the text generated once it stopped.
 *
 * The rules answer the peers' users' complaints (see shared/notes/peers.md): special tokens leaking
 * into the text, the code after the cursor repeated inside the suggestion, and closing brackets the
 * code already has.
 *
 * Stops never depend on text not yet generated: a stop `findStop` reports for a prefix of the text is
 * the stop `finalizeSuggestion` finds for the whole text, so streaming and the final pass agree.
 */

import type { CompletionFeatures } from "../../protocol/completionProtocol";
import { bracketContext, CLOSERS, cutAtUnmatchedCloser, defects, type BracketContext } from "./codeScan";

export type CompletionMode = "line" | "block";

/** What to show: text inserted at the cursor, replacing the next `replaceEnd` characters of its line. */
export interface Suggestion {
    readonly insertText: string;
    /**
     * Characters after the cursor, on its line, that the suggestion replaces: the closers and quotes
     * the editor auto-inserted when the suggestion supplies them itself (`", obj);` over `")`).
     */
    readonly replaceEnd: number;
}

export const noSuggestion: Suggestion = { insertText: "", replaceEnd: 0 };

/** What the model is completing, seen from the cursor. */
export interface CompletionSite {
    /** Text of the cursor's line before the cursor. */
    readonly linePrefix: string;
    /** Text of the cursor's line after the cursor. */
    readonly lineSuffix: string;
    /** The lines after the cursor's line (as many as the caller has; may be empty), without line terminators. */
    readonly nextLines: readonly string[];
    /** The text before the cursor's line, or the last part of it (used for bracket balance; may be truncated at the start). */
    readonly textBefore: string;
    readonly mode: CompletionMode;
    /** Stop after this many lines in block mode (line mode is always 1). */
    readonly maxLines: number;
    /** The indentation unit width for tabs (default 4). */
    readonly tabSize?: number;
    /** Whether the editor indents with spaces (default: as the file does). */
    readonly insertSpaces?: boolean;
    /** The document's language (a VS Code language id), when known. */
    readonly languageId?: string;
    /** Parts of post-processing to turn off (benchmarks only; default all on). */
    readonly features?: Partial<CompletionFeatures>;
    /** Literal strings of the model's special tokens (e.g. "<|fim_prefix|>", "<|endoftext|>", "<|file_sep|>") that must never appear in a suggestion. */
    readonly specialTokenTexts: readonly string[];
}

const DEFAULT_TAB_SIZE = 4;

/** The indentation width of a line (tabs count as tabSize). */
export function indentationOf(line: string, tabSize = DEFAULT_TAB_SIZE): number {
    const tab = tabSize > 0 ? tabSize : DEFAULT_TAB_SIZE;
    let width = 0;
    for (const ch of line) {
        if (ch === " ") width += 1;
        else if (ch === "\t") width += tab;
        else break;
    }
    return width;
}

/**
 * Called while tokens stream in, with everything generated so far (raw). Returns the index in `generated`
 * at which generation should stop (the text from there on is dropped), or undefined to go on.
 * Stops: a special token text appears; line mode: a newline appears (stop at it); block mode: a line
 * (after the first generated line) that is non-empty and indented LESS than the cursor line's indentation
 * (the block ended: stop at the start of that line, i.e. keep text up to and including the preceding newline
 * — the trailing newline will be trimmed by finalize); a generated line identical (trimmed, non-empty) to the
 * first non-empty line of `nextLines` (the model started repeating the code below: stop at the start of that line);
 * more than maxLines lines.
 *
 * Details:
 * - the cursor line's indentation is that of `linePrefix` followed by the first generated line, so a
 *   suggestion typed at column 0 that starts with "    " has indentation 4;
 * - a line is compared with the code below only once it is complete (its newline arrived), since
 *   "return" may still become "return x;";
 * - a line of punctuation only ("}", "});", "]") repeats the line below only at the same indentation:
 *   a "}" indented deeper closes a block of the suggestion's own, not the block below;
 * - when the code before the cursor ends with "{", "(", "[" or ":" (it opens a block), the suggestion starts
 *   on a new line, and the lines after that are indented deeper (the block's body), the block ends at the
 *   next line back at the cursor line's indentation:
 *   a closing line ("}", ")", "});") there is kept and generation stops after it, unless it opens
 *   the block again ("} else {", ") {"); "else", "elif", "except", "finally", "catch" continue it;
 *   any other line there is not kept (the model started on the code after the block);
 * - the line budget counts every line, blank ones too: generation stops at the maxLines-th line break;
 * - "\r\n" counts as one line break (a stop at a line break is at its "\r").
 */
export function findStop(generated: string, site: CompletionSite): number | undefined {
    return findStopIn(generated, site, false);
}

/**
 * Turns raw generated text into the suggestion to show, or "" when there is nothing worth showing.
 * - cut at findStop (so it is safe to call with the full raw text);
 * - never contains special token texts;
 * - drops trailing whitespace/newlines; never empty or whitespace-only (return "");
 * - line mode: single line; if the suggestion ends with text that the rest of the line (`lineSuffix`)
 *   already has (e.g. lineSuffix ")" and suggestion "a, b)"), drop that overlap ("a, b"), and if the whole
 *   suggestion is just a prefix/copy of lineSuffix, return "";
 * - block mode: drop trailing lines that duplicate the following lines of the document (nextLines, compare trimmed);
 *   if the first line duplicates the cursor line's suffix or the next line, return "";
 * - brackets: the suggestion must not close brackets the code before it did not open (count (), [], {} in
 *   textBefore + linePrefix, ignoring those inside string literals '...', "...", `...` and // or # line comments
 *   as best a small scanner can); cut the suggestion before the first unmatched closer — EXCEPT in line mode, where a
 *   closer that the lineSuffix would otherwise supply is handled by the overlap rule above. Also in block mode,
 *   when the suggestion leaves brackets open that the nextLines close, that is fine (do not add closers).
 * - keeps leading whitespace of the first line as is (the model may continue an indentation).
 *
 * Details:
 * - the whole text is final here, so its last line counts as complete and is compared with the line below.
 *   That is how trailing lines repeating nextLines go: such a run starts with a line equal to the first
 *   non-empty line below, where findStop's rule cuts (a run of "}" lines only at the same indentation);
 * - a trailing fragment (2 characters or more) of a special token ("<|endo" when generation ran out of
 *   tokens) is dropped too;
 * - "\r\n" in the model's text becomes "\n";
 * - brackets the code after the cursor (lineSuffix, then nextLines) closes are not the suggestion's to close:
 *   when that code closes the innermost M of the N brackets open at the cursor (its closers match them, in
 *   order), the suggestion may close at most N - M of them. When the code after closes more than is open, or
 *   other kinds, the text before was probably cut short, and the suggestion may close all N;
 * - the scanner also skips block comments and triple-quoted strings, takes "#" as a comment only when
 *   followed by a space, "#", "!" or the end of the line (not "#include", "#id", "#[derive]"), and takes a
 *   quote as a string only when the same line closes it (not an apostrophe in prose) and, for "'", when it
 *   is not a Rust lifetime ("&'a", "<'a");
 * - a one-line suggestion gets the lineSuffix rules in block mode too, as it lands on the cursor line;
 * - an overlap with lineSuffix is dropped only when that makes the line better balanced (it fixes a doubled
 *   closer or quote), or when it holds no brackets or quotes and does not split a word: "f(a)" before ")"
 *   is the suggestion's own call, and stays.
 */
export function finalizeSuggestion(generated: string, site: CompletionSite): Suggestion {
    const stop = findStopIn(generated, site, true);
    let text = stop === undefined ? generated : generated.slice(0, stop);
    text = dropPartialSpecialToken(text, site.specialTokenTexts).replace(/\r\n/g, "\n").trimEnd();
    if (text.trim() === "") return noSuggestion;

    const brackets = bracketContext(site);
    text = cutAtUnmatchedCloser(text, site, brackets).trimEnd();
    if (text.trim() === "") return noSuggestion;

    const newline = text.indexOf("\n");
    if (newline < 0) return applyLineSuffixRules(text, site, brackets);
    const suffix = site.lineSuffix.trim();
    if (suffix !== "" && text.slice(0, newline).trim() === suffix) return noSuggestion;
    return { insertText: text, replaceEnd: 0 };
}

/** The document's text after accepting `suggestion` at the cursor of `before` + `after`. */
export function applySuggestion(before: string, after: string, suggestion: Suggestion): string {
    return before + suggestion.insertText + after.slice(suggestion.replaceEnd);
}

// ---------------------------------------------------------------------------------------------
// Stops
// ---------------------------------------------------------------------------------------------

interface GeneratedLine {
    /** Index of the line's first character. */
    readonly start: number;
    /** The line without its terminator. */
    readonly text: string;
    /** Index of the line break ("\r" of "\r\n", else "\n"), or -1 when the line is not terminated yet. */
    readonly breakAt: number;
}

function splitLines(text: string): GeneratedLine[] {
    const lines: GeneratedLine[] = [];
    let start = 0;
    for (;;) {
        const newline = text.indexOf("\n", start);
        if (newline < 0) {
            lines.push({ start, text: text.slice(start), breakAt: -1 });
            return lines;
        }
        const breakAt = newline > start && text[newline - 1] === "\r" ? newline - 1 : newline;
        lines.push({ start, text: text.slice(start, breakAt), breakAt });
        start = newline + 1;
    }
}

function firstSpecialToken(text: string, tokens: readonly string[]): number | undefined {
    let first: number | undefined;
    for (const token of tokens) {
        if (token === "") continue;
        const at = text.indexOf(token);
        if (at >= 0 && (first === undefined || at < first)) first = at;
    }
    return first;
}

/** `final`: the text is all there will be, so its last line is complete. */
function findStopIn(generated: string, site: CompletionSite, final: boolean): number | undefined {
    const tokenAt = firstSpecialToken(generated, site.specialTokenTexts);
    if (tokenAt === undefined) return findLineStop(generated, site, final);
    // Nothing after the special token counts, so the text before it is final.
    return findLineStop(generated.slice(0, tokenAt), site, true) ?? tokenAt;
}

const OPENS_BLOCK = /[([{:]$/;
const CONTINUES_BLOCK = /^(?:else|elif|except|finally|catch)\b/;

function findLineStop(text: string, site: CompletionSite, final: boolean): number | undefined {
    const lines = splitLines(text);
    const tabSize = site.tabSize ?? DEFAULT_TAB_SIZE;
    const budget = site.mode === "line" ? 1 : site.maxLines >= 1 ? Math.floor(site.maxLines) : 1;
    const below = site.nextLines.find((line) => line.trim() !== "");
    const cursorLine = site.linePrefix + lines[0].text;
    const base = indentationOf(cursorLine, tabSize);
    // Only a block the code before the cursor opened: a block the suggestion opens on its first line
    // may well be followed by more of the suggestion.
    const opensBlock = lines[0].text.trim() === "" && OPENS_BLOCK.test(site.linePrefix.trimEnd());
    // Whether the lines after the cursor line are its block's body: decided by the first of them.
    let scope: "unknown" | "body" | "flat" = "unknown";

    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const complete = line.breakAt >= 0 || final;
        const trimmed = line.text.trim();
        let stopAfter = false;
        if (trimmed !== "") {
            if (complete && below !== undefined && repeats(i === 0 ? cursorLine : line.text, below, tabSize)) {
                return line.start;
            }
            if (i > 0 && site.mode === "block") {
                const indent = indentationOf(line.text, tabSize);
                if (indent < base) return line.start;
                if (scope === "unknown") {
                    scope = opensBlock && indent > base ? "body" : "flat";
                } else if (scope === "body" && indent === base) {
                    const verdict = endOfBody(trimmed, complete);
                    if (verdict === "wait") return undefined;
                    if (verdict === "before") return line.start;
                    stopAfter = verdict === "after";
                }
            }
        }
        if (line.breakAt >= 0 && (stopAfter || i + 1 >= budget)) return line.breakAt;
    }
    return undefined;
}

/** Whether a generated line repeats the document's line below the cursor. */
function repeats(generated: string, below: string, tabSize: number): boolean {
    const text = generated.trim();
    if (text === "" || text !== below.trim()) return false;
    // "}" indented differently closes a different block.
    if (/[\p{L}\p{N}]/u.test(text)) return true;
    return indentationOf(generated, tabSize) === indentationOf(below, tabSize);
}

/** A line back at the indentation of a cursor line that opened a block, after the block's body. */
function endOfBody(trimmed: string, complete: boolean): "continue" | "before" | "after" | "wait" {
    if (CLOSERS.includes(trimmed[0])) {
        if (!complete) return "wait";
        return OPENS_BLOCK.test(trimmed) ? "continue" : "after";
    }
    if (CONTINUES_BLOCK.test(trimmed)) return "continue";
    if (!complete && /^\w+$/.test(trimmed)) return "wait"; // "els" may become "else"
    return "before";
}

function dropPartialSpecialToken(text: string, tokens: readonly string[]): string {
    let longest = 0;
    for (const token of tokens) {
        for (let k = Math.min(token.length - 1, text.length); k >= 2 && k > longest; k--) {
            if (text.endsWith(token.slice(0, k))) {
                longest = k;
                break;
            }
        }
    }
    return longest > 0 ? text.slice(0, text.length - longest) : text;
}

// ---------------------------------------------------------------------------------------------
// The rest of the cursor line
// ---------------------------------------------------------------------------------------------

const WORD = /[\p{L}\p{N}_$]/u;

function applyLineSuffixRules(text: string, site: CompletionSite, context: BracketContext): Suggestion {
    const suffix = site.lineSuffix;
    if (suffix.trim() === "") return { insertText: text, replaceEnd: 0 };
    // Just (the start of) what the line already has.
    if (suffix.trim().startsWith(text.trim())) return noSuggestion;
    const replaceEnd = suffixOverlap(text, site, context);
    return text.trim() === "" ? noSuggestion : { insertText: text, replaceEnd };
}

/**
 * How much of the start of lineSuffix the suggestion already supplies: the longest end of `text`
 * that repeats it, where replacing it improves the line. The suggestion then replaces it rather
 * than writing it twice.
 */
function suffixOverlap(text: string, site: CompletionSite, context: BracketContext): number {
    const suffix = site.lineSuffix;
    const asIs = defects(text, site, context);
    for (let k = Math.min(text.length, suffix.length); k >= 1; k--) {
        const overlap = suffix.slice(0, k);
        if (overlap.trim() === "" || !text.endsWith(overlap)) continue;
        const rest = text.slice(0, text.length - k);
        // "valu" + "e = 1": the overlap would split a word.
        if (WORD.test(overlap[0]) && rest !== "" && WORD.test(rest[rest.length - 1])) continue;
        if (WORD.test(overlap[k - 1]) && k < suffix.length && WORD.test(suffix[k])) continue;
        const without = defects(rest, site, context);
        if (without < asIs || (without === asIs && !/[()[\]{}"'`]/.test(overlap))) return k;
    }
    return 0;
}
