/**
 * The quality tables themselves: enough cases, in enough languages, each well formed.
 */
import assert from "node:assert/strict";
import { tableStats, type Table } from "./caseTable";
import { cases as balancedCut } from "./balancedCut.test";
import { cases as edgeWhitespace } from "./edgeWhitespace.test";
import { cases as enclosingIndent } from "./enclosingIndent.test";
import { cases as fences } from "./fences.test";
import { cases as indentStyle } from "./indentStyle.test";
import { cases as modeUpgrade } from "./modeUpgrade.test";
import { cases as neededCloser } from "./neededCloser.test";
import { cases as heldout } from "./heldout.test";
import { cases as peers } from "./peers.test";
import { cases as prefixEcho } from "./prefixEcho.test";
import { cases as regressions } from "./regressions.test";
import { cases as repetition } from "./repetition.test";
import { cases as replaceRange } from "./replaceRange.test";

const tables: Table[] = [
    { title: "A replaceRange", cases: replaceRange },
    { title: "B enclosingIndent", cases: enclosingIndent },
    { title: "C repetition", cases: repetition },
    { title: "D fences", cases: fences },
    { title: "E prefixEcho", cases: prefixEcho },
    { title: "F indentStyle", cases: indentStyle },
    { title: "G balancedCut", cases: balancedCut },
    { title: "H edgeWhitespace", cases: edgeWhitespace },
    { title: "I neededCloser", cases: neededCloser },
    { title: "J modeUpgrade", cases: modeUpgrade },
    { title: "K regressions", cases: regressions },
    { title: "P peers", cases: peers },
    { title: "P peers held out", cases: heldout },
];

/** VS Code language ids the tables may use (a typo would otherwise pass unnoticed). */
const knownLanguages = new Set([
    "typescript",
    "javascript",
    "python",
    "go",
    "rust",
    "java",
    "c",
    "cpp",
    "csharp",
    "ruby",
    "php",
    "yaml",
    "makefile",
    "shellscript",
    "json",
    "html",
    "css",
    "lua",
    "kotlin",
    "swift",
    "sql",
    "markdown",
    "javascriptreact",
]);

describe("quality tables: coverage", () => {
    const stats = tableStats(tables);

    it("hold at least 150 cases", () => {
        assert.ok(stats.cases >= 150, `only ${stats.cases} cases`);
    });

    it("cover at least 10 languages, each a known VS Code language id", () => {
        assert.ok(stats.languages.size >= 10, `only ${stats.languages.size} languages: ${[...stats.languages.keys()].join(", ")}`);
        assert.deepEqual(
            [...stats.languages.keys()].filter((language) => !knownLanguages.has(language)),
            [],
        );
    });

    it("mark the cursor in every case's doc with exactly one ‸, and leave none in after", () => {
        assert.deepEqual(stats.problems, []);
    });

    it("spread every class over several languages", () => {
        for (const table of tables) {
            const languages = new Set(table.cases.map((c) => c.language));
            assert.ok(languages.size >= 4, `${table.title}: only ${languages.size} languages`);
        }
    });
});
