/**
 * H. Whitespace at the suggestion's edges: a trailing space that separates it from the code after
 * the cursor is kept; a leading space after a prefix that already ends in a space is dropped;
 * trailing whitespace at the end of a line is dropped.
 */
import { lines, runTable, type TableCase } from "./caseTable";

export const cases: TableCase[] = [
    // A trailing space before the code after the cursor
    {
        name: "javascript: the space between a new first argument and the existing one is kept",
        language: "javascript",
        doc: lines("function greet(name) {", "    return format(‸name);", "}", ""),
        raw: '"Hello, %s", ',
        after: lines("function greet(name) {", '    return format("Hello, %s", name);', "}", ""),
    },
    {
        name: "python: the space between a new first argument and the existing one is kept",
        language: "python",
        doc: lines("def greet(name):", "    print(‸name)", ""),
        raw: '"Hello,", ',
        after: lines("def greet(name):", '    print("Hello,", name)', ""),
    },
    {
        name: "typescript: the space before the existing operand is kept",
        language: "typescript",
        doc: lines("function triangle(width: number, height: number): number {", "    return ‸width * height;", "}", ""),
        raw: "0.5 * ",
        after: lines("function triangle(width: number, height: number): number {", "    return 0.5 * width * height;", "}", ""),
    },
    {
        name: "go: the space between a format string and the existing argument is kept",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func greet(name string) {", "\tfmt.Printf(‸name)", "}", ""),
        raw: '"Hello, %s\\n", ',
        after: lines("func greet(name string) {", '\tfmt.Printf("Hello, %s\\n", name)', "}", ""),
    },
    {
        name: "rust: the space before the existing operand is kept",
        language: "rust",
        doc: lines("fn cost(quantity: u32, price: u32) -> u32 {", "    let total = ‸price;", "    total", "}", ""),
        raw: "quantity * ",
        after: lines("fn cost(quantity: u32, price: u32) -> u32 {", "    let total = quantity * price;", "    total", "}", ""),
    },
    {
        name: "csharp: the space between a format string and the existing argument is kept",
        language: "csharp",
        doc: lines("static void Greet(string name)", "{", "    Console.WriteLine(‸name);", "}", ""),
        raw: '"Hi {0}", ',
        after: lines("static void Greet(string name)", "{", '    Console.WriteLine("Hi {0}", name);', "}", ""),
    },

    // A leading space after a prefix ending in a space
    {
        name: "typescript: `return ` then ` this;` gives one space",
        language: "typescript",
        doc: lines("class Builder {", "    private x = 0;", "    with(x: number): Builder {", "        this.x = x;", "        return ‸", "    }", "}", ""),
        raw: " this;\n    }\n}",
        after: lines(
            "class Builder {",
            "    private x = 0;",
            "    with(x: number): Builder {",
            "        this.x = x;",
            "        return this;",
            "    }",
            "}",
            "",
        ),
    },
    {
        name: "python: `return ` then ` None` gives one space",
        language: "python",
        doc: lines("def find(items, key):", "    for item in items:", "        if item.key == key:", "            return item", "    return ‸", ""),
        raw: " None\n",
        after: lines("def find(items, key):", "    for item in items:", "        if item.key == key:", "            return item", "    return None", ""),
    },
    {
        name: "go: `return ` then ` nil, err` gives one space",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines(
            "func open(path string) (*os.File, error) {",
            "\tf, err := os.Open(path)",
            "\tif err != nil {",
            "\t\treturn ‸",
            "\t}",
            "\treturn f, nil",
            "}",
            "",
        ),
        raw: " nil, err\n\t}",
        after: lines(
            "func open(path string) (*os.File, error) {",
            "\tf, err := os.Open(path)",
            "\tif err != nil {",
            "\t\treturn nil, err",
            "\t}",
            "\treturn f, nil",
            "}",
            "",
        ),
    },
    {
        name: "ruby: `@count = ` then ` 0` gives one space",
        language: "ruby",
        doc: lines("class Counter", "  def initialize", "    @count = ‸", "  end", "end", ""),
        raw: " 0\n  end",
        after: lines("class Counter", "  def initialize", "    @count = 0", "  end", "end", ""),
    },
    {
        name: "php: `$name = ` then ` 'guest';` gives one space",
        language: "php",
        doc: lines("<?php", "$name = ‸", ""),
        raw: " 'guest';\n",
        after: lines("<?php", "$name = 'guest';", ""),
    },
    {
        name: "yaml: `name: ` then ` hearth` gives one space",
        language: "yaml",
        doc: lines("name: ‸", "version: 0.1.0", ""),
        raw: " hearth\n",
        after: lines("name: hearth", "version: 0.1.0", ""),
    },
    {
        name: 'lua: `local name = ` then ` "hearth"` gives one space',
        language: "lua",
        doc: lines("local name = ‸", "print(name)", ""),
        raw: ' "hearth"\n',
        after: lines('local name = "hearth"', "print(name)", ""),
    },

    // Trailing whitespace at the end of a line
    {
        name: "javascript: trailing spaces at the end of the line are dropped",
        language: "javascript",
        doc: lines("const limit = ‸", ""),
        raw: "100;   ",
        after: lines("const limit = 100;", ""),
    },
    {
        name: "python: trailing whitespace on every line of a block is dropped",
        language: "python",
        doc: lines("def setup():", "    ‸", ""),
        raw: "a = 1  \n    b = 2\t\n    return a + b  \n",
        after: lines("def setup():", "    a = 1", "    b = 2", "    return a + b", ""),
    },
    {
        name: "c: trailing whitespace on every line of a block is dropped",
        language: "c",
        doc: lines("int main(void) {", "    ‸", "}", ""),
        raw: "int x = 1; \n    int y = 2;\t\n    return x + y;  \n}",
        after: lines("int main(void) {", "    int x = 1;", "    int y = 2;", "    return x + y;", "}", ""),
    },
    {
        name: "kotlin: `return ` then ` a + b` gives one space",
        language: "kotlin",
        doc: lines("fun add(a: Int, b: Int): Int {", "    return ‸", "}", ""),
        raw: " a + b\n}",
        after: lines("fun add(a: Int, b: Int): Int {", "    return a + b", "}", ""),
    },
];

runTable("quality H: whitespace at the edges", cases);
