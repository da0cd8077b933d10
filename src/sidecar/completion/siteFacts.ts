/**
 * What post-processing derives from a completion site once: the features in effect, the
 * indentation the cursor's block expects, the brackets open at the cursor, the shape of the code
 * after the cursor. Computed once per site (a request streams many texts through the same site).
 */
import { allCompletionFeatures, type CompletionFeatures } from "../../protocol/completionProtocol";
import { bracketContext, type BracketContext } from "./codeScan";
import { indentStyleOf, type IndentStyle } from "./indentStyle";
import type { CompletionSite } from "./postProcess";

const DEFAULT_TAB_SIZE = 4;
/** A line that opens a block: its body follows on the next lines. */
export const OPENS_BLOCK = /[([{:]$/;

export interface SiteFacts {
    readonly features: CompletionFeatures;
    readonly tabSize: number;
    readonly style: IndentStyle;
    /** The cursor is at the start of its line or after its indentation only. */
    readonly blankPrefix: boolean;
    /** The nearest non-empty line above the cursor's line. */
    readonly lineAbove: string | undefined;
    /**
     * The least indentation of the block the cursor is in, as the line above says: its indentation,
     * or deeper than it (by any amount: files differ in their step) when it opens a block. 0 without a line above.
     */
    readonly enclosingIndent: number;
    /** The code after the cursor on its line is only closers, quotes and `;`/`,` (what the editor auto-closes). */
    readonly closersAfter: boolean;
    /** The line before the cursor ends a statement: no operator, comma or opener at its end. */
    readonly finishedLine: boolean;
    readonly brackets: BracketContext;
    /** As `brackets`, where a suggestion may supply the closers the editor auto-closed after the cursor. */
    readonly bracketsForSuggestion: BracketContext;
    /** The next non-empty line below the cursor's line. */
    readonly below: string | undefined;
}

const cache = new WeakMap<CompletionSite, SiteFacts>();

export function factsOf(site: CompletionSite): SiteFacts {
    let facts = cache.get(site);
    if (facts === undefined) {
        facts = computeFacts(site);
        cache.set(site, facts);
    }
    return facts;
}

function computeFacts(site: CompletionSite): SiteFacts {
    const tabSize = site.tabSize !== undefined && site.tabSize > 0 ? site.tabSize : DEFAULT_TAB_SIZE;
    const lineAbove = site.textBefore
        .split("\n")
        .reverse()
        .find((line) => line.trim() !== "");
    const aboveIndent = lineAbove === undefined ? 0 : indentationOf(lineAbove, tabSize);
    const opens = lineAbove !== undefined && OPENS_BLOCK.test(withoutComment(lineAbove).trimEnd());
    const suffix = site.lineSuffix.trim();
    const prefix = site.linePrefix.trimEnd();
    const closersAfter = suffix !== "" && /^[)\]}"'`;,\s]+$/.test(suffix);
    return {
        features: { ...allCompletionFeatures, ...site.features },
        tabSize,
        style: indentStyleOf(site.textBefore, site.tabSize, site.insertSpaces, site.nextLines),
        blankPrefix: site.linePrefix.trim() === "",
        lineAbove,
        enclosingIndent: lineAbove === undefined ? 0 : aboveIndent + (opens ? 1 : 0),
        closersAfter,
        finishedLine: prefix !== "" && !/(?:[-=+*/%&|^<>!?,.([{\\~:]|\b(?:and|or|not|in|is|return|await|yield|new|typeof)\b)$/.test(prefix),
        brackets: bracketContext(site),
        bracketsForSuggestion: closersAfter ? bracketContext(site, false) : bracketContext(site),
        below: site.nextLines.find((line) => line.trim() !== ""),
    };
}

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

/** A line without a trailing `//` or `#` comment (roughly: enough to see whether it ends with an opener). */
export function withoutComment(line: string): string {
    return line.replace(/\s(?:\/\/|#).*$/, "");
}
