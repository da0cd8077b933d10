/**
 * Post-processing of fill-in-the-middle completions: where to stop generating, and what to show.
 *
 * Pure: no model, no editor, no Node built-ins. The sidecar calls `findStop` while tokens stream in
 * and `finalizeSuggestion` on the text generated once it stopped; `npm run quality` streams
 * recorded text through the same two.
 *
 * The rules answer what users of completion tools complain about, and what a small code model
 * really writes: special tokens leaking into the text, the code after the cursor repeated, closing
 * brackets and quotes the code already has, runs past the end of the block, repeated and
 * degenerate lines, Markdown fences, the line before the cursor written again, indentation that
 * breaks the file. Each rule after the original ones can be turned off (CompletionFeatures) so a
 * benchmark can measure it.
 *
 * Stops never depend on text not yet generated: a stop `findStop` reports for a prefix of the text is
 * the stop `finalizeSuggestion` finds for the whole text, so streaming and the final pass agree.
 */
import type { CompletionFeatures } from "../../protocol/completionProtocol";
import { cutAtUnmatchedCloser, lex, OPENER_OF, popMatching } from "./codeScan";
import { alignStrayIndent, makefileRecipeLine, reindentLine, rescaleIndent } from "./indentStyle";
import { copiesLineBelow, differInOneWord, hasWords, normalizedLine, repeatsWithinLine } from "./repetition";
import { factsOf, indentationOf, OPENS_BLOCK, withoutComment, type SiteFacts } from "./siteFacts";
import { suffixReplacement } from "./suffixRules";

export { indentationOf } from "./siteFacts";

type CompletionMode = "line" | "block";

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
    /** Most lines in a block (a single line is 1, unless the suggestion turns out to start a block). */
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

/** Where generation stops, and whether a budget (not the code) ended it there. */
interface Stop {
    readonly at: number;
    readonly budget: boolean;
}

/**
 * Called while tokens stream in, with everything generated so far (raw). Returns the index in
 * `generated` at which generation should stop (the text from there on is dropped), or undefined to go on.
 *
 * - A special token's text ends the suggestion.
 * - A single line ends at its line break, unless the suggestion turns out to start a block (see below).
 * - A block ends at a line indented less than the block: the cursor line's indentation, or (cursor at
 *   the start of an empty line) that of the block the cursor is in, from the line above. A line of
 *   closers there that closes a bracket the code after the cursor leaves open is kept, and ends it.
 * - When the code before the cursor opens a block ("{", "(", "[", ":"), the lines after the first are its
 *   body; the block ends back at the cursor line's indentation: a closing line ("}", "});") is kept and
 *   ends it unless it opens it again ("} else {"); "else", "elif", "except", "finally", "catch" go on;
 *   any other line is not kept.
 * - Repetition: a line that repeats the line below (exactly, or with other spacing or trailing
 *   punctuation: among the next three non-empty lines), the line just generated again, a line that
 *   repeats a piece of itself four times or more, and (first line at the start of a line) the line above
 *   the cursor again end the suggestion before them. A Markdown fence ends it; a fence first is skipped.
 * - The line budget counts every line, blank ones too. "\r\n" counts as one line break.
 * - A single line becomes a block when it cannot be one: it starts with a line break between an opener
 *   and the closers the editor added (`{‸}`), after a finished line, or its first line supplies those
 *   closers and opens a block (`getDetails(‸)` → `) {`).
 */
export function findStop(generated: string, site: CompletionSite): number | undefined {
    return stopOf(generated, site, false)?.at;
}

/** findStop, and whether the line budget is what stops it there. */
export function findStopAndCause(generated: string, site: CompletionSite): Stop | undefined {
    return stopOf(generated, site, false);
}

/**
 * Turns raw generated text into the suggestion to show (`noSuggestion` when nothing is worth
 * showing): cut where findStop stops, special tokens and fences out, indentation in the file's style,
 * spacing at the edges as the line needs it, cut where brackets balance when a budget ended it, and the
 * closers after the cursor that it supplies itself replaced rather than written twice.
 * `cutByBudget`: generation ended on the token budget or the clock, not on a stop.
 */
