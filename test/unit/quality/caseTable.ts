/**
 * Table-driven completion cases, judged by the document they leave: each case is a document with
 * one "‸" at the cursor, the text the model wrote there, and the document a good completion tool
 * leaves once the user accepts. The raw text is streamed through the extension's mode choice and
 * the sidecar's real post-processing (test/quality/qualityRunner.ts), one character at a time.
 */
import assert from "node:assert/strict";
import { documentAfter, replayCase } from "../../quality/qualityRunner";

/** Marks the cursor in a case's `doc`. */
const CURSOR = "‸";

export interface TableCase {
    /** What the case checks, starting with its language ("python: tab-indented file gets tabs"). */
    readonly name: string;
    /** A VS Code language id. */
    readonly language: string;
    /** The document, with exactly one "‸" at the cursor. */
    readonly doc: string;
    /** What the model generated at the cursor. */
    readonly raw: string;
    /** The whole document after accepting; `doc` without "‸" when nothing should be shown. */
    readonly after: string;
    readonly tabSize?: number;
    readonly insertSpaces?: boolean;
}

export interface Table {
    readonly title: string;
    readonly cases: readonly TableCase[];
}

/** Every table runTable declared, in the order their files loaded. */
const registeredTables: Table[] = [];

/** How many cursor markers `doc` holds. */
function cursorCount(doc: string): number {
    return doc.split(CURSOR).length - 1;
}

/** The text before and after the cursor; throws unless `doc` holds exactly one "‸". */
function splitAtCursor(doc: string): { prefix: string; suffix: string } {
    const count = cursorCount(doc);
    if (count !== 1) throw new Error(`a case's doc must mark the cursor with exactly one "${CURSOR}"; this one has ${count}: ${JSON.stringify(doc)}`);
    const at = doc.indexOf(CURSOR);
    return { prefix: doc.slice(0, at), suffix: doc.slice(at + CURSOR.length) };
}

/** The document as it is, without its cursor marker. */
function withoutCursor(doc: string): string {
    return doc.split(CURSOR).join("");
}

/** Lines joined with "\n" (pass "" last for a final newline). */
export function lines(...text: string[]): string {
    return text.join("\n");
}

/** A case where nothing should be shown: the document after is the document before. */
export function nothing(c: Omit<TableCase, "after">): TableCase {
    return { ...c, after: withoutCursor(c.doc) };
}

/** The document replayCase leaves for a case (what the tables assert). */
function replayedDocument(c: TableCase): string {
    const { prefix, suffix } = splitAtCursor(c.doc);
    const result = replayCase({ id: c.name, language: c.language, prefix, suffix, raw: c.raw, tabSize: c.tabSize, insertSpaces: c.insertSpaces });
    return documentAfter({ prefix, suffix }, result);
}

/** Declares a mocha `describe` with one `it` per case; returns (and registers) the table. */
export function runTable(title: string, cases: readonly TableCase[]): Table {
    const table: Table = { title, cases };
    registeredTables.push(table);
    describe(title, () => {
        for (const c of cases) {
            it(c.name, () => {
                assert.equal(replayedDocument(c), c.after);
            });
        }
    });
    return table;
}

interface TableStats {
    readonly cases: number;
    /** Cases per language. */
    readonly languages: ReadonlyMap<string, number>;
    /** Problems with the tables themselves: cursor markers, duplicate names, markers left in `after`. */
    readonly problems: readonly string[];
}

/** Counts the tables' cases and languages, and checks every case is well formed (the coverage test asserts on this). */
export function tableStats(tables: readonly Table[]): TableStats {
    const languages = new Map<string, number>();
    const problems: string[] = [];
    const names = new Set<string>();
    let cases = 0;
    for (const table of tables) {
        for (const c of table.cases) {
            cases++;
            languages.set(c.language, (languages.get(c.language) ?? 0) + 1);
            const where = `${table.title} › ${c.name}`;
            const markers = cursorCount(c.doc);
            if (markers !== 1) problems.push(`${where}: doc has ${markers} "${CURSOR}" markers, not exactly one`);
            if (c.after.includes(CURSOR)) problems.push(`${where}: after still holds a "${CURSOR}" marker`);
            if (names.has(where)) problems.push(`${where}: two cases of one table share this name`);
            names.add(where);
        }
    }
    return { cases, languages, problems };
}
