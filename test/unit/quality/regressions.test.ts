/**
 * K. Behaviour to keep: special token texts are never shown and end the suggestion; line mode
 * stops at the end of the line; block mode stops at the dedent; code that repeats the line right
 * below is not shown; a closer the code after the cursor already has is not written twice.
 */
import { lines, nothing, runTable, type TableCase } from "./caseTable";

export const cases: TableCase[] = [
    // Special tokens
    {
        name: "typescript: `<|endoftext|>` ends the suggestion",
        language: "typescript",
        doc: lines("const port = ‸", ""),
        raw: '3000;<|endoftext|>const host = "localhost";',
        after: lines("const port = 3000;", ""),
    },
    {
        name: "python: `<|fim_middle|>` ends the suggestion",
        language: "python",
        doc: lines("def add(a, b):", "    ‸", ""),
        raw: "return a + b<|fim_middle|>return a + b",
        after: lines("def add(a, b):", "    return a + b", ""),
    },
    {
        name: "go: `<|file_sep|>` and the next file are not shown",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func loadConfig() Config {", "\tport := ‸", "\treturn Config{Port: port}", "}", ""),
        raw: 'os.Getenv("PORT")<|file_sep|>config_test.go\npackage config',
        after: lines("func loadConfig() Config {", '\tport := os.Getenv("PORT")', "\treturn Config{Port: port}", "}", ""),
    },
    {
        name: "rust: `<|im_start|>` ends the suggestion",
        language: "rust",
        doc: lines("fn main() {", "    let name = ‸", "}", ""),
        raw: 'String::from("hearth");<|im_start|>assistant\n',
        after: lines("fn main() {", '    let name = String::from("hearth");', "}", ""),
    },
    {
        name: "python: a special token cut off at the end is not shown",
        language: "python",
        doc: lines("result = ‸", ""),
        raw: "compute()<|endo",
        after: lines("result = compute()", ""),
    },
    {
        name: "shellscript: `<|endoftext|>` after a loop body line ends the suggestion",
        language: "shellscript",
        doc: lines("for f in *.txt; do", "  ‸", "done", ""),
        raw: 'echo "$f"\n<|endoftext|>',
        after: lines("for f in *.txt; do", '  echo "$f"', "done", ""),
    },
    nothing({
        name: "kotlin: a suggestion of only `<|endoftext|>` shows nothing",
        language: "kotlin",
        doc: lines("fun main() {", "    ‸", "}", ""),
        raw: "<|endoftext|>",
    }),

    // Line mode stops at the end of the line
    {
        name: "javascript: line mode stops at the end of the line",
        language: "javascript",
        doc: lines("function price(quantity) {", "    const total = ‸", "}", ""),
        raw: "quantity * UNIT_PRICE;\n    return total;\n}",
        after: lines("function price(quantity) {", "    const total = quantity * UNIT_PRICE;", "}", ""),
    },
    {
        name: "java: line mode stops at the end of the line",
        language: "java",
        doc: lines("class Timer {", "    long elapsed() {", "        long now = ‸", "    }", "}", ""),
        raw: "System.currentTimeMillis();\n        return now - start;\n    }",
        after: lines("class Timer {", "    long elapsed() {", "        long now = System.currentTimeMillis();", "    }", "}", ""),
    },
    {
        name: "csharp: line mode stops at the end of the line",
        language: "csharp",
        doc: lines("var builder = WebApplication.CreateBuilder(args);", "var app = ‸", ""),
        raw: 'builder.Build();\napp.MapGet("/", () => "Hello");\napp.Run();',
        after: lines("var builder = WebApplication.CreateBuilder(args);", "var app = builder.Build();", ""),
    },

    // Block mode stops at the dedent
    {
        name: "python: block mode stops where the body dedents",
        language: "python",
        doc: lines("def square(x):", "    ‸", "", "print(square(4))", ""),
        raw: "return x * x\n\nprint(square(3))\n",
        after: lines("def square(x):", "    return x * x", "", "print(square(4))", ""),
    },
    {
        name: "yaml: block mode stops at the next top-level key",
        language: "yaml",
        doc: lines("server:", "  ‸", "database:", "  url: postgres://localhost/app", ""),
        raw: "port: 8080\n  host: 0.0.0.0\nlogging:\n  level: info\n",
        after: lines("server:", "  port: 8080", "  host: 0.0.0.0", "database:", "  url: postgres://localhost/app", ""),
    },
    {
        name: "ruby: block mode stops where the method body dedents",
        language: "ruby",
        doc: lines("def greet(name)", "  ‸", "end", ""),
        raw: 'puts "Hello, #{name}"\nend\n\ngreet("world")\n',
        after: lines("def greet(name)", '  puts "Hello, #{name}"', "end", ""),
    },

    // Code that repeats the line right below
    {
        name: "typescript: a line repeating the line right below is not shown",
        language: "typescript",
        doc: lines("function greet(name: string): string {", "    ‸", "    return message;", "}", ""),
        raw: 'const message = "Hello, " + name;\n    return message;\n}',
        after: lines("function greet(name: string): string {", '    const message = "Hello, " + name;', "    return message;", "}", ""),
    },
    {
        name: "ruby: a line repeating the line right below is not shown",
        language: "ruby",
        doc: lines("def total", "  ‸", "  sum", "end", ""),
        raw: "sum = items.map(&:price).sum\n  sum\nend",
        after: lines("def total", "  sum = items.map(&:price).sum", "  sum", "end", ""),
    },
    nothing({
        name: "python: a suggestion that is just the line below shows nothing",
        language: "python",
        doc: lines("for item in items:", "    ‸", "    total += item.price", ""),
        raw: "total += item.price\n",
    }),

    // A closer the code after the cursor already has
    {
        name: "c: `);` the line already has is not written twice",
        language: "c",
        doc: lines("void show(int count) {", '    printf("%d\\n", ‸);', "}", ""),
        raw: "count);\n}",
        after: lines("void show(int count) {", '    printf("%d\\n", count);', "}", ""),
    },
    {
        name: "html: a closing tag the line already has is not written twice",
        language: "html",
        doc: lines("<head>", "  <title>‸</title>", "</head>", ""),
        raw: "Hearth</title>\n</head>",
        after: lines("<head>", "  <title>Hearth</title>", "</head>", ""),
    },
    {
        name: "java: the `}` the line below has is not written twice after an opening brace",
        language: "java",
        doc: lines(
            "class Lists {",
            "    static String first(List<String> list) {",
            "        if (list.isEmpty()) {‸",
            "        }",
            "        return list.get(0);",
            "    }",
            "}",
            "",
        ),
        raw: "\n            return null;\n        }\n        return list.get(0);",
        after: lines(
            "class Lists {",
            "    static String first(List<String> list) {",
            "        if (list.isEmpty()) {",
            "            return null;",
            "        }",
            "        return list.get(0);",
            "    }",
            "}",
            "",
        ),
    },
];

runTable("quality K: regressions to keep", cases);
