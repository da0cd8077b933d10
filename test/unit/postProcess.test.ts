import assert from "node:assert/strict";
import { applySuggestion, type CompletionSite, finalizeSuggestion, findStop, indentationOf } from "../../src/sidecar/completion/postProcess";

/**
 * The cursor line after accepting what finalizeSuggestion shows, against the line with `expected`
 * typed at the cursor: suggestions are judged by the document they leave, however they get there
 * (an insert, or an insert that replaces the closers after the cursor).
 */
function lineAfter(raw: string, site: CompletionSite): string {
    return applySuggestion(site.linePrefix, site.lineSuffix, finalizeSuggestion(raw, site));
}

function lineWith(expected: string, site: CompletionSite): string {
    return site.linePrefix + expected + site.lineSuffix;
}

const QWEN_TOKENS = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|endoftext|>", "<|file_sep|>", "<|repo_name|>"];
const CODELLAMA_TOKENS = ["<PRE>", "<SUF>", "<MID>", "<EOT>"];
const STARCODER_TOKENS = ["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>", "<|endoftext|>"];
const DEEPSEEK_TOKENS = ["<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<｜end▁of▁sentence｜>"];

/** A block-mode site at column 0 of an empty file, with Qwen's special tokens; `over` changes what a case needs. */
function site(over: Partial<CompletionSite> = {}): CompletionSite {
    return { linePrefix: "", lineSuffix: "", nextLines: [], textBefore: "", mode: "block", maxLines: 10, specialTokenTexts: QWEN_TOKENS, ...over };
}

function line(over: Partial<CompletionSite> = {}): CompletionSite {
    return site({ mode: "line", ...over });
}

interface StopCase {
    readonly name: string;
    readonly site: CompletionSite;
    readonly raw: string;
    readonly stop: number | undefined;
}

interface FinalCase {
    readonly name: string;
    readonly site: CompletionSite;
    readonly raw: string;
    readonly expected: string;
}

const at = (text: string, part: string): number => {
    const index = text.indexOf(part);
    if (index < 0) throw new Error(`test setup: ${JSON.stringify(part)} is not in ${JSON.stringify(text)}`);
    return index;
};

const pyDedent = "y = x * 2\n    return y\n\ndef g():\n    pass\n";
const jsDedent = "log(a);\n        return 1;\n    }\n    return 0;\n}";
const goDedent = "x++\n\t\ty++\n\t}\n";
const repeatBelow = "total += x;\n    return total;\n}";
const pyOpener = "\n    return 3.14 * r * r\n\nprint(area(2))\n";
const jsOpener = "\n    return n * n;\n}\n\nconsole.log(sq(3));";
const jsElse = "\n    a();\n} else {\n    b();\n}\nc();";
const pyElse = "\n    a()\nelse:\n    b()\nc()";

