/**
 * D. Markdown fences are never shown: a leading ```lang line is dropped and the code after it kept
 * up to the closing fence; a fence line later ends the suggestion.
 */
import { lines, runTable, type TableCase } from "./caseTable";

const FENCE = "```";

export const cases: TableCase[] = [
    {
        name: "python: a leading ```python line is dropped, the code kept up to the closing fence",
        language: "python",
        doc: lines("import math", "", "‸", ""),
        raw: `${FENCE}python\ndef area(r):\n    return math.pi * r ** 2\n${FENCE}\n\nThis function computes the area of a circle.`,
        after: lines("import math", "", "def area(r):", "    return math.pi * r ** 2", ""),
    },
    {
        name: "typescript: a leading ```typescript line is dropped",
        language: "typescript",
        doc: lines("// Clamps a value to [min, max].", "‸", ""),
        raw: `${FENCE}typescript\nexport function clamp(value: number, min: number, max: number): number {\n    return Math.min(Math.max(value, min), max);\n}\n${FENCE}`,
        after: lines(
            "// Clamps a value to [min, max].",
            "export function clamp(value: number, min: number, max: number): number {",
            "    return Math.min(Math.max(value, min), max);",
            "}",
            "",
        ),
    },
    {
        name: "javascript: a leading ```js line is dropped, the prose after the fence is not shown",
        language: "javascript",
        doc: lines("const fs = require('fs');", "", "‸", ""),
        raw: `${FENCE}js\nfunction readJson(path) {\n    return JSON.parse(fs.readFileSync(path, 'utf8'));\n}\n${FENCE}\n\nUsage: readJson('config.json')`,
        after: lines("const fs = require('fs');", "", "function readJson(path) {", "    return JSON.parse(fs.readFileSync(path, 'utf8'));", "}", ""),
    },
    {
        name: "go: a leading ```go line is dropped",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("package mathx", "", "‸", ""),
        raw: `${FENCE}go\nfunc Max(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n${FENCE}\n`,
        after: lines("package mathx", "", "func Max(a, b int) int {", "\tif a > b {", "\t\treturn a", "\t}", "\treturn b", "}", ""),
    },
    {
        name: "rust: a leading ```rust line is dropped",
        language: "rust",
        doc: lines("use std::collections::HashMap;", "", "‸", ""),
        raw: `${FENCE}rust\nfn word_count(text: &str) -> HashMap<&str, usize> {\n    let mut counts = HashMap::new();\n    for word in text.split_whitespace() {\n        *counts.entry(word).or_insert(0) += 1;\n    }\n    counts\n}\n${FENCE}`,
        after: lines(
            "use std::collections::HashMap;",
            "",
            "fn word_count(text: &str) -> HashMap<&str, usize> {",
            "    let mut counts = HashMap::new();",
            "    for word in text.split_whitespace() {",
            "        *counts.entry(word).or_insert(0) += 1;",
            "    }",
            "    counts",
            "}",
            "",
        ),
    },
    {
        name: "ruby: a leading ```ruby line is dropped",
        language: "ruby",
        doc: lines("require 'json'", "", "‸", ""),
        raw: `${FENCE}ruby\ndef load_config(path)\n  JSON.parse(File.read(path))\nend\n${FENCE}\n`,
        after: lines("require 'json'", "", "def load_config(path)", "  JSON.parse(File.read(path))", "end", ""),
    },
    {
        name: "shellscript: a leading ```bash line is dropped",
        language: "shellscript",
        doc: lines("#!/usr/bin/env bash", "set -euo pipefail", "", "‸", ""),
        raw: `${FENCE}bash\nfor f in *.log; do\n  gzip "$f"\ndone\n${FENCE}\n\nThis compresses every log file.`,
        after: lines("#!/usr/bin/env bash", "set -euo pipefail", "", "for f in *.log; do", '  gzip "$f"', "done", ""),
    },
    {
        name: "yaml: a leading ```yaml line is dropped",
        language: "yaml",
        doc: lines("name: ci", "on: [push]", "‸", ""),
        raw: `${FENCE}yaml\njobs:\n  test:\n    runs-on: ubuntu-latest\n${FENCE}`,
        after: lines("name: ci", "on: [push]", "jobs:", "  test:", "    runs-on: ubuntu-latest", ""),
    },
    {
        name: "json: a leading ```json line is dropped",
        language: "json",
        doc: lines("‸", ""),
        raw: `${FENCE}json\n{\n  "name": "hearth",\n  "private": true\n}\n${FENCE}`,
        after: lines("{", '  "name": "hearth",', '  "private": true', "}", ""),
    },
    {
        name: "c: a fence without a language is dropped too",
        language: "c",
        doc: lines("#include <stdio.h>", "", "‸", ""),
        raw: `${FENCE}\nint main(void) {\n    puts("hello");\n    return 0;\n}\n${FENCE}`,
        after: lines("#include <stdio.h>", "", "int main(void) {", '    puts("hello");', "    return 0;", "}", ""),
    },
    {
        name: "python: a closing fence after the body ends the suggestion",
        language: "python",
        doc: lines("def add(a, b):", "    ‸", ""),
        raw: `return a + b\n${FENCE}\n\nThe function returns the sum of a and b.`,
        after: lines("def add(a, b):", "    return a + b", ""),
    },
    {
        name: "java: a closing fence ends the suggestion",
        language: "java",
        doc: lines("public class Util {", "    static int twice(int x) {", "        ‸", "    }", "}", ""),
        raw: `return x * 2;\n${FENCE}\n\nExplanation: twice doubles its argument.`,
        after: lines("public class Util {", "    static int twice(int x) {", "        return x * 2;", "    }", "}", ""),
    },
    {
        name: "lua: a closing fence ends the suggestion",
        language: "lua",
        doc: lines("local function greet(name)", "  ‸", "end", ""),
        raw: `print("Hello, " .. name)\n${FENCE}\n`,
        after: lines("local function greet(name)", '  print("Hello, " .. name)', "end", ""),
    },
    {
        name: "css: a leading ```css line is dropped",
        language: "css",
        doc: lines("body {", "  margin: 0;", "}", "", "‸", ""),
        raw: `${FENCE}css\n.container {\n  max-width: 960px;\n  margin: 0 auto;\n}\n${FENCE}`,
        after: lines("body {", "  margin: 0;", "}", "", ".container {", "  max-width: 960px;", "  margin: 0 auto;", "}", ""),
    },
];

runTable("quality D: markdown fences", cases);
