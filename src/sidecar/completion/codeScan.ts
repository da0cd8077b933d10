/**
 * A small scanner for code of any language: brackets outside strings and comments, and how a
 * suggestion changes their balance. Pure; used by post-processing.
 */
import type { CompletionSite } from "./postProcess";

const CLOSERS = ")]}";
const OPENERS = "([{";
export const OPENER_OF: Readonly<Record<string, string>> = { ")": "(", "]": "[", "}": "{" };

// ---------------------------------------------------------------------------------------------
// A small lexer: brackets outside strings and comments
// ---------------------------------------------------------------------------------------------

interface LexState {
    readonly mode: "code" | "line-comment" | "block-comment" | "string";
    /** The string's delimiter: ", ', `, """, ''' or ```. */
    readonly quote: string;
}

interface LexEvent {
    readonly kind: "open" | "close" | "stray-quote";
    readonly ch: string;
    readonly index: number;
}

const CODE: LexState = { mode: "code", quote: "" };

/** Scans `text[0, end)` from `state`; looks ahead past `end` (to the end of a line) to tell strings. */
export function lex(text: string, state: LexState, end = text.length): { events: LexEvent[]; state: LexState } {
    const events: LexEvent[] = [];
    let { mode, quote } = state;
    let i = 0;
    while (i < end) {
        const ch = text[i];
        if (mode === "line-comment") {
            if (ch === "\n") mode = "code";
            i++;
        } else if (mode === "block-comment") {
            if (text.startsWith("*/", i)) {
                mode = "code";
                i += 2;
            } else {
                i++;
            }
        } else if (mode === "string") {
            if (ch === "\\") {
                i += 2;
            } else if (text.startsWith(quote, i)) {
                mode = "code";
                i += quote.length;
            } else {
                // Quoted strings end with their line; backtick and triple-quoted strings span lines.
                if (ch === "\n" && quote.length === 1 && quote !== "`") mode = "code";
                i++;
            }
        } else if (ch === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
            mode = text[i + 1] === "/" ? "line-comment" : "block-comment";
            i += 2;
        } else if (ch === "#" && startsHashComment(text, i)) {
            mode = "line-comment";
            i++;
        } else if (ch === '"' || ch === "'" || ch === "`") {
            const triple = ch.repeat(3);
            if (text.startsWith(triple, i)) {
                mode = "string";
                quote = triple;
                i += 3;
                continue;
            }
            const lifetime = ch === "'" && isLifetime(text, i);
            if (ch === "`" || (!lifetime && closesOnLine(text, i + 1, ch))) {
                mode = "string";
                quote = ch;
            } else if (!lifetime) {
                events.push({ kind: "stray-quote", ch, index: i });
            }
            i++;
        } else {
            if (OPENERS.includes(ch)) events.push({ kind: "open", ch, index: i });
            else if (CLOSERS.includes(ch)) events.push({ kind: "close", ch, index: i });
            i++;
        }
    }
    return { events, state: { mode, quote } };
}

/** "# comment", "#", "##", "#!": yes; "#include", "#id", "#[derive]", "$#": no. */
function startsHashComment(text: string, at: number): boolean {
    if (at > 0 && text[at - 1] === "$") return false;
    const next = text[at + 1];
    return next === undefined || next === " " || next === "\t" || next === "\r" || next === "\n" || next === "#" || next === "!";
}

/** A Rust lifetime: "&'a", "<'a", not a char literal "'a'". */
function isLifetime(text: string, at: number): boolean {
    if (text[at] !== "'" || at === 0 || (text[at - 1] !== "&" && text[at - 1] !== "<")) return false;
    const match = /^'[A-Za-z_]\w*/.exec(text.slice(at, at + 64));
    return match !== null && text[at + match[0].length] !== "'";
}

function closesOnLine(text: string, from: number, quote: string): boolean {
    for (let j = from; j < text.length; j++) {
        const ch = text[j];
        if (ch === "\n") return false;
        if (ch === "\\") j++;
        else if (ch === quote) return true;
    }
    return false;
}

/** Pops the opener `closer` closes, looking deeper when the top does not match; false when none does. */
export function popMatching(stack: string[], closer: string): boolean {
    const opener = OPENER_OF[closer];
    const at = stack.lastIndexOf(opener);
    if (at < 0) return false;
    stack.length = at;
    return true;
}