export function finalizeSuggestion(generated: string, site: CompletionSite, cutByBudget = false): Suggestion {
    const facts = factsOf(site);
    const { features } = facts;
    const stop = stopOf(generated, site, true);
    let text = stop === undefined ? generated : generated.slice(0, stop.at);
    text = dropPartialSpecialToken(text, site.specialTokenTexts).replace(/\r\n/g, "\n");
    const start = leadingFenceEnd(text, facts);
    if (start > 0) text = text.slice(start);
    const shape = shapeOf(text, site, facts, true);

    text = trimEnd(text, site, features);
    if (features.prefixEcho) text = dropTypedEcho(text, site);
    if (features.edgeWhitespace && /[ \t]$/.test(site.linePrefix) && !facts.blankPrefix) text = text.replace(/^[ \t]+/, "");
    if (shape.firstTrim > 0) text = text.slice(shape.firstTrim);
    if (features.fences) text = dropEmptyComments(text, site);
    if (text.trim() === "") return noSuggestion;

    text = cutAtUnmatchedCloser(text, site, facts.bracketsForSuggestion);
    text = trimEnd(text, site, features);
    if (text.trim() === "") return noSuggestion;
    if (features.balancedCut && (cutByBudget || stop?.budget === true)) text = cutWhereBalanced(text, facts);

    text = indentLines(text, site, facts);
    const newline = text.indexOf("\n");
    const suffix = site.lineSuffix.trim();
    if (newline >= 0 && suffix !== "" && text.slice(0, newline).trim() === suffix) return noSuggestion;
    if (newline < 0 && suffix !== "" && suffix.startsWith(text.trim())) return noSuggestion;
    // The rest of the line again, give or take spacing and a `;` (`‸return a + b` + `return a + b;`).
    if (features.repetition && suffix !== "" && hasWords(suffix) && normalizedLine(newline < 0 ? text : text.slice(0, newline)) === normalizedLine(suffix))
        return noSuggestion;
    if (features.edgeWhitespace && text.includes("\n")) text = text.replace(/[ \t]+$/gm, "");
    if (shape.closersAfterBlock) return closeBlockBeforeSuffix(text, site, facts);
    return suffixReplacement(text, site, facts);
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
function stopOf(generated: string, site: CompletionSite, final: boolean): Stop | undefined {
    const tokenAt = firstSpecialToken(generated, site.specialTokenTexts);
    if (tokenAt === undefined) return findLineStop(generated, site, final);
    // Nothing after the special token counts, so the text before it is final.
    return findLineStop(generated.slice(0, tokenAt), site, true) ?? { at: tokenAt, budget: false };
}

const CONTINUES_BLOCK = /^(?:else|elif|except|finally|catch)\b/;
const FENCE = /^\s*(?:```|~~~)/;

/** How a suggestion relates to the cursor's line: in which mode it runs, where its block starts. */
interface Shape {
    readonly mode: CompletionMode;
    /** The block is the body of an opener before the cursor (or on the suggestion's first line). */
    readonly opensBlock: boolean;
    /** Between an opener and the closers after the cursor (`{‸}`): the closers go after the body. */
    readonly closersAfterBlock: boolean;
    /** Leading whitespace of the first line that the editor's indentation already provides. */
    readonly firstTrim: number;
    /** The indentation below which the block has ended. */
    readonly base: number;
    /** The cursor is inside a string that spans lines (triple quotes, a backtick): the suggestion ends where it closes. */
    readonly stringQuote: string | undefined;
}

function shapeOf(text: string, site: CompletionSite, facts: SiteFacts, final: boolean): Shape {
    const { features } = facts;
    const lines = splitLines(text);
    const first = lines[0];
    const startsOnNewLine = first.text.trim() === "" && (lines.length > 1 || final);
    let mode = site.mode;
    let opensBlock = startsOnNewLine && opensBlockLine(site.linePrefix);
    let closersAfterBlock = false;
    const cursor = facts.brackets.cursor;
    const stringQuote = features.modeUpgrade && cursor.mode === "string" && (cursor.quote.length === 3 || cursor.quote === "`") ? cursor.quote : undefined;
    if (stringQuote !== undefined) {
        mode = "block";
    } else if (mode === "line" && features.modeUpgrade && lines.length > 1) {
        if (startsOnNewLine && facts.closersAfter && /[([{]\s*$/.test(site.linePrefix)) {
            mode = "block";
            opensBlock = true;
            closersAfterBlock = true;
        } else if (startsOnNewLine && site.lineSuffix.trim() === "" && facts.finishedLine) {
            mode = "block";
        } else if (
            first.breakAt >= 0 &&
            facts.closersAfter &&
            /[)\]}]/.test(first.text) &&
            (OPENS_BLOCK.test(first.text.trimEnd()) || lines[1]?.text.trim() === "{")
        ) {
            // The first line supplies the closers and opens a block (`) {`, or `): string` with `{` below it).
            mode = "block";
            opensBlock = true;
        } else if (
            first.breakAt >= 0 &&
            site.lineSuffix.trim() === "" &&
            (opensBlockLine(site.linePrefix + first.text) || (/\)\s*$/.test(first.text) && lines[1]?.text.trim() === "{"))
        ) {
            // A partly typed header that the first line finishes (`for‸` → ` (…) {`, `get‸` → ` count(): number {`): its body follows.
            mode = "block";
            opensBlock = true;
        }
    }
    // The editor already indented the cursor's line: the model's own indentation on top is too much.
    const firstTrim =
        features.indentStyle && facts.blankPrefix && site.linePrefix !== "" && indentationOf(site.linePrefix, facts.tabSize) >= facts.enclosingIndent
            ? (/^[ \t]*/.exec(first.text)?.[0].length ?? 0)
            : 0;
    let base = indentationOf(site.linePrefix + first.text.slice(firstTrim), facts.tabSize);
    // At column 0 the cursor line says nothing of the block it is in: the line above does.
    if (features.enclosingIndent && site.linePrefix === "" && mode === "block" && !opensBlock) base = Math.max(base, facts.enclosingIndent);
    return { mode, opensBlock, closersAfterBlock, firstTrim, base, stringQuote };
}

