/**
 * Cases modelled on llama.vscode's suggestion rules (ggml-org/llama.vscode, src/completion.ts:
 * shouldDiscardSuggestion, updateSuggestion, Utils.removeTrailingNewLines and removeLeadingSpaces;
 * the same rules as llama.vim). llama.vscode has no test file for them, so each case is one branch
 * of those functions, stated as a document: what the extension shows, inserted at the cursor.
 */
import { lines, nothing, type TableCase } from "../caseTable";

export const llamaCases: TableCase[] = [
    nothing({
        name: "llama.vscode: shouldDiscardSuggestion/blank suggestion — python: a whitespace-only line is discarded",
        language: "python",
        doc: lines("def total(items):", "    ‸", "    return sum(items)", ""),
        raw: "    ",
    }),
    nothing({
        name: "llama.vscode: shouldDiscardSuggestion/next lines repeated — python: an empty first line then the lines below is discarded",
        language: "python",
        doc: lines("def area(w, h):‸", "    return w * h", "", "print(area(2, 3))", ""),
        raw: "\n    return w * h",
    }),
    nothing({
        name: "llama.vscode: shouldDiscardSuggestion/next lines repeated after the line's end — javascript: the line's own end then the lines below is discarded",
        language: "javascript",
        doc: lines("function area(w, h) {", "  const size = w * h‸;", "  return size;", "}", ""),
        raw: ";\n  return size;\n}",
    }),
    nothing({
        name: "llama.vscode: shouldDiscardSuggestion/repeats the line's end — typescript: a suggestion equal to the rest of the line is discarded",
        language: "typescript",
        doc: lines("const sum = add(a, ‸b);", "console.log(sum);", ""),
        raw: "b);",
    }),
    nothing({
        name: "llama.vscode: shouldDiscardSuggestion/repeats the next non-empty line — python: the statement already below is discarded",
        language: "python",
        doc: lines("for item in items:", "    ‸", "", "    process(item)", "print('done')", ""),
        raw: "process(item)",
    }),
    nothing({
        name: "llama.vscode: shouldDiscardSuggestion/repeats the next line and starts the one after — python: two lines already below are discarded",
        language: "python",
        doc: lines("def load(path):", "    ‸", "    with open(path) as f:", "        return f.read()", ""),
        raw: "with open(path) as f:\n        return",
    }),
    nothing({
        name: "llama.vscode: shouldDiscardSuggestion/repeats the next lines — go: three lines already below are discarded",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func main() {", "\t‸", "\tif err != nil {", "\t\tlog.Fatal(err)", "\t}", "}", ""),
        raw: "if err != nil {\n\t\tlog.Fatal(err)\n\t}",
    }),
    {
        name: "llama.vscode: updateSuggestion/first line ends with the line's end — python: `value)` before `)` does not double it",
        language: "python",
        doc: lines("def show(value):", "    print(‸)", ""),
        raw: "value)",
        after: lines("def show(value):", "    print(value)", ""),
    },
    {
        name: "llama.vscode: updateSuggestion/first line ends with the line's end, more lines — javascript: only the first line, without its `)`",
        language: "javascript",
        doc: lines("function run(a, b) {", "  return combine(‸)", "}", ""),
        raw: "a, b)\n}\n\nfunction combine(x, y) {",
        after: lines("function run(a, b) {", "  return combine(a, b)", "}", ""),
    },
    {
        name: "llama.vscode: updateSuggestion/code after the cursor — javascript: a multi-line suggestion is cut to its first line",
        language: "javascript",
        doc: lines("function start() {", "  if (ready‸) {", "    run();", "  }", "}", ""),
        raw: " && loaded\n    run();",
        after: lines("function start() {", "  if (ready && loaded) {", "    run();", "  }", "}", ""),
    },
    {
        name: "llama.vscode: removeTrailingNewLines — typescript: trailing empty lines are not shown",
        language: "typescript",
        doc: lines("function add(a: number, b: number): number {", "  ‸", "}", ""),
        raw: "return a + b;\n\n\n",
        after: lines("function add(a: number, b: number): number {", "  return a + b;", "}", ""),
    },
    {
        name: "llama.vscode: removeLeadingSpaces — python: indentation repeated after an indented cursor is removed",
        language: "python",
        doc: lines("def square(x):", "    ‸", ""),
        raw: "    return x * x",
        after: lines("def square(x):", "    return x * x", ""),
    },
    {
        name: "llama.vscode: removeLeadingSpaces — go: a tab repeated after a tab-indented cursor is removed",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func square(x int) int {", "\t‸", "}", ""),
        raw: "\treturn x * x",
        after: lines("func square(x int) int {", "\treturn x * x", "}", ""),
    },
];
