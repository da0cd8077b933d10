/**
 * E. The code before the cursor emitted again: what is typed on the cursor line, written again by
 * the model, is not inserted twice; in block mode, a first generated line equal to the line just
 * above the cursor (the model restarting the function it is inside) shows nothing.
 */
import { lines, nothing, runTable, type TableCase } from "./caseTable";

export const cases: TableCase[] = [
    // The cursor line's text written again
    {
        name: "typescript: `const sum = ` written again is not doubled",
        language: "typescript",
        doc: lines("function add(a: number, b: number): number {", "    const sum = ‸", "    return sum;", "}", ""),
        raw: "const sum = a + b;\n    return sum;",
        after: lines("function add(a: number, b: number): number {", "    const sum = a + b;", "    return sum;", "}", ""),
    },
    {
        name: "javascript: `return ` written again is not doubled",
        language: "javascript",
        doc: lines("function count(items) {", "    return ‸", "}", ""),
        raw: "return items.length;\n}",
        after: lines("function count(items) {", "    return items.length;", "}", ""),
    },
    {
        name: "python: an assignment's target written again is not doubled",
        language: "python",
        doc: lines("def run(x):", "    result = ‸", "    return result", ""),
        raw: "result = compute(x)\n    return result",
        after: lines("def run(x):", "    result = compute(x)", "    return result", ""),
    },
    {
        name: "go: a short variable declaration written again is not doubled",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func parse(input string) string {", "\tname := ‸", "\treturn name", "}", ""),
        raw: "name := strings.TrimSpace(input)\n\treturn name",
        after: lines("func parse(input string) string {", "\tname := strings.TrimSpace(input)", "\treturn name", "}", ""),
    },
    {
        name: "rust: a let binding written again is not doubled",
        language: "rust",
        doc: lines("fn total(items: &[i32]) -> i32 {", "    let total = ‸", "    total", "}", ""),
        raw: "let total = items.iter().sum::<i32>();\n    total",
        after: lines("fn total(items: &[i32]) -> i32 {", "    let total = items.iter().sum::<i32>();", "    total", "}", ""),
    },
    {
        name: "java: a typed declaration written again is not doubled",
        language: "java",
        doc: lines("class Greeter {", "    String greet(User user) {", "        String name = ‸", '        return "Hello, " + name;', "    }", "}", ""),
        raw: 'String name = user.getName();\n        return "Hello, " + name;',
        after: lines(
            "class Greeter {",
            "    String greet(User user) {",
            "        String name = user.getName();",
            '        return "Hello, " + name;',
            "    }",
            "}",
            "",
        ),
    },
    {
        name: "php: a variable assignment written again is not doubled",
        language: "php",
        doc: lines("<?php", "function total($price, $quantity) {", "    $total = ‸", "    return $total;", "}", ""),
        raw: "$total = $price * $quantity;\n    return $total;",
        after: lines("<?php", "function total($price, $quantity) {", "    $total = $price * $quantity;", "    return $total;", "}", ""),
    },
    {
        name: "ruby: an assignment written again is not doubled",
        language: "ruby",
        doc: lines("def full_name(first, last)", "  name = ‸", "  name.strip", "end", ""),
        raw: 'name = "#{first} #{last}"\n  name.strip',
        after: lines("def full_name(first, last)", '  name = "#{first} #{last}"', "  name.strip", "end", ""),
    },
    {
        name: "csharp: a var declaration written again is not doubled",
        language: "csharp",
        doc: lines("public async Task<User> Load(int id)", "{", "    var user = ‸", "    return user;", "}", ""),
        raw: "var user = await _repository.FindAsync(id);\n    return user;",
        after: lines("public async Task<User> Load(int id)", "{", "    var user = await _repository.FindAsync(id);", "    return user;", "}", ""),
    },
    {
        name: "kotlin: a val declaration written again is not doubled",
        language: "kotlin",
        doc: lines("fun area(width: Double, height: Double): Double {", "    val area = ‸", "    return area", "}", ""),
        raw: "val area = width * height\n    return area",
        after: lines("fun area(width: Double, height: Double): Double {", "    val area = width * height", "    return area", "}", ""),
    },
    {
        name: "swift: a let declaration written again is not doubled",
        language: "swift",
        doc: lines("func total(prices: [Double]) -> Double {", "    let total = ‸", "    return total", "}", ""),
        raw: "let total = prices.reduce(0, +)\n    return total",
        after: lines("func total(prices: [Double]) -> Double {", "    let total = prices.reduce(0, +)", "    return total", "}", ""),
    },
    {
        name: "cpp: an auto declaration written again is not doubled",
        language: "cpp",
        doc: lines("bool contains(const std::vector<int>& v, int x) {", "    auto it = ‸", "    return it != v.end();", "}", ""),
        raw: "auto it = std::find(v.begin(), v.end(), x);\n    return it != v.end();",
        after: lines(
            "bool contains(const std::vector<int>& v, int x) {",
            "    auto it = std::find(v.begin(), v.end(), x);",
            "    return it != v.end();",
            "}",
            "",
        ),
    },

    // Block mode: the line above the cursor written again
    nothing({
        name: "python: `def fib(n):` again as the first line of its own body shows nothing",
        language: "python",
        doc: lines("def fib(n):", "    ‸", ""),
        raw: "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    }),
    nothing({
        name: "javascript: the function's header again inside its body shows nothing",
        language: "javascript",
        doc: lines("function greet(name) {", "    ‸", "}", ""),
        raw: 'function greet(name) {\n    return "Hello, " + name;\n}\n',
    }),
    nothing({
        name: "go: the func line again inside its body shows nothing",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func add(a, b int) int {", "\t‸", "}", ""),
        raw: "func add(a, b int) int {\n\treturn a + b\n}\n",
    }),
    nothing({
        name: "c: the function's header again inside its body shows nothing",
        language: "c",
        doc: lines("int max(int a, int b) {", "    ‸", "}", ""),
        raw: "int max(int a, int b) {\n    return a > b ? a : b;\n}\n",
    }),
    nothing({
        name: "ruby: the def line again inside its body shows nothing",
        language: "ruby",
        doc: lines("def greet(name)", "  ‸", "end", ""),
        raw: 'def greet(name)\n  "Hello, #{name}"\nend\n',
    }),
    nothing({
        name: "lua: the function line again inside its body shows nothing",
        language: "lua",
        doc: lines("function M.setup(opts)", "  ‸", "end", ""),
        raw: "function M.setup(opts)\n  opts = opts or {}\nend\n",
    }),
];

runTable("quality E: the prefix emitted again", cases);