/** A line after which a block's body follows: it ends with an opener or `:`, or opens a block closed by `end`. */
function opensBlockLine(line: string): boolean {
    const code = withoutComment(line).trimEnd();
    return OPENS_BLOCK.test(code) || OPENS_END_BLOCK.test(code.trim());
}

/** Where a leading Markdown fence line ends (0 when there is none). */
function leadingFenceEnd(text: string, facts: SiteFacts): number {
    if (!facts.features.fences || !facts.blankPrefix) return 0;
    const newline = text.indexOf("\n");
    if (FENCE.test(text)) return newline < 0 ? text.length : newline + 1;
    // A chat model's preamble (`Here is the completed function:`) and the blank lines after it.
    if (newline < 0 || !PROSE.test(text.slice(0, newline))) return 0;
    const code = /\S/.exec(text.slice(newline));
    return code === null ? text.length : text.lastIndexOf("\n", newline + code.index) + 1;
}

function findLineStop(generated: string, site: CompletionSite, final: boolean): Stop | undefined {
    const facts = factsOf(site);
    const { features, tabSize } = facts;
    const skipped = leadingFenceEnd(generated, facts);
    if (skipped > 0 && skipped === generated.length && !final) return undefined; // the fence line is still coming
    const text = generated.slice(skipped);
    const lines = splitLines(text);
    const shape = shapeOf(text, site, facts, final);
    const budget = shape.mode === "line" ? 1 : site.maxLines >= 1 ? Math.floor(site.maxLines) : 1;
    const cursorLine = site.linePrefix + lines[0].text.slice(shape.firstTrim);
    // Whether the lines after the cursor line are its block's body: decided by the first of them.
    let scope: "unknown" | "body" | "flat" = "unknown";
    let previous: string | undefined;
    /** The suggestion's complete non-empty lines so far, and the first line of each unit it started at the block's level. */
    const seen: GeneratedLine[] = [];
    const unitStarts: string[] = [];
    let afterBlank = false;
    const at = (offset: number, budgetStop = false): Stop => ({ at: skipped + offset, budget: budgetStop });
    if (shape.stringQuote !== undefined) return stringStop(lines, shape.stringQuote, budget, at);

    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const complete = line.breakAt >= 0 || final;
        const trimmed = line.text.trim();
        let stopAfter = false;
        if (trimmed !== "") {
            if (features.fences && i > 0 && FENCE.test(line.text)) return at(line.start);
            if (complete && facts.below !== undefined && repeats(i === 0 ? cursorLine : line.text, facts.below, tabSize)) return at(line.start);
            if (features.repetition) {
                if (repeatsWithinLine(line.text)) return at(line.start);
                // A body glued onto its opener (`subtract(n) {    this.value -= n;`) is a line of its own.
                const wholeLine = i > 0 || facts.blankPrefix || (/[([{]\s*$/.test(site.linePrefix) && /^\s{2,}\S/.test(line.text));
                if (complete && wholeLine && copiesLineBelow(line.text, site.nextLines)) return at(line.start);
                if (complete && previous !== undefined && hasWords(trimmed) && normalizedLine(line.text) === normalizedLine(previous)) return at(line.start);
                // Three lines in a row that differ in one word (`const b = 1;`, `const c = 1;`, …): only the first.
                const [before2, before1] = seen.slice(-2);
                if (
                    complete &&
                    before2 !== undefined &&
                    before1 !== undefined &&
                    differInOneWord(before2.text, before1.text) &&
                    differInOneWord(before1.text, line.text)
                ) {
                    return at(before1.start);
                }
                // A new unit that starts as the one just written (`function stepC() {` after `function stepB() {…}`).
                if (complete && shape.mode === "block" && i > 0 && afterBlank && indentationOf(line.text, tabSize) <= shape.base) {
                    const last = unitStarts[unitStarts.length - 1];
                    if (last !== undefined && (differInOneWord(last, line.text) || normalizedLine(last) === normalizedLine(line.text))) return at(line.start);
                }
            }
            if (features.prefixEcho && complete && i === 0 && facts.blankPrefix && shape.mode === "block" && echoesLineAbove(line.text, site, facts))
                return at(line.start);
            if (i > 0 && shape.mode === "block") {
                const indent = indentationOf(line.text, tabSize);
                if (indent < shape.base) {
                    // A closer may be one the code below leaves open: wait for its line to tell.
                    if (features.neededCloser && !complete && (/^[)\]}]/.test(trimmed) || "end".startsWith(trimmed))) return undefined;
                    if (features.neededCloser && complete && continuesEnclosingBlock(line.text, facts)) {
                        // `} catch (e) {` where the closer below then closes the catch: the block goes on.
                    } else {
                        const needed =
                            features.neededCloser &&
                            complete &&
                            (closesOpenBlock(text.slice(0, line.start), trimmed, facts) ||
                                endsOpenKeywordBlock(line.text, site.textBefore + site.linePrefix + text.slice(0, line.start), facts));
                        if (!needed) return at(line.start);
                        stopAfter = true;
                    }
                } else if (scope === "unknown" && shape.opensBlock && indent === shape.base && /^[{[(]$/.test(trimmed)) {
                    // The block's opener on a line of its own (`{` under `function f()`): its body is next.
                } else if (scope === "unknown") {
                    scope = shape.opensBlock && indent > shape.base ? "body" : "flat";
                } else if (scope === "body" && indent === shape.base) {
                    const verdict = endOfBody(trimmed, complete);
                    if (verdict === "wait") return undefined;
                    if (verdict === "before") return at(line.start);
                    stopAfter = verdict === "after";
                }
            }
            previous = line.text;
            if (complete) {
                const whole = i === 0 ? cursorLine : line.text;
                if ((i === 0 || afterBlank) && indentationOf(whole, tabSize) <= shape.base) unitStarts.push(whole);
                seen.push(line);
            }
            afterBlank = false;
        } else if (i > 0 && complete) {
            afterBlank = true;
        }
        if (line.breakAt >= 0 && stopAfter) return at(line.breakAt);
        if (line.breakAt >= 0 && i + 1 >= budget) {
            // A single line that may yet start a block waits for the next line to tell.
            if (shape.mode === "line" && mayStartBlock(lines, i, site, facts)) return undefined;
            // A block's closing lines (`}`, `end`) may run up to two lines past the budget.
            if (shape.mode === "block" && features.balancedCut && i + 1 < budget + graceLines) {
                const verdict = closingLineNext(lines[i + 1], final);
                if (verdict === "wait") return undefined;
                if (verdict === "closes") continue;
            }
            return at(line.breakAt, shape.mode === "block");
        }
    }
    return undefined;
}

/** Lines of closers a block may run past its line budget, so that it ends closed. */
const graceLines = 2;
const CLOSING_LINE = /^\s*(?:[)\]}]+[;,)]*|end|fi|done|esac)\s*$/;

