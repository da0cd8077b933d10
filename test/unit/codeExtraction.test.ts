import assert from "node:assert/strict";
import { extractCode, reindent } from "../../src/extension/actions/codeExtraction";

interface ExtractCase {
    readonly name: string;
    readonly answer: string;
    readonly languageId: string;
    readonly expected: string;
}

const T = "```"; // a fence, so that the cases below read as the answers do

const extractCases: readonly ExtractCase[] = [
    {
        name: "a fence with the language's name gives its content",
        answer: `${T}typescript\nconst x = 1;\n${T}`,
        languageId: "typescript",
        expected: "const x = 1;",
    },
    {
        name: "a fence without a language gives its content",
        answer: `${T}\nlet y = 2;\n${T}`,
        languageId: "javascript",
        expected: "let y = 2;",
    },
    {
        name: "a fence named by an alias (ts for typescript) matches",
        answer: `${T}bash\nnpm test\n${T}\n\n${T}ts\nexport const a = 1;\n${T}`,
        languageId: "typescript",
        expected: "export const a = 1;",
    },
    {
        name: "prose around a fenced block is dropped",
        answer: `Here is the updated function:\n\n${T}python\ndef f(x):\n    return x * 2\n${T}\n\nThis doubles its argument.`,
        languageId: "python",
        expected: "def f(x):\n    return x * 2",
    },
    {
        name: "of several blocks, the first that matches the language wins",
        answer: `${T}python\nfirst = 1\n${T}\nand also\n${T}python\nsecond = 2\n${T}`,
        languageId: "python",
        expected: "first = 1",
    },
    {
        name: "with no block in the language, the longest block wins",
        answer: `${T}json\n{}\n${T}\n${T}yaml\nkey: value\nother: thing\n${T}`,
        languageId: "go",
        expected: "key: value\nother: thing",
    },
    {
        name: "an unterminated final fence runs to the end of the answer",
        answer: `Sure:\n${T}go\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n`,
        languageId: "go",
        expected: 'func main() {\n\tfmt.Println("hi")\n}',
    },
    {
        name: "backticks inside the code do not end the block",
        answer: `${T}js\nconst md = \`inline \\\`code\\\` here\`;\nconst fence = "${T}";\n${T}`,
        languageId: "javascript",
        expected: `const md = \`inline \\\`code\\\` here\`;\nconst fence = "${T}";`,
    },
    {
        name: "a longer outer fence holds a shorter inner one",
        answer: `\`\`\`\`markdown\n# Title\n${T}ts\nx();\n${T}\n\`\`\`\``,
        languageId: "markdown",
        expected: `# Title\n${T}ts\nx();\n${T}`,
    },
    {
        name: "a tilde fence counts as a fence",
        answer: "~~~rust\nfn main() {}\n~~~",
        languageId: "rust",
        expected: "fn main() {}",
    },
    {
        name: "CRLF answers give LF code",
        answer: `Here you go:\r\n${T}csharp\r\nint a = 1;\r\nint b = 2;\r\n${T}\r\n`,
        languageId: "csharp",
        expected: "int a = 1;\nint b = 2;",
    },
    {
        name: "the code's own indentation is kept, only blank lines around it are trimmed",
        answer: `${T}python\n\n    if ok:\n        run()\n\n${T}`,
        languageId: "python",
        expected: "    if ok:\n        run()",
    },
    {
        name: "an indented fence in a list item takes its indentation off the content",
        answer: `1. Replace the loop:\n   ${T}ts\n   for (const x of xs) {\n       use(x);\n   }\n   ${T}`,
        languageId: "typescript",
        expected: "for (const x of xs) {\n    use(x);\n}",
    },
    {
        name: "without fences, code alone comes back as it is",
        answer: "function add(a, b) {\n    return a + b;\n}",
        languageId: "javascript",
        expected: "function add(a, b) {\n    return a + b;\n}",
    },
    {
        name: "without fences, leading prose lines are dropped",
        answer: "Sure! Here is the fixed code:\n\nfunction add(a, b) {\n    return a + b;\n}",
        languageId: "javascript",
        expected: "function add(a, b) {\n    return a + b;\n}",
    },
    {
        name: "without fences, a sentence ending in ':' is dropped but Python's colons are kept",
        answer: "The corrected version of the loop:\nfor item in items:\n    print(item)",
        languageId: "python",
        expected: "for item in items:\n    print(item)",
    },
    {
        name: "without fences, trailing explanation paragraphs are dropped",
        answer: "def area(r):\n    return 3.14159 * r * r\n\nThis function computes the area of a circle.\n\nExplanation:\n- `r` is the radius of the circle.\n- It uses an approximation of pi.",
        languageId: "python",
        expected: "def area(r):\n    return 3.14159 * r * r",
    },
    {
        name: "without fences, a sentence stuck to the end of the code is dropped",
        answer: "x = compute()\nprint(x)\nThis prints the computed value.",
        languageId: "python",
        expected: "x = compute()\nprint(x)",
    },
    {
        name: "without fences, code comments that read like prose are kept",
        answer: "// Adds two numbers together for the caller\nconst add = (a, b) => a + b;",
        languageId: "javascript",
        expected: "// Adds two numbers together for the caller\nconst add = (a, b) => a + b;",
    },
    {
        name: "an empty answer gives empty code",
        answer: "",
        languageId: "typescript",
        expected: "",
    },
];

interface ReindentCase {
    readonly name: string;
    readonly code: string;
    readonly indent: string;
    readonly expected: string;
}

const reindentCases: readonly ReindentCase[] = [
    { name: "adds indentation to flush-left code", code: "if (a) {\n    b();\n}", indent: "    ", expected: "    if (a) {\n        b();\n    }" },
    { name: "removes extra indentation", code: "        x = 1\n        if x:\n            y()", indent: "    ", expected: "    x = 1\n    if x:\n        y()" },
    { name: "measures from the least-indented line, not the first", code: "    inner();\n}\n", indent: "\t", expected: "\t    inner();\n\t}\n" },
    { name: "blank lines become empty", code: "a\n   \nb", indent: "  ", expected: "  a\n\n  b" },
    { name: "CRLF line endings are kept", code: "a\r\n  b", indent: " ", expected: " a\r\n   b" },
    { name: "an empty indent flushes the code left", code: "\t\tfoo()\n\t\t\tbar()", indent: "", expected: "foo()\n\tbar()" },
];

describe("extractCode", () => {
    for (const c of extractCases) {
        it(c.name, () => {
            assert.equal(extractCode(c.answer, c.languageId), c.expected);
        });
    }

    it("never returns a fence line", () => {
        for (const c of extractCases.filter((x) => !x.name.includes("outer fence") && !x.name.includes("backticks inside"))) {
            assert.ok(!/^\s*(```|~~~)/m.test(extractCode(c.answer, c.languageId)), c.name);
        }
    });
});

describe("reindent", () => {
    for (const c of reindentCases) {
        it(c.name, () => {
            assert.equal(reindent(c.code, c.indent), c.expected);
        });
    }
});
