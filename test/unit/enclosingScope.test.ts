import assert from "node:assert/strict";
import { enclosingScope, type LineRange } from "../../src/extension/actions/enclosingScope";

interface ScopeCase {
    readonly name: string;
    readonly languageId: string;
    /** The source; the line holding "<|>" is the one asked about (the marker is removed). */
    readonly source: string;
    readonly expected: LineRange | undefined;
}

const HERE = "<|>";

function split(source: string): { lines: string[]; line: number } {
    const lines = source.split("\n");
    const line = lines.findIndex((l) => l.includes(HERE));
    if (line < 0) throw new Error(`test setup: no ${HERE} in the source`);
    lines[line] = lines[line].replace(HERE, "");
    return { lines, line };
}

const cases: readonly ScopeCase[] = [
    {
        name: "TypeScript: a line in a function gives the function",
        languageId: "typescript",
        source: [
            'import x from "y";',
            "",
            "export function add(a: number, b: number): number {",
            "    const sum = a + b;<|>",
            "    return sum;",
            "}",
            "",
            "add(1, 2);",
        ].join("\n"),
        expected: { start: 2, end: 5 },
    },
    {
        name: "TypeScript: a line in a method gives the method, not the class",
        languageId: "typescript",
        source: [
            "export class Counter {",
            "    private count = 0;",
            "",
            "    public increment(by = 1): void {",
            "        this.count += by;<|>",
            "    }",
            "}",
        ].join("\n"),
        expected: { start: 3, end: 5 },
    },
    {
        name: "TypeScript: a field between methods gives the class",
        languageId: "typescript",
        source: ["class A {", "    f() {", "        return 1;", "    }", "    x = 2;<|>", "    g() {}", "}"].join("\n"),
        expected: { start: 0, end: 6 },
    },
    {
        name: "TypeScript: an arrow function assigned to a const",
        languageId: "typescript",
        source: [
            "const handler = async (event: Event): Promise<void> => {",
            "    if (!event) {",
            "        return;<|>",
            "    }",
            "    await run(event);",
            "};",
            "run();",
        ].join("\n"),
        expected: { start: 0, end: 5 },
    },
    {
        name: "TypeScript: an arrow function with an expression body",
        languageId: "typescript",
        source: ["const double = (x: number) =>", "    x * 2;<|>", "const triple = (x: number) => x * 3;"].join("\n"),
        expected: { start: 0, end: 1 },
    },
    {
        name: "TypeScript: nested functions give the innermost",
        languageId: "typescript",
        source: ["function outer() {", "    function inner() {", "        return 1;<|>", "    }", "    return inner();", "}"].join("\n"),
        expected: { start: 1, end: 3 },
    },
    {
        name: "TypeScript: after a nested function ends, the outer one",
        languageId: "typescript",
        source: ["function outer() {", "    function inner() {", "        return 1;", "    }", "    return inner();<|>", "}"].join("\n"),
        expected: { start: 0, end: 5 },
    },
    {
        name: "TypeScript: braces in strings and comments do not count",
        languageId: "typescript",
        source: ["function f() {", '    const s = "}"; // }', "    /* { */", "    const t = `${s}}`;", "    return s;<|>", "}"].join("\n"),
        expected: { start: 0, end: 5 },
    },
    {
        name: "TypeScript: top-level code gives undefined",
        languageId: "typescript",
        source: ['import { a } from "./a";', "", "function f() {", "    return 1;", "}", "", "console.log(f());<|>"].join("\n"),
        expected: undefined,
    },
    {
        name: "JavaScript: a call with a callback is not a definition",
        languageId: "javascript",
        source: ["setTimeout(() => {", "    tick();<|>", "}, 10);"].join("\n"),
        expected: undefined,
    },
    {
        name: "Python: a line in a def gives the def",
        languageId: "python",
        source: ["import os", "", "def area(r):", "    pi = 3.14159", "    return pi * r * r<|>", "", "print(area(2))"].join("\n"),
        expected: { start: 2, end: 4 },
    },
    {
        name: "Python: a method gives the method, without its decorator",
        languageId: "python",
        source: [
            "class Shape:",
            "    sides = 0",
            "",
            "    @property",
            "    def name(self):",
            '        return "shape"<|>',
            "",
            "    def other(self):",
            "        pass",
        ].join("\n"),
        expected: { start: 4, end: 5 },
    },
    {
        name: "Python: a class attribute gives the class",
        languageId: "python",
        source: ["@dataclass", "class Point:", "    x: int = 0<|>", "    y: int = 0", "", "    def norm(self):", "        return 0", "", "p = Point()"].join(
            "\n",
        ),
        expected: { start: 1, end: 6 },
    },
    {
        name: "Python: nested defs give the innermost",
        languageId: "python",
        source: ["def outer():", "    def inner(x):", "        return x + 1<|>", "    return inner(1)"].join("\n"),
        expected: { start: 1, end: 2 },
    },
    {
        name: "Python: a multi-line signature and a docstring at column 0 stay in the body",
        languageId: "python",
        source: [
            "def f(",
            "    a,",
            "    b,",
            "):",
            '    """Adds.',
            "",
            "More text at column 0:",
            "def not_a_def():",
            '    """',
            "    return a + b<|>",
            "",
            "x = 1",
        ].join("\n"),
        expected: { start: 0, end: 9 },
    },
    {
        name: "Python: top-level code gives undefined",
        languageId: "python",
        source: ["def f():", "    return 1", "", 'if __name__ == "__main__":', "    f()<|>"].join("\n"),
        expected: undefined,
    },
    {
        name: "Go: a function with a receiver",
        languageId: "go",
        source: [
            "package main",
            "",
            "func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {",
            "\tif r == nil {",
            "\t\treturn<|>",
            "\t}",
            "}",
            "",
            "var x = 1",
        ].join("\n"),
        expected: { start: 2, end: 6 },
    },
    {
        name: "Rust: a method in an impl block, lifetimes and all",
        languageId: "rust",
        source: [
            "impl<'a> Parser<'a> {",
            "    pub fn next(&mut self) -> Option<&'a str> {",
            "        let c = '{';",
            "        self.rest.get(0..1)<|>",
            "    }",
            "}",
        ].join("\n"),
        expected: { start: 1, end: 4 },
    },
    {
        name: "Rust: a line in an impl block outside its methods gives the impl",
        languageId: "rust",
        source: ["impl Point {", "    const ORIGIN: Point = Point { x: 0 };<|>", "    fn x(&self) -> i32 { self.x }", "}"].join("\n"),
        expected: { start: 0, end: 3 },
    },
    {
        name: "Java: an annotated method in a class",
        languageId: "java",
        source: ["public class Greeter {", "    @Override", "    public String toString() {", '        return "Greeter";<|>', "    }", "}"].join("\n"),
        expected: { start: 2, end: 4 },
    },
    {
        name: "Java: an abstract method declaration is skipped for the class",
        languageId: "java",
        source: ["abstract class Shape {", "    abstract double area();", "    int sides = 3;<|>", "}"].join("\n"),
        expected: { start: 0, end: 3 },
    },
    {
        name: "C#: a method with its brace on the next line",
        languageId: "csharp",
        source: ["public class Calc", "{", "    public static int Add(int a, int b)", "    {", "        return a + b;<|>", "    }", "}"].join("\n"),
        expected: { start: 2, end: 5 },
    },
    {
        name: "C: a function with its return type on the line above",
        languageId: "c",
        source: ["#include <stdio.h>", "", "static int", "count(const char *s)", "{", "    int n = 0; /* } */", "    return n;<|>", "}"].join("\n"),
        expected: { start: 3, end: 7 },
    },
    {
        name: "Ruby: a method ends at its end",
        languageId: "ruby",
        source: ["class Dog", "  def bark", '    puts "woof"<|>', "  end", "end"].join("\n"),
        expected: { start: 1, end: 3 },
    },
];

describe("enclosingScope", () => {
    for (const c of cases) {
        it(c.name, () => {
            const { lines, line } = split(c.source);
            assert.deepEqual(enclosingScope(lines, line, c.languageId), c.expected);
        });
    }

    it("the definition line itself is inside its scope", () => {
        assert.deepEqual(enclosingScope(["function f() {", "  return 1;", "}"], 0, "typescript"), { start: 0, end: 2 });
    });

    it("a line out of range gives undefined", () => {
        assert.equal(enclosingScope(["function f() {}"], 5, "typescript"), undefined);
        assert.equal(enclosingScope([], 0, "python"), undefined);
    });
});