/** Whether the line after the budget's last one closes a block: "wait" while it is still coming and might. */
function closingLineNext(next: GeneratedLine | undefined, final: boolean): "closes" | "no" | "wait" {
    if (next === undefined) return final ? "no" : "wait";
    if (next.breakAt >= 0 || final) return CLOSING_LINE.test(next.text) ? "closes" : "no";
    const partial = next.text.trim();
    return partial === "" || /^[)\]}]+[;,)]*$/.test(partial) || "end".startsWith(partial) ? "wait" : "no";
}

/** A keyword that opens a block closed by `end` (Ruby, Lua, Elixir, Julia…). */
const OPENS_END_BLOCK =
    /^(?:(?:local\s+)?function|def|defp|defmodule|class|module|if|unless|while|until|for|case|begin|repeat|struct)\b|\b(?:do|then)(?:\s*\|[^|]*\|)?$/;

/**
 * Whether a dedented `end` closes a block opened above at its indentation that the code below
 * does not close: the block is otherwise left open, so the suggestion must close it.
 */
function endsOpenKeywordBlock(line: string, above: string, facts: SiteFacts): boolean {
    if (line.trim() !== "end") return false;
    const indent = indentationOf(line, facts.tabSize);
    const opener = above
        .split("\n")
        .reverse()
        .find((candidate) => candidate.trim() !== "" && indentationOf(candidate, facts.tabSize) <= indent);
    if (opener === undefined || indentationOf(opener, facts.tabSize) !== indent || !OPENS_END_BLOCK.test(opener.trim())) return false;
    const below = facts.below;
    return below === undefined || indentationOf(below, facts.tabSize) !== indent || !/^end\b/.test(below.trim());
}

