/**
 * I. A closer the code below does not supply is kept: when the suggestion closes a block that is
 * left open after the cursor (an `if` whose `}` is missing, a function at the end of the file), its
 * closing line stays, and the model's code after it is not shown.
 */
import { lines, runTable, type TableCase } from "./caseTable";

export const cases: TableCase[] = [
    {
        name: "javascript: the `}` of an if whose brace is missing is kept",
        language: "javascript",
        doc: lines("function check(x) {", "    if (x > 0) {", "        ‸", "}", ""),
        raw: "return true;\n    }\n    return false;\n}",
        after: lines("function check(x) {", "    if (x > 0) {", "        return true;", "    }", "}", ""),
    },
    {
        name: "javascript: the function's `}` at the end of the file is kept, the next function is not shown",
        language: "javascript",
        doc: lines("function area(r) {", "    ‸"),
        raw: "return Math.PI * r * r;\n}\n\nfunction perimeter(r) {\n    return 2 * Math.PI * r;\n}\n",
        after: lines("function area(r) {", "    return Math.PI * r * r;", "}"),
    },
    {
        name: "typescript: a callback's `});` at the end of the file is kept",
        language: "typescript",
        doc: lines('app.get("/health", (req, res) => {', "    ‸"),
        raw: 'res.json({ status: "ok" });\n});\n\napp.listen(3000);\n',
        after: lines('app.get("/health", (req, res) => {', '    res.json({ status: "ok" });', "});"),
    },
    {
        name: "c: the `}` of an if whose brace is missing is kept, the line below not repeated",
        language: "c",
        doc: lines("int sign(int x) {", "    if (x < 0) {", "        ‸", "    return 1;", "}", ""),
        raw: "return -1;\n    }\n    return 1;\n}",
        after: lines("int sign(int x) {", "    if (x < 0) {", "        return -1;", "    }", "    return 1;", "}", ""),
    },
    {
        name: "go: the function's `}` at the end of the file is kept",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func (c *Cache) Get(key string) (string, bool) {", "\tc.mu.Lock()", "\t‸"),
        raw: "defer c.mu.Unlock()\n\tv, ok := c.items[key]\n\treturn v, ok\n}\n\nfunc (c *Cache) Set(key, value string) {\n",
        after: lines(
            "func (c *Cache) Get(key string) (string, bool) {",
            "\tc.mu.Lock()",
            "\tdefer c.mu.Unlock()",
            "\tv, ok := c.items[key]",
            "\treturn v, ok",
            "}",
        ),
    },
    {
        name: "rust: the `}` of a method whose brace is missing is kept inside the impl",
        language: "rust",
        doc: lines("impl Stack {", "    fn push(&mut self, x: i32) {", "        ‸", "}", ""),
        raw: "self.items.push(x);\n    }\n\n    fn pop(&mut self) -> Option<i32> {\n        self.items.pop()\n    }\n}",
        after: lines("impl Stack {", "    fn push(&mut self, x: i32) {", "        self.items.push(x);", "    }", "}", ""),
    },
    {
        name: "java: the method's `}` is kept inside the class, the next method is not shown",
        language: "java",
        doc: lines("public class Greeter {", "    public String greet(String name) {", "        ‸", "}", ""),
        raw: 'return "Hello, " + name;\n    }\n\n    public String farewell(String name) {\n        return "Bye, " + name;\n    }\n}',
        after: lines("public class Greeter {", "    public String greet(String name) {", '        return "Hello, " + name;', "    }", "}", ""),
    },
    {
        name: "csharp: the `}` of an if whose brace is missing is kept",
        language: "csharp",
        doc: lines("public static int Abs(int x)", "{", "    if (x < 0)", "    {", "        ‸", "    return x;", "}", ""),
        raw: "return -x;\n    }\n    return x;\n}",
        after: lines("public static int Abs(int x)", "{", "    if (x < 0)", "    {", "        return -x;", "    }", "    return x;", "}", ""),
    },
    {
        name: "php: the function's `}` at the end of the file is kept",
        language: "php",
        doc: lines("<?php", "function slug(string $title): string {", "    ‸"),
        raw: "return strtolower(str_replace(' ', '-', $title));\n}\n\nfunction excerpt(string $text): string {\n",
        after: lines("<?php", "function slug(string $title): string {", "    return strtolower(str_replace(' ', '-', $title));", "}"),
    },
    {
        name: "kotlin: the `}` of an if whose brace is missing is kept",
        language: "kotlin",
        doc: lines("fun describe(n: Int): String {", "    if (n < 0) {", "        ‸", '    return "non-negative"', "}", ""),
        raw: 'return "negative"\n    }\n    return "non-negative"\n}',
        after: lines("fun describe(n: Int): String {", "    if (n < 0) {", '        return "negative"', "    }", '    return "non-negative"', "}", ""),
    },
    {
        name: "swift: the function's `}` at the end of the file is kept",
        language: "swift",
        doc: lines("func greet(_ name: String) -> String {", "    ‸"),
        raw: 'return "Hello, \\(name)!"\n}\n\nfunc farewell(_ name: String) -> String {\n',
        after: lines("func greet(_ name: String) -> String {", '    return "Hello, \\(name)!"', "}"),
    },
    {
        name: "cpp: a struct's `};` at the end of the file is kept",
        language: "cpp",
        doc: lines("struct Point {", "    int x;", "    ‸"),
        raw: "int y;\n};\n\nstruct Size {\n    int w;\n    int h;\n};\n",
        after: lines("struct Point {", "    int x;", "    int y;", "};"),
    },
    {
        name: "css: a rule's `}` at the end of the file is kept, the next rule is not shown",
        language: "css",
        doc: lines(".button {", "  ‸"),
        raw: "color: white;\n  background: #0066cc;\n}\n\n.link {\n  color: #0066cc;\n}\n",
        after: lines(".button {", "  color: white;", "  background: #0066cc;", "}"),
    },
    {
        name: "json: the object's `}` at the end of the file is kept",
        language: "json",
        doc: lines("{", '  "name": "hearth",', "  ‸"),
        raw: '"version": "0.1.0"\n}\n',
        after: lines("{", '  "name": "hearth",', '  "version": "0.1.0"', "}"),
    },
    {
        name: "ruby: a method's `end` at the end of the class body is kept",
        language: "ruby",
        doc: lines("class Cart", "  def total", "    ‸", "end", ""),
        raw: "items.sum(&:price)\n  end\n\n  def count\n    items.size\n  end\nend",
        after: lines("class Cart", "  def total", "    items.sum(&:price)", "  end", "end", ""),
    },
    {
        name: "lua: a function's `end` at the end of the file is kept",
        language: "lua",
        doc: lines("local function clamp(x, lo, hi)", "  ‸"),
        raw: "return math.max(lo, math.min(x, hi))\nend\n\nlocal function lerp(a, b, t)\n",
        after: lines("local function clamp(x, lo, hi)", "  return math.max(lo, math.min(x, hi))", "end"),
    },
];

runTable("quality I: a needed closer is kept", cases);
