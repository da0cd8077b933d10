/**
 * The suggestion and the code after the cursor on its line: what of that code the suggestion
 * already writes, so that it replaces it instead of writing it twice. Pure.
 */
import { defects, lex, OPENER_OF, popMatching } from "./codeScan";
import type { CompletionSite, Suggestion } from "./postProcess";
import type { SiteFacts } from "./siteFacts";

const WORD = /[\p{L}\p{N}_$]/u;
/** Characters an editor inserts after the cursor by itself: closing brackets and quotes. */
const AUTO_CLOSED = /^[)\]}"'`]+/;

/** The suggestion with the part of lineSuffix it already supplies marked for replacing. */
export function suffixReplacement(text: string, site: CompletionSite, facts: SiteFacts): Suggestion {
    if (site.lineSuffix.trim() === "") return { insertText: text, replaceEnd: 0 };
    if (facts.features.replaceRange) {
        const meets = meetsSuffix(text, site.lineSuffix);
        if (meets !== undefined) return { insertText: text.slice(0, meets), replaceEnd: 0 };
    }
    const overlap = textualOverlap(text, site, facts);
    if (overlap > 0) return { insertText: text, replaceEnd: overlap };
    if (!facts.features.replaceRange) return { insertText: text, replaceEnd: 0 };
    let replaceEnd = suppliedClosers(text, site, facts);
    // A statement's end the suggestion writes too (`…);` over `");`): one is enough.
    if (replaceEnd > 0 && /[;,]$/.test(text) && site.lineSuffix[replaceEnd] === text[text.length - 1]) replaceEnd++;
    return { insertText: text, replaceEnd };
}

/**
 * Where a one-line suggestion runs into the code after the cursor (`await fetch(url);` before
 * `fetch(url);`, `"Hello", "param1", param1);` before `, "param1", )`): the suggestion is what comes
 * before it. The code met must be a real piece of the line: a word in it, and 4 characters or the
 * whole rest of the line. Undefined when it does not meet it.
 */
function meetsSuffix(text: string, lineSuffix: string): number | undefined {
    const suffix = lineSuffix.trimStart();
    if (text.includes("\n") || !WORD.test(suffix)) return undefined;
    for (let at = 1; at < text.length; at++) {
        if (WORD.test(text[at] ?? "") && WORD.test(text[at - 1] ?? "")) continue; // not inside a word
        let k = 0;
        while (at + k < text.length && k < suffix.length && text[at + k] === suffix[k]) k++;
        const piece = suffix.slice(0, k);
        if (WORD.test(piece) && (k === suffix.length || k >= 4) && (k === suffix.length || !WORD.test(suffix[k] ?? "") || !WORD.test(suffix[k - 1] ?? ""))) {
            return text.slice(0, at).trim() === "" ? undefined : at;
        }
    }
    return undefined;
}

/**
 * The longest end of `text` that repeats the start of lineSuffix, where replacing it improves the
 * line (`a, b)` before `)`): the suggestion then replaces it.
 */
function textualOverlap(text: string, site: CompletionSite, facts: SiteFacts): number {
    const suffix = site.lineSuffix;
    const asIs = defects(text, site, facts.brackets);
    for (let k = Math.min(text.length, suffix.length); k >= 1; k--) {
        const overlap = suffix.slice(0, k);
        if (overlap.trim() === "" || !text.endsWith(overlap)) continue;
        const rest = text.slice(0, text.length - k);
        // "valu" + "e = 1": the overlap would split a word.
        if (WORD.test(overlap[0] ?? "") && rest !== "" && WORD.test(rest[rest.length - 1] ?? "")) continue;
        if (WORD.test(overlap[k - 1] ?? "") && k < suffix.length && WORD.test(suffix[k] ?? "")) continue;
        const without = defects(rest, site, facts.brackets);
        if (without < asIs || (without === asIs && !/[()[\]{}"'`]/.test(overlap))) return k;
    }
    return 0;
}

/**
 * The closers and quotes at the start of lineSuffix (what the editor auto-closed) that the
 * suggestion supplies itself, though not as its very end (`", obj);` over `")`): the number of
 * them to replace so that the line is as sound as it can be (no stray closers or quotes, no
 * bracket it opens left open unless it was before), with the fewest replaced. 0 when none needs
 * replacing: `Math.max(Math.min(‸);` + `n, hi), lo` keeps the `)` that closes `max(`.
 */
function suppliedClosers(text: string, site: CompletionSite, facts: SiteFacts): number {
    const leading = site.lineSuffix.length - site.lineSuffix.trimStart().length;
    const closers = AUTO_CLOSED.exec(site.lineSuffix.slice(leading))?.[0] ?? "";
    if (closers === "") return 0;
    // What the line leaves open as it is; a line that was sound (or better) should end no worse.
    const original = Math.min(openAfter("", site.lineSuffix, facts), facts.brackets.atLineStart);
    let best = 0;
    let bestScore = score(text, 0);
    for (let k = 1; k <= closers.length; k++) {
        const candidate = score(text, leading + k);
        if (candidate < bestScore) {
            best = leading + k;
            bestScore = candidate;
        }
    }
    return best;

    function score(suggestion: string, replaced: number): number {
        const rest = site.lineSuffix.slice(replaced);
        const broken = defects(suggestion, { ...site, lineSuffix: rest }, facts.brackets);
        return broken + Math.abs(openAfter(suggestion, rest, facts) - original);
    }
}

/** Brackets left open at the end of the cursor's line with `text` inserted before `rest`. */
function openAfter(text: string, rest: string, facts: SiteFacts): number {
    const stack = [...facts.brackets.open];
    for (const event of lex(text + rest, facts.brackets.cursor).events) {
        if (event.kind === "open") stack.push(event.ch);
        else if (event.kind === "close" && stack[stack.length - 1] === OPENER_OF[event.ch]) stack.pop();
        else if (event.kind === "close") popMatching(stack, event.ch);
    }
    return stack.length;
}