/** A single line whose next line has not (fully) come yet, where that next line would make it a block. */
function mayStartBlock(lines: readonly GeneratedLine[], index: number, site: CompletionSite, facts: SiteFacts): boolean {
    if (!facts.features.modeUpgrade || site.mode !== "line" || index !== 0) return false;
    const first = lines[0].text;
    const second = lines[1];
    // The first line supplied the closers; a `{` on the next line (`): string` then `{`) may follow.
    const suppliesClosers = facts.closersAfter && /^\s*[)\]}]/.test(first);
    // A header finished with `)` (`int age)`), whose `{` may come on the next line.
    const endsHeader = site.lineSuffix.trim() === "" && /\)\s*$/.test(first);
    if (second !== undefined) return lines.length === 2 && second.breakAt < 0 && second.text.trim() === "" && (suppliesClosers || endsHeader);
    if (first.trim() === "") return (facts.closersAfter && /[([{]\s*$/.test(site.linePrefix)) || (site.lineSuffix.trim() === "" && facts.finishedLine);
    return suppliesClosers;
}

/** Whether a generated line repeats the document's line below the cursor. */
function repeats(generated: string, below: string, tabSize: number): boolean {
    const text = generated.trim();
    if (text === "" || text !== below.trim()) return false;
    // "}" (or Ruby's `end`, the shell's `fi`) indented differently closes a different block.
    if (/[\p{L}\p{N}]/u.test(text) && !/^(?:end|fi|done|esac)\b\W*$/.test(text)) return true;
    return indentationOf(generated, tabSize) === indentationOf(below, tabSize);
}

/** The suggestion's first line is the line above the cursor written again (`def fib(n):` inside its own body). */
function echoesLineAbove(line: string, site: CompletionSite, facts: SiteFacts): boolean {
    if (facts.lineAbove === undefined || !hasWords(line) || normalizedLine(line) !== normalizedLine(facts.lineAbove)) return false;
    // A file that already repeats the line (`ping();` twice) may well want it once more.
    const twoAbove = site.textBefore
        .split("\n")
        .reverse()
        .filter((candidate) => candidate.trim() !== "")[1];
    return twoAbove === undefined || normalizedLine(twoAbove) !== normalizedLine(facts.lineAbove);
}

/**
 * A line of closers that goes on with the enclosing block's next part (`} catch (e) {`, `} else {`)
 * at the indentation of the closer below the cursor, which then closes that part.
 */
function continuesEnclosingBlock(line: string, facts: SiteFacts): boolean {
    const below = facts.below;
    return (
        below !== undefined &&
        /^[)\]}]+\s*(?:else|catch|finally|except)\b.*[{:]$/.test(line.trim()) &&
        /^[)\]}]/.test(below.trim()) &&
        indentationOf(below, facts.tabSize) === indentationOf(line, facts.tabSize)
    );
}