// ---------------------------------------------------------------------------------------------
// Brackets
// ---------------------------------------------------------------------------------------------

export interface BracketContext {
    /** Brackets open at the cursor, outermost first. */
    readonly open: readonly string[];
    /** How many of `open` (from the outermost) the suggestion must leave to the code after the cursor. */
    readonly reserved: number;
    /** The lexer's state at the cursor (inside a string, a comment, or code). */
    readonly cursor: LexState;
    /** How many brackets are open at the start of the cursor's line. */
    readonly atLineStart: number;
}

/**
 * `lineSuffixOwes`: whether the closers on the cursor's line after it count as the code's own. When
 * they are only what the editor auto-closed, a suggestion may write them itself (and replace them):
 * then only the lines below reserve closers.
 */
export function bracketContext(site: CompletionSite, lineSuffixOwes = true): BracketContext {
    const before = site.textBefore === "" || site.textBefore.endsWith("\n") ? site.textBefore : site.textBefore + "\n";
    const cursorAt = before.length + site.linePrefix.length;
    const scanned = lex(before + site.linePrefix + site.lineSuffix, CODE, cursorAt);
    const open: string[] = [];
    let atLineStart: number | undefined;
    for (const event of scanned.events) {
        if (atLineStart === undefined && event.index >= before.length) atLineStart = open.length;
        if (event.kind === "open") open.push(event.ch);
        else if (event.kind === "close") popMatching(open, event.ch); // a stray closer (text cut short) is ignored
    }

    // The closers the code after the cursor has for brackets opened before it, innermost first.
    const after = [site.lineSuffix, ...site.nextLines].join("\n");
    const local: string[] = [];
    const owed: string[] = [];
    for (const event of lex(after, scanned.state).events) {
        if (!lineSuffixOwes && event.index < site.lineSuffix.length) continue;
        if (event.kind === "open") local.push(event.ch);
        else if (event.kind === "close" && !popMatching(local, event.ch)) owed.push(event.ch);
    }
    const lines = owed.length <= open.length && owed.every((closer, k) => open[open.length - 1 - k] === OPENER_OF[closer]);
    return { open, reserved: lines ? owed.length : 0, cursor: scanned.state, atLineStart: atLineStart ?? open.length };
}

/** Cuts before the first closer with nothing (of its kind, not reserved) to close. */
export function cutAtUnmatchedCloser(text: string, site: CompletionSite, context: BracketContext): string {
    const stack = [...context.open];
    const full = text + site.lineSuffix;
    // After `} else`, the `{` that reopens the block the `}` closed: the balance stays as it was.
    let reopening = false;
    for (const event of lex(full, context.cursor, text.length).events) {
        if (event.kind === "open") {
            if (reopening && event.ch === "{") reopening = false;
            else stack.push(event.ch);
        } else if (event.kind === "close") {
            const top = stack.length - 1;
            if (stack[top] !== OPENER_OF[event.ch]) return text.slice(0, event.index);
            if (top < context.reserved) {
                if (event.ch !== "}" || !reopens(full, event.index)) return text.slice(0, event.index);
                reopening = true;
            } else {
                stack.pop();
            }
        }
    }
    return text;
}

/** `} else {`, `} catch (e) {`: a closer whose line opens the block's next part, leaving the balance as it was. */
function reopens(text: string, closerAt: number): boolean {
    const end = text.indexOf("\n", closerAt);
    return /^\s*(?:else|catch|finally)\b.*\{\s*$/.test(text.slice(closerAt + 1, end < 0 ? text.length : end));
}

/** How broken the cursor line is with `text` inserted: closers with nothing to close, and quotes that do not close. */
export function defects(text: string, site: CompletionSite, context: BracketContext): number {
    const stack = [...context.open];
    const scanned = lex(text + site.lineSuffix, context.cursor);
    // A line that ends inside a string (a backtick opened by the one the editor auto-closed) is broken too.
    let count = scanned.state.mode === "string" ? 1 : 0;
    for (const event of scanned.events) {
        if (event.kind === "open") {
            stack.push(event.ch);
        } else if (event.kind === "stray-quote") {
            count++;
        } else if (event.kind === "close") {
            if (stack[stack.length - 1] === OPENER_OF[event.ch]) {
                stack.pop();
            } else {
                count++;
                popMatching(stack, event.ch);
            }
        }
    }
    return count;
}