const stopCases: StopCase[] = [
    { name: "line mode: stops at the first newline", site: line({ linePrefix: "const x = " }), raw: "compute();\nconst y = 2;", stop: 10 },
    { name: "line mode: a newline first leaves nothing", site: line({ linePrefix: "x = " }), raw: "\nfoo()", stop: 0 },
    { name: "line mode: no newline yet, go on", site: line({ linePrefix: "x = " }), raw: "compute(", stop: undefined },
    { name: "line mode: stops at the \\r of a \\r\\n", site: line(), raw: "foo();\r\nbar();", stop: 6 },
    {
        name: "line mode: a first line repeating the line below stops at 0",
        site: line({ linePrefix: "    ", nextLines: ["", "    return x;"] }),
        raw: "return x;\n",
        stop: 0,
    },
    { name: "special token in the middle (Qwen <|endoftext|>)", site: site(), raw: "return x;<|endoftext|>junk", stop: 9 },
    { name: "the earliest of several special tokens wins", site: site(), raw: "a<|file_sep|>b<|endoftext|>", stop: 1 },
    { name: "CodeLlama <EOT>", site: site({ specialTokenTexts: CODELLAMA_TOKENS }), raw: "x + 1 <EOT>", stop: 6 },
    { name: "a special token only partly generated is not a stop yet", site: site(), raw: "foo()<|endof", stop: undefined },
    {
        name: "Python: a line indented less than the cursor line ends the block; blank lines do not",
        site: site({ textBefore: "def f(x):\n", linePrefix: "    " }),
        raw: pyDedent,
        stop: at(pyDedent, "def g"),
    },
    {
        name: "Python: blank and whitespace-only lines inside the block go on",
        site: site({ textBefore: "def f():\n", linePrefix: "    " }),
        raw: "a = 1\n\n  \n    b = 2\n",
        stop: undefined,
    },
    {
        name: "TypeScript: the closing brace of the enclosing block ends the suggestion",
        // The code below closes both blocks: the suggestion closes neither.
        site: site({ textBefore: "function f(a) {\n    if (a) {\n", linePrefix: "        ", nextLines: ["    }", "}"] }),
        raw: jsDedent,
        stop: at(jsDedent, "    }"),
    },
    {
        name: "Go: tabs count as tabSize",
        site: site({ textBefore: "func main() {\n\tfor {\n", linePrefix: "\t\t", tabSize: 4, nextLines: ["\t}", "}"] }),
        raw: goDedent,
        stop: at(goDedent, "\t}"),
    },
    {
        name: "a complete line repeating the first non-empty line below stops at its start",
        site: site({ linePrefix: "    ", nextLines: ["", "    return total;", "}"] }),
        raw: repeatBelow,
        stop: at(repeatBelow, "    return total;"),
    },
    {
        name: "a line repeating the line below is only judged once complete",
        site: site({ textBefore: "def f(xs):\n", linePrefix: "    ", nextLines: ["    return total"] }),
        raw: "total = sum(xs)\n    return total",
        stop: undefined,
    },
    { name: "line budget: stops at the maxLines-th line break", site: site({ maxLines: 3 }), raw: "a\nb\nc\nd\ne", stop: 5 },
    { name: "line budget counts blank lines", site: site({ maxLines: 2 }), raw: "a\n\nb", stop: 2 },
    { name: "line budget: exactly maxLines lines go on", site: site({ maxLines: 3 }), raw: "a\nb\nc", stop: undefined },
    {
        name: "Python: after `def f():` the block ends at the next line back at its indentation",
        site: site({ linePrefix: "def area(r):" }),
        raw: pyOpener,
        stop: at(pyOpener, "print"),
    },
    {
        name: "JavaScript: after `{` the closing line is kept and generation stops after it",
        site: site({ linePrefix: "function sq(n) {" }),
        raw: jsOpener,
        stop: at(jsOpener, "}") + 1,
    },
    { name: "JavaScript: `} else {` continues the block", site: site({ linePrefix: "if (ok) {" }), raw: jsElse, stop: jsElse.lastIndexOf("}") + 1 },
    { name: "Python: `else:` continues the block", site: site({ linePrefix: "if ok:" }), raw: pyElse, stop: at(pyElse, "c()") },
    {
        name: "Markdown: a colon with an unindented list after it does not stop",
        site: site({ linePrefix: "Steps:" }),
        raw: "\n1. build\n2. test",
        stop: undefined,
    },
];