/** Inside a string that spans lines: the suggestion ends after the line where the string closes, or at the budget. */
function stringStop(lines: readonly GeneratedLine[], quote: string, budget: number, at: (offset: number, budgetStop?: boolean) => Stop): Stop | undefined {
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.breakAt < 0) return undefined;
        if (closesString(line.text, quote)) return at(line.breakAt);
        if (i + 1 >= budget) return at(line.breakAt, true);
    }
    return undefined;
}

function closesString(line: string, quote: string): boolean {
    for (let j = 0; j < line.length; j++) {
        if (line[j] === "\\") j++;
        else if (line.startsWith(quote, j)) return true;
    }
    return false;
}

/** A line back at the indentation of a cursor line that opened a block, after the block's body. */
function endOfBody(trimmed: string, complete: boolean): "continue" | "before" | "after" | "wait" {
    if (")]}".includes(trimmed[0] ?? "")) {
        if (!complete) return "wait";
        return OPENS_BLOCK.test(trimmed) ? "continue" : "after";
    }
    if (CONTINUES_BLOCK.test(trimmed)) return "continue";
    // Ruby's, Lua's and the shell's keyword closers end the body and are kept.
    if (complete && /^(?:end|fi|done|esac)\b\W*$/.test(trimmed)) return "after";
    if (!complete && /^\w+$/.test(trimmed)) return "wait"; // "els" may become "else"
    return "before";
}

/**
 * Whether a dedented line of closers (`}`, `});`) closes a bracket open at the cursor that the code
 * after the cursor does not close: the block is otherwise left open, so the suggestion must close it.
 */
function closesOpenBlock(before: string, trimmed: string, facts: SiteFacts): boolean {
    const closers = /^[)\]}]+/.exec(trimmed)?.[0];
    if (closers === undefined) return false;
    const stack = [...facts.brackets.open];
    for (const event of lex(before, facts.brackets.cursor).events) {
        if (event.kind === "open") stack.push(event.ch);
        else if (event.kind === "close") popMatching(stack, event.ch);
    }
    for (const closer of closers) {
        if (stack.length <= facts.brackets.reserved || stack[stack.length - 1] !== OPENER_OF[closer]) return false;
        stack.pop();
    }
    return true;
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
// What is shown
// ---------------------------------------------------------------------------------------------

/**
 * Trailing whitespace goes, except spaces that separate a one-line suggestion from the word after
 * the cursor (`foo(‸bar)` + `baz, ` → `foo(baz, bar)`).
 */
