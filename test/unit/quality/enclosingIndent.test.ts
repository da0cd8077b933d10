/**
 * B. A block ends with its enclosing block, also for a cursor at column 0 of an empty line inside a
 * body: the model's code after the closing line (an invented next method or function) is never
 * shown, and a closing line the code below already has is not written again.
 */
import { lines, runTable, type TableCase } from "./caseTable";

export const cases: TableCase[] = [
    {
        name: "typescript: column 0 in a method body, the invented next method is not shown",
        language: "typescript",
        doc: lines("class Cart {", "    private prices: number[] = [];", "", "    total(): number {", "‸", "    }", "}", ""),
        raw: "        return this.prices.reduce((sum, price) => sum + price, 0);\n    }\n\n    count(): number {\n        return this.prices.length;\n    }\n}\n",
        after: lines("class Cart {", "    private prices: number[] = [];", "", "    total(): number {", "        return this.prices.reduce((sum, price) => sum + price, 0);", "    }", "}", ""),
    },
    {
        name: "typescript: after the opening brace, the existing `}` is not written again and the next function is not shown",
        language: "typescript",
        doc: lines("function add(a: number, b: number): number {‸", "}", ""),
        raw: "\n    return a + b;\n}\n\nfunction subtract(a: number, b: number): number {\n    return a - b;\n}\n",
        after: lines("function add(a: number, b: number): number {", "    return a + b;", "}", ""),
    },
    {
        name: "javascript: column 0 in a callback body, the code after `});` is not shown",
        language: "javascript",
        doc: lines("items.forEach((item) => {", "‸", "});", ""),
        raw: "    console.log(item.name);\n});\n\nitems.map((item) => item.id);\n",
        after: lines("items.forEach((item) => {", "    console.log(item.name);", "});", ""),
    },
    {
        name: "python: column 0 in a function body, the invented next function is not shown",
        language: "python",
        doc: lines("def mean(values):", "‸", "", "", "def main():", "    print(mean([1, 2, 3]))", ""),
        raw: "    return sum(values) / len(values)\n\n\ndef median(values):\n    values = sorted(values)\n    return values[len(values) // 2]\n",
        after: lines("def mean(values):", "    return sum(values) / len(values)", "", "", "def main():", "    print(mean([1, 2, 3]))", ""),
    },
    {
        name: "python: column 0 in a method body, the invented next method is not shown",
        language: "python",
        doc: lines("class Stack:", "    def push(self, item):", "‸", "", "    def pop(self):", "        return self.items.pop()", ""),
        raw: "        self.items.append(item)\n\n    def peek(self):\n        return self.items[-1]\n",
        after: lines("class Stack:", "    def push(self, item):", "        self.items.append(item)", "", "    def pop(self):", "        return self.items.pop()", ""),
    },
    {
        name: "python: after `def ...:` the body is shown and the invented next function is not",
        language: "python",
        doc: lines("def greet(name):‸", "", 'greet("world")', ""),
        raw: '\n    print(f"Hello, {name}!")\n\n\ndef farewell(name):\n    print(f"Bye, {name}!")\n',
        after: lines("def greet(name):", '    print(f"Hello, {name}!")', "", 'greet("world")', ""),
    },
    {
        name: "go: column 0 in a method body, the closing brace is not repeated and the next method is not shown",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func (s *Server) Start() error {", "‸", "}", ""),
        raw: '\tln, err := net.Listen("tcp", s.addr)\n\tif err != nil {\n\t\treturn err\n\t}\n\treturn s.serve(ln)\n}\n\nfunc (s *Server) Stop() error {\n\treturn s.ln.Close()\n}\n',
        after: lines("func (s *Server) Start() error {", '\tln, err := net.Listen("tcp", s.addr)', "\tif err != nil {", "\t\treturn err", "\t}", "\treturn s.serve(ln)", "}", ""),
    },
    {
        name: "go: after the opening brace, the body only",
        language: "go",
        tabSize: 4,
        insertSpaces: false,
        doc: lines("func double(n int) int {‸", "}", ""),
        raw: "\n\treturn n * 2\n}\n\nfunc triple(n int) int {\n\treturn n * 3\n}\n",
        after: lines("func double(n int) int {", "\treturn n * 2", "}", ""),
    },
    {
        name: "rust: column 0 in a method of an impl, the invented next method is not shown",
        language: "rust",
        doc: lines("impl Counter {", "    fn increment(&mut self) {", "‸", "    }", "}", ""),
        raw: "        self.count += 1;\n    }\n\n    fn reset(&mut self) {\n        self.count = 0;\n    }\n}\n",
        after: lines("impl Counter {", "    fn increment(&mut self) {", "        self.count += 1;", "    }", "}", ""),
    },
    {
        name: "java: column 0 in a method body, the invented next method is not shown",
        language: "java",
        doc: lines("public class Account {", "    private long balance;", "", "    public long getBalance() {", "‸", "    }", "}", ""),
        raw: "        return balance;\n    }\n\n    public void deposit(long amount) {\n        balance += amount;\n    }\n}\n",
        after: lines("public class Account {", "    private long balance;", "", "    public long getBalance() {", "        return balance;", "    }", "}", ""),
    },
    {
        name: "c: column 0 in a function body, the invented next function is not shown",
        language: "c",
        doc: lines("int square(int x) {", "‸", "}", "", "int main(void) {", "    return square(3);", "}", ""),
        raw: "    return x * x;\n}\n\nint cube(int x) {\n    return x * x * x;\n}\n",
        after: lines("int square(int x) {", "    return x * x;", "}", "", "int main(void) {", "    return square(3);", "}", ""),
    },
    {
        name: "csharp: column 0 in a method body, the invented next method is not shown",
        language: "csharp",
        doc: lines("public class Greeter", "{", "    public string Greet(string name)", "    {", "‸", "    }", "}", ""),
        raw: '        return $"Hello, {name}!";\n    }\n\n    public string Farewell(string name)\n    {\n        return $"Bye, {name}!";\n    }\n}\n',
        after: lines("public class Greeter", "{", "    public string Greet(string name)", "    {", '        return $"Hello, {name}!";', "    }", "}", ""),
    },
    {
        name: "kotlin: column 0 in a function body, the invented next function is not shown",
        language: "kotlin",
        doc: lines("class Circle(val radius: Double) {", "    fun area(): Double {", "‸", "    }", "}", ""),
        raw: "        return Math.PI * radius * radius\n    }\n\n    fun circumference(): Double {\n        return 2 * Math.PI * radius\n    }\n}\n",
        after: lines("class Circle(val radius: Double) {", "    fun area(): Double {", "        return Math.PI * radius * radius", "    }", "}", ""),
    },
    {
        name: "swift: column 0 in a function body, the invented next function is not shown",
        language: "swift",
        doc: lines("struct Temperature {", "    var celsius: Double", "", "    func fahrenheit() -> Double {", "‸", "    }", "}", ""),
        raw: "        return celsius * 9 / 5 + 32\n    }\n\n    func kelvin() -> Double {\n        return celsius + 273.15\n    }\n}\n",
        after: lines("struct Temperature {", "    var celsius: Double", "", "    func fahrenheit() -> Double {", "        return celsius * 9 / 5 + 32", "    }", "}", ""),
    },
    {
        name: "php: column 0 in a method body, the invented next method is not shown",
        language: "php",
        doc: lines("<?php", "class User", "{", "    public function getName(): string", "    {", "‸", "    }", "}", ""),
        raw: "        return $this->name;\n    }\n\n    public function getEmail(): string\n    {\n        return $this->email;\n    }\n}\n",
        after: lines("<?php", "class User", "{", "    public function getName(): string", "    {", "        return $this->name;", "    }", "}", ""),
    },
    {
        name: "ruby: column 0 in a method body, `end` is not repeated and the next method is not shown",
        language: "ruby",
        doc: lines("class User", "  def full_name", "‸", "  end", "end", ""),
        raw: '    "#{first_name} #{last_name}"\n  end\n\n  def email\n    @email\n  end\nend\n',
        after: lines("class User", "  def full_name", '    "#{first_name} #{last_name}"', "  end", "end", ""),
    },
    {
        name: "lua: column 0 in a function body, `end` is not repeated and the next function is not shown",
        language: "lua",
        doc: lines("local M = {}", "", "function M.add(a, b)", "‸", "end", "", "return M", ""),
        raw: "  return a + b\nend\n\nfunction M.sub(a, b)\n  return a - b\nend\n",
        after: lines("local M = {}", "", "function M.add(a, b)", "  return a + b", "end", "", "return M", ""),
    },
    {
        name: "javascript: column 0 in a nested if body, the code after the inner `}` is not shown",
        language: "javascript",
        doc: lines("function check(user) {", "    if (!user.active) {", "‸", "    }", "    return user;", "}", ""),
        raw: '        throw new Error("inactive user");\n    }\n    return user;\n}\n\nfunction activate(user) {\n',
        after: lines("function check(user) {", "    if (!user.active) {", '        throw new Error("inactive user");', "    }", "    return user;", "}", ""),
    },
];

runTable("quality B: a block ends with its enclosing block", cases);