const finalCases: FinalCase[] = [
    // The rest of the line
    {
        name: "TypeScript: drops a closer the rest of the line has",
        site: line({ linePrefix: "const s = sum(", lineSuffix: ")" }),
        raw: "a, b)",
        expected: "a, b",
    },
    { name: "keeps the closer of the suggestion's own call", site: line({ linePrefix: "g(", lineSuffix: ")" }), raw: "f(a)", expected: "f(a)" },
    { name: "Python: drops `):` the rest of the line has", site: line({ linePrefix: "def add(", lineSuffix: "):" }), raw: "a, b):", expected: "a, b" },
    {
        name: "drops a quote and paren the rest of the line has",
        site: line({ linePrefix: 'print("', lineSuffix: '")' }),
        raw: 'hello, world")',
        expected: "hello, world",
    },
    { name: "a copy of the rest of the line is nothing", site: line({ linePrefix: "x = foo(", lineSuffix: "bar)" }), raw: "bar)", expected: "" },
    { name: "the start of the rest of the line is nothing", site: line({ linePrefix: "return ", lineSuffix: "items.length;" }), raw: "item", expected: "" },
    { name: "drops a `;` the rest of the line has", site: line({ linePrefix: "let n = ", lineSuffix: ";" }), raw: "count + 1;", expected: "count + 1" },
    { name: "does not drop an overlap that would split a word", site: line({ linePrefix: "const ", lineSuffix: "e = 1;" }), raw: "value", expected: "value" },
    {
        name: "Java: string with a colon, closer from the rest of the line dropped",
        site: line({
            textBefore: "class A {\n    void p(int total) {\n",
            linePrefix: "        System.out.println(",
            lineSuffix: ");",
            nextLines: ["    }", "}"],
        }),
        raw: '"total: " + total);',
        expected: '"total: " + total',
    },
    {
        name: "JSON: brackets inside the string ignored, the closing quote and comma dropped",
        site: line({ textBefore: "{\n", linePrefix: '  "pattern": "', lineSuffix: '",', nextLines: ['  "flags": "g"', "}"] }),
        raw: '[a-z]+(\\d)?",',
        expected: "[a-z]+(\\d)?",
    },
    {
        name: "block mode: a one-line suggestion gets the rest-of-line rule",
        site: site({ linePrefix: "foo(", lineSuffix: ")" }),
        raw: "a, b)\n",
        expected: "a, b",
    },

    // Shape and whitespace
    { name: "line mode keeps only the first line", site: line({ linePrefix: "x = " }), raw: "a + b;\nreturn c;", expected: "a + b;" },
    { name: "trailing whitespace and newlines dropped", site: line({ linePrefix: "x = " }), raw: "foo()   \n", expected: "foo()" },
    { name: "whitespace only is nothing", site: site(), raw: "   \n\n\t", expected: "" },
    { name: "empty is nothing", site: site(), raw: "", expected: "" },
    { name: "keeps the first line's leading whitespace", site: site({ textBefore: "def f():\n" }), raw: "    return 42\n", expected: "    return 42" },
    { name: "line budget", site: site({ maxLines: 2 }), raw: "a = 1\nb = 2\nc = 3", expected: "a = 1\nb = 2" },
    { name: "CRLF from the model becomes LF", site: site(), raw: "a = 1\r\nb = 2\r\n", expected: "a = 1\nb = 2" },
    {
        name: "a CRLF document (\\r left on the lines) still matches the lines below",
        site: site({ textBefore: "function f() {\r\n", linePrefix: "    ", lineSuffix: "\r", nextLines: ["    return total;\r", "}\r"] }),
        raw: "total += 1;\n    return total;\n}",
        expected: "total += 1;",
    },

    // Special tokens
    { name: "only a special token is nothing", site: site(), raw: "<|endoftext|>", expected: "" },
    { name: "special token at the end", site: site(), raw: "return a + b;<|endoftext|>", expected: "return a + b;" },
    { name: "<|file_sep|> mid-block: the next file is dropped", site: site(), raw: "x = 1\n<|file_sep|>src/other.py\nimport os", expected: "x = 1" },
    { name: "several kinds: the first one cuts", site: site(), raw: "x<|fim_pad|>y<|endoftext|>", expected: "x" },
    { name: "DeepSeek tokens", site: site({ specialTokenTexts: DEEPSEEK_TOKENS }), raw: "n + 1<｜fim▁hole｜>m", expected: "n + 1" },
    { name: "StarCoder tokens", site: site({ specialTokenTexts: STARCODER_TOKENS }), raw: "a<fim_middle>b", expected: "a" },
    { name: "a special token cut off at the end is dropped", site: site(), raw: "value<|endo", expected: "value" },
    {
        name: "a line before a special token is compared with the line below",
        site: site({ linePrefix: "    ", nextLines: ["    return y;"] }),
        raw: "y = 2;\n    return y;<|endoftext|>",
        expected: "y = 2;",
    },

    // Brackets
    { name: "an unmatched closer is cut", site: line({ linePrefix: "x = " }), raw: "a + b) * 2", expected: "a + b" },
    { name: "a mismatched closer is cut", site: line({ linePrefix: "let a = [1, 2" }), raw: ", 3);", expected: ", 3" },
    { name: "brackets in strings of the suggestion are ignored", site: line({ linePrefix: 'const re = "(" + ' }), raw: 'name + ")";', expected: 'name + ")";' },
    {
        name: "brackets in strings before the cursor are ignored",
        site: line({ textBefore: 'const open = "{[(";\n', linePrefix: "log(" }),
        raw: "open))",
        expected: "open)",
    },
    {
        name: "Python: brackets in a # comment are ignored",
        site: line({ textBefore: "def f(xs):  # takes (a list\n", linePrefix: "    return sum(" }),
        raw: "xs))",
        expected: "xs)",
    },
    {
        name: "Python: brackets in a docstring are ignored",
        site: line({ textBefore: 'def f(x):\n    """\n    Args: x (int\n    """\n', linePrefix: "    return g(" }),
        raw: "x))",
        expected: "x)",
    },
    {
        name: "C: brackets in a block comment are ignored",
        site: line({ textBefore: "/* see f(\n */\n", linePrefix: "int y = f(" }),
        raw: "x));",
        expected: "x)",
    },
    {
        name: "balanced nested brackets are kept",
        site: line({ linePrefix: "const v = " }),
        raw: "f(g([1, 2], { a: [3] }));",
        expected: "f(g([1, 2], { a: [3] }));",
    },
    { name: "Rust: lifetimes are not quotes", site: line({ linePrefix: "struct Wrapper" }), raw: "<'a>(&'a str);", expected: "<'a>(&'a str);" },
    {
        name: "TypeScript: brackets left open for the lines below are fine (no closers added)",
        site: site({ textBefore: "const config = {\n", linePrefix: "    ", nextLines: ["};"] }),
        raw: 'port: 8080,\n    hosts: [\n        "a",\n        "b",\n',
        expected: 'port: 8080,\n    hosts: [\n        "a",\n        "b",',
    },
    {
        name: "JavaScript: `});` the lines below already have is cut",
        site: site({ textBefore: "items.forEach((item) => {\n", linePrefix: "    ", nextLines: ["});"] }),
        raw: "console.log(item);\n    });",
        expected: "console.log(item);",
    },
    {
        name: "Rust: a closing brace the line below supplies is cut",
        site: line({ textBefore: "fn main() {\n    let v = vec![1, 2];\n", linePrefix: "    ", nextLines: ["}"] }),
        raw: "}",
        expected: "",
    },
    {
        name: "TypeScript: closing the inner block is kept when the line below closes the outer one",
        site: site({ textBefore: "function f(a) {\n    if (a) {\n        run();\n", linePrefix: "    ", nextLines: ["}"] }),
        raw: "}\n    return a;",
        expected: "}\n    return a;",
    },

    // Block scope and repeats
    {
        name: "Python: stops at a dedent past a blank line",
        site: site({ textBefore: "class Stack:\n    def push(self, x):\n", linePrefix: "        " }),
        raw: "self.items.append(x)\n\n    def pop(self):\n        return self.items.pop()\n",
        expected: "self.items.append(x)",
    },
    {
        name: "Go: stops at the enclosing block's brace",
        site: site({ textBefore: "func main() {\n\tfor i := 0; i < 3; i++ {\n", linePrefix: "\t\t", nextLines: ["\t}", "}"] }),
        raw: "fmt.Println(i)\n\t}\n}",
        expected: "fmt.Println(i)",
    },
    {
        name: "YAML: stops at the next sibling key",
        site: site({ textBefore: "services:\n  web:\n", linePrefix: "    " }),
        raw: 'image: nginx\n    ports:\n      - "80:80"\n  db:\n    image: postgres',
        expected: 'image: nginx\n    ports:\n      - "80:80"',
    },
    {
        name: "JSON: stops at the array's closing bracket",
        site: site({ textBefore: '{\n  "tags": [\n', linePrefix: "    ", nextLines: ["  ]", "}"] }),
        raw: '"vscode",\n    "llm"\n  ],\n  "x": 1\n}',
        expected: '"vscode",\n    "llm"',
    },
    {
        name: "C: trailing lines repeating the code below are dropped; the loop's own brace is kept",
        site: site({ textBefore: "int sum(int *a, int n) {\n    int s = 0;\n", linePrefix: "    ", nextLines: ["    return s;", "}"] }),
        raw: "for (int i = 0; i < n; i++) {\n        s += a[i];\n    }\n    return s;\n}",
        expected: "for (int i = 0; i < n; i++) {\n        s += a[i];\n    }",
    },
    {
        name: "Java: a `}` indented deeper than the `}` below is not a repeat",
        site: site({ textBefore: "public int max(int a, int b) {\n", linePrefix: "    ", nextLines: ["}"] }),
        raw: "if (a > b) {\n        return a;\n    }\n    return b;\n}",
        expected: "if (a > b) {\n        return a;\n    }\n    return b;",
    },
    {
        name: "the last (unterminated) line repeating the line below is dropped",
        site: site({ linePrefix: "    ", nextLines: ["    return total;", "}"] }),
        raw: "total += 1;\n    return total;",
        expected: "total += 1;",
    },
    {
        name: "block: a first line repeating the line below is nothing",
        site: site({ linePrefix: "    ", nextLines: ["    return total;"] }),
        raw: "return total;\n}",
        expected: "",
    },
    {
        name: "line: a suggestion repeating the line below is nothing",
        site: line({ linePrefix: "  return ", nextLines: ["  return x;"] }),
        raw: "x;",
        expected: "",
    },
    {
        name: "block: a first line repeating the rest of the cursor line is nothing",
        site: site({ linePrefix: "    x = ", lineSuffix: "compute(a, b)" }),
        raw: "compute(a, b)\n    y = 2",
        expected: "",
    },
    {
        name: "Python: after `def f():` the next top-level statement is dropped",
        site: site({ linePrefix: "def area(r):" }),
        raw: pyOpener,
        expected: "\n    return 3.14 * r * r",
    },
    {
        name: "JavaScript: after `{` the body and its closing brace are kept",
        site: site({ linePrefix: "function sq(n) {" }),
        raw: jsOpener,
        expected: "\n    return n * n;\n}",
    },
];

