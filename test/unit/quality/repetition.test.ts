/**
 * C. Repetition: a line repeated over and over is shown once; a line that repeats itself within
 * (`foo = foo = foo`) is not shown; a generated line that nearly repeats one of the next few
 * non-empty lines below (whitespace and a trailing `;` or `,` aside) ends the suggestion before it.
 */
import { lines, nothing, runTable, type TableCase } from "./caseTable";

const times = (line: string, count: number, separator: string): string => Array.from({ length: count }, () => line).join(separator);

export const cases: TableCase[] = [
    // The same line over and over
    {
        name: "javascript: `hello();` eight times is shown once",
        language: "javascript",
        doc: lines("function main() {", "    ‸", "}", ""),
        raw: times("hello();", 8, "\n    "),
        after: lines("function main() {", "    hello();", "}", ""),
    },
    {
        name: "python: a print repeated in a loop body is shown once",
        language: "python",
        doc: lines("for i in range(3):", "    ‸", ""),
        raw: times('print("tick")', 10, "\n    "),
        after: lines("for i in range(3):", '    print("tick")', ""),
    },
    {
        name: "go: a repeated call is shown once",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func main() {", "\t‸", "}", ""),
        raw: times('fmt.Println("ok")', 9, "\n\t") + "\n}",
        after: lines("func main() {", '\tfmt.Println("ok")', "}", ""),
    },
    {
        name: "java: a repeated println is shown once",
        language: "java",
        doc: lines("public class Main {", "    public static void main(String[] args) {", "        ‸", "    }", "}", ""),
        raw: times('System.out.println("hello");', 8, "\n        "),
        after: lines("public class Main {", "    public static void main(String[] args) {", '        System.out.println("hello");', "    }", "}", ""),
    },
    {
        name: "ruby: a repeated puts is shown once",
        language: "ruby",
        doc: lines("def banner", "  ‸", "end", ""),
        raw: times('puts "=" * 40', 8, "\n  "),
        after: lines("def banner", '  puts "=" * 40', "end", ""),
    },
    {
        name: "c: a repeated printf after a first line is shown once",
        language: "c",
        doc: lines("int main(void) {", "    ‸", "}", ""),
        raw: "int n = 3;\n    " + times('printf("%d\\n", n);', 7, "\n    "),
        after: lines("int main(void) {", "    int n = 3;", '    printf("%d\\n", n);', "}", ""),
    },

    // Degenerate repetition within a line
    nothing({
        name: "javascript: `foo = foo = foo = …` is not shown",
        language: "javascript",
        doc: lines("let foo = ‸", ""),
        raw: "foo = foo = foo = foo = foo",
    }),
    nothing({
        name: "python: `x = x = x = …` is not shown",
        language: "python",
        doc: lines("def reset():", "    x = ‸", ""),
        raw: "x = x = x = x = x = x = x",
    }),
    nothing({
        name: "typescript: `total + total + …` is not shown",
        language: "typescript",
        doc: lines("const total = ‸", ""),
        raw: "total + total + total + total + total + total + total",
    }),
    nothing({
        name: "go: `result.result.result…` is not shown",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func run() {", "\tresult := ‸", "}", ""),
        raw: "result.result.result.result.result.result.result",
    }),
    nothing({
        name: "php: `$value = $value = …` is not shown",
        language: "php",
        doc: lines("<?php", "$value = ‸", ""),
        raw: "$value = $value = $value = $value = $value = $value;",
    }),
    nothing({
        name: "lua: `count = count = …` is not shown",
        language: "lua",
        doc: lines("local count = ‸", ""),
        raw: "count = count = count = count = count = count",
    }),
    nothing({
        name: "python: `self.self.self…` is not shown",
        language: "python",
        doc: lines("class Node:", "    def root(self):", "        return ‸", ""),
        raw: "self.self.self.self.self.self.self.self",
    }),

    // A near-copy of the code below
    {
        name: "typescript: `return total` stops the suggestion when `return total;` is below",
        language: "typescript",
        doc: lines("function sum(items: number[]): number {", "    let total = 0;", "    ‸", "", "    return total;", "}", ""),
        raw: "for (const item of items) {\n        total += item;\n    }\n    return total\n}",
        after: lines(
            "function sum(items: number[]): number {",
            "    let total = 0;",
            "    for (const item of items) {",
            "        total += item;",
            "    }",
            "",
            "    return total;",
            "}",
            "",
        ),
    },
    {
        name: "javascript: an object entry without its trailing comma still repeats the entry below",
        language: "javascript",
        doc: lines("const config = {", "    port: 8080,", "    ‸", "    debug: false,", "};", ""),
        raw: 'host: "localhost",\n    debug: false\n};',
        after: lines("const config = {", "    port: 8080,", '    host: "localhost",', "    debug: false,", "};", ""),
    },
    {
        name: "python: a line repeating the second non-empty line below stops the suggestion",
        language: "python",
        doc: lines("def total_price(items):", "    total = 0", "    ‸", '    log.debug("summed %d items", len(items))', "    return total", ""),
        raw: "for item in items:\n        total += item.price\n    return total\n",
        after: lines(
            "def total_price(items):",
            "    total = 0",
            "    for item in items:",
            "        total += item.price",
            '    log.debug("summed %d items", len(items))',
            "    return total",
            "",
        ),
    },
    {
        name: "python: a dict entry without its trailing comma repeats the entry below",
        language: "python",
        doc: lines("settings = {", '    "host": "localhost",', "    ‸", '    "debug": False,', "}", ""),
        raw: '"port": 8080,\n    "debug": False\n}',
        after: lines("settings = {", '    "host": "localhost",', '    "port": 8080,', '    "debug": False,', "}", ""),
    },
    {
        name: "go: a return repeating the second non-empty line below stops the suggestion",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func sum(xs []int) int {", "\ttotal := 0", "\t‸", '\tlog.Println("sum", total)', "\treturn total", "}", ""),
        raw: "for _, x := range xs {\n\t\ttotal += x\n\t}\n\treturn total\n}",
        after: lines(
            "func sum(xs []int) int {",
            "\ttotal := 0",
            "\tfor _, x := range xs {",
            "\t\ttotal += x",
            "\t}",
            '\tlog.Println("sum", total)',
            "\treturn total",
            "}",
            "",
        ),
    },
    {
        name: "java: a return repeating the second non-empty line below stops the suggestion",
        language: "java",
        doc: lines(
            "class Items {",
            "    int countActive() {",
            "        int n = 0;",
            "        ‸",
            '        log.debug("active: {}", n);',
            "        return n;",
            "    }",
            "}",
            "",
        ),
        raw: "for (Item item : items) {\n            if (item.isActive()) n++;\n        }\n        return n;\n    }",
        after: lines(
            "class Items {",
            "    int countActive() {",
            "        int n = 0;",
            "        for (Item item : items) {",
            "            if (item.isActive()) n++;",
            "        }",
            '        log.debug("active: {}", n);',
            "        return n;",
            "    }",
            "}",
            "",
        ),
    },
    {
        name: "rust: a struct field without its trailing comma repeats the field below",
        language: "rust",
        doc: lines("fn config() -> Config {", "    Config {", "        port: 8080,", "        ‸", "        debug: false,", "    }", "}", ""),
        raw: 'host: String::from("localhost"),\n        debug: false\n    }\n}',
        after: lines(
            "fn config() -> Config {",
            "    Config {",
            "        port: 8080,",
            '        host: String::from("localhost"),',
            "        debug: false,",
            "    }",
            "}",
            "",
        ),
    },
    {
        name: "kotlin: a call repeating the second non-empty line below stops the suggestion",
        language: "kotlin",
        doc: lines("fun main() {", "    val server = Server(8080)", "    ‸", '    println("starting")', "    server.start()", "}", ""),
        raw: 'server.route("/health") { "ok" }\n    server.start()\n}',
        after: lines(
            "fun main() {",
            "    val server = Server(8080)",
            '    server.route("/health") { "ok" }',
            '    println("starting")',
            "    server.start()",
            "}",
            "",
        ),
    },
];

runTable("quality C: repetition", cases);