function trimEnd(text: string, site: CompletionSite, features: CompletionFeatures): string {
    const trimmed = text.trimEnd();
    if (!features.edgeWhitespace || trimmed === "" || trimmed.includes("\n") || !/^[\p{L}\p{N}_$"'`]/u.test(site.lineSuffix)) return trimmed;
    return (text.split("\n")[0] ?? "").replace(/\r$/, "");
}

/**
 * What is typed on the cursor's line written again at the start of the suggestion
 * (`const sum = ` + `const sum = a + b;`): dropped.
 */
function dropTypedEcho(text: string, site: CompletionSite): string {
    const typed = site.linePrefix.trim();
    if (typed.length < 2) return text;
    const body = text.replace(/^[ \t]+/, "");
    if (!body.startsWith(typed)) return text;
    const next = body[typed.length];
    // "cons" + "const": the model finishing the typed word, not an echo.
    if (next !== undefined && /[\p{L}\p{N}_$]/u.test(next) && /[\p{L}\p{N}_$]$/u.test(typed)) return text;
    return body.slice(typed.length).replace(/^[ \t]+/, /[ \t]$/.test(site.linePrefix) ? "" : " ");
}

/** A chat model's preamble (`Here is the completed function:`), not code. */
const PROSE = /^\s*(?:here(?:'s| is| are)|sure\b|certainly\b|of course\b|the (?:completed|following|updated|rest)\b)[^;=(){}[\]]*$/i;

const EMPTY_COMMENT = /^\s*(?:\/\/|#)\s*$/;
const COMMENT = /^\s*(?:\/\/|#|\/\*|\*)/;

/** A comment line with nothing in it (`//` between two statements) is dropped, unless it spaces out a comment. */
function dropEmptyComments(text: string, site: CompletionSite): string {
    const lines = text.split("\n");
    const kept = lines.filter((line, i) => {
        if (!EMPTY_COMMENT.test(line) || (i === 0 && site.linePrefix.trim() !== "")) return true;
        return COMMENT.test(lines[i - 1] ?? "") || COMMENT.test(lines[i + 1] ?? "");
    });
    return kept.length === lines.length ? text : kept.join("\n");
}

/** A suggestion a budget cut off inside a block: cut back to the last line end where its brackets balance. */
function cutWhereBalanced(text: string, facts: SiteFacts): string {
    if (!text.includes("\n")) return text;
    let depth = 0;
    let lastBalanced = -1;
    const events = lex(`${text}\n`, facts.brackets.cursor).events;
    let next = 0;
    for (let i = 0; i <= text.length; i++) {
        while (next < events.length && (events[next]?.index ?? Infinity) < i) {
            const event = events[next++];
            if (event?.kind === "open") depth++;
            // A closer of a bracket opened before the cursor (`(‸)` + `n: u32) -> u32 {`) leaves nothing to balance.
            else if (event?.kind === "close") depth = Math.max(0, depth - 1);
        }
        if ((i === text.length || text[i] === "\n") && depth === 0) lastBalanced = i;
    }
    if (lastBalanced === text.length) return text;
    if (lastBalanced > 0) return text.slice(0, lastBalanced).trimEnd();
    // Nowhere balanced: the first line is what can be shown.
    return text.slice(0, text.indexOf("\n")).trimEnd();
}

/**
 * Indentation in the file's style: tabs or spaces and the step as the file (else the editor) has
 * them, a line astray by less than a step aligned, tabs in a Makefile's recipes.
 */
function indentLines(text: string, site: CompletionSite, facts: SiteFacts): string {
    if (!facts.features.indentStyle) return text;
    if (site.languageId === "makefile")
        return text
            .split("\n")
            .map((line, i) => (i === 0 && site.linePrefix !== "" ? line : makefileRecipeLine(line)))
            .join("\n");
    // The first line continues the cursor's line, whose indentation is already there.
    const continued = site.linePrefix !== "";
    const anchor = continued
        ? indentationOf(site.linePrefix, facts.tabSize)
        : facts.lineAbove === undefined
          ? 0
          : indentationOf(facts.lineAbove, facts.tabSize);
    const lines = rescaleIndent(text.split("\n"), anchor, facts.style, continued).map((line, i) =>
        i === 0 && continued ? line : reindentLine(line, facts.style),
    );
    const firstWidth = indentationOf(site.linePrefix + (lines[0] ?? ""), facts.tabSize);
    return alignStrayIndent(lines, firstWidth, facts.style).join("\n");
}

/**
 * A body between an opener and the closers the editor put after the cursor (`function f() {‸}`):
 * the suggestion's own closing line, when it wrote one, replaces those closers; else the closers
 * go on a line of their own after the body.
 */
function closeBlockBeforeSuffix(text: string, site: CompletionSite, facts: SiteFacts): Suggestion {
    const suffix = site.lineSuffix;
    const lines = text.split("\n");
    const lastLine = lines[lines.length - 1] ?? "";
    const last = lastLine.trim();
    const suffixStart = suffix.length - suffix.trimStart().length;
    // Its closing line is back at the cursor line's indentation (not a closer of its own inner block).
    const atCursorLine = indentationOf(lastLine, facts.tabSize) === indentationOf(site.linePrefix, facts.tabSize);
    const closers = suffix.trim();
    if (lines.length > 1 && last !== "" && atCursorLine && /^[)\]}]/.test(last)) {
        if (closers.startsWith(last)) return { insertText: text, replaceEnd: suffixStart + last.length };
        // `});` written over the `})` the editor added.
        if (last.startsWith(closers) && /^[;,]?$/.test(last.slice(closers.length))) return { insertText: text, replaceEnd: suffix.length };
    }
    const indent = /^[ \t]*/.exec(site.linePrefix)?.[0] ?? "";
    return { insertText: `${text}\n${reindentLine(indent, facts.style)}`, replaceEnd: 0 };
}