describe("postProcess", () => {
    describe("indentationOf", () => {
        const cases: [line: string, tabSize: number | undefined, expected: number][] = [
            ["    x", undefined, 4],
            ["\tx", undefined, 4],
            ["\t\tx", 2, 4],
            [" \tx", 4, 5],
            ["", undefined, 0],
            ["   ", undefined, 3],
            ["x    ", undefined, 0],
        ];
        for (const [text, tabSize, expected] of cases) {
            it(`${JSON.stringify(text)} with tabSize ${tabSize ?? "default"} is ${expected}`, () => {
                assert.equal(indentationOf(text, tabSize), expected);
            });
        }
    });

    describe("findStop", () => {
        for (const c of stopCases) {
            it(c.name, () => {
                assert.equal(findStop(c.raw, c.site), c.stop);
            });
        }
    });

    describe("finalizeSuggestion", () => {
        for (const c of finalCases) {
            it(c.name, () => {
                assert.equal(lineAfter(c.raw, c.site), lineWith(c.expected, c.site));
                assert.equal(finalizeSuggestion(c.raw, c.site).insertText === "", c.expected === "", "shown exactly when something is expected");
            });
        }
    });

    describe("streaming agrees with the final pass", () => {
        // Where findStop first stops while the text streams in, one character at a time, the
        // suggestion from the text so far is already the final one.
        for (const c of finalCases) {
            it(c.name, () => {
                for (let length = 1; length <= c.raw.length; length++) {
                    const soFar = c.raw.slice(0, length);
                    const stop = findStop(soFar, c.site);
                    if (stop === undefined) continue;
                    assert.ok(stop <= length);
                    assert.equal(lineAfter(soFar, c.site), lineWith(c.expected, c.site));
                    assert.equal(lineAfter(c.raw.slice(0, stop), c.site), lineWith(c.expected, c.site));
                    return;
                }
            });
        }
    });

    it("never lets a special token through, whatever the mode", () => {
        for (const mode of ["line", "block"] as const) {
            for (const token of QWEN_TOKENS) {
                const out = finalizeSuggestion(`a${token}b\n${token}`, site({ mode }));
                assert.deepEqual(out, { insertText: "a", replaceEnd: 0 });
            }
        }
    });
});
