import assert from "node:assert/strict";
import { type CommentStyle, commentStyleFor, formatDocComment, stripCommentMarkers } from "../../src/extension/actions/commentStyle";

const JSDOC: CommentStyle = { kind: "block", open: "/**", linePrefix: " * ", close: " */" };

const styleCases: readonly (readonly [string, CommentStyle])[] = [
    ["typescript", JSDOC],
    ["javascript", JSDOC],
    ["typescriptreact", JSDOC],
    ["javascriptreact", JSDOC],
    ["java", JSDOC],
    ["c", JSDOC],
    ["cpp", JSDOC],
    ["php", JSDOC],
    ["python", { kind: "docstring", quote: '"""' }],
    ["rust", { kind: "line", prefix: "///" }],
    ["csharp", { kind: "line", prefix: "///" }],
    ["go", { kind: "line", prefix: "//" }],
    ["ruby", { kind: "line", prefix: "#" }],
    ["shellscript", { kind: "line", prefix: "#" }],
    ["lua", { kind: "line", prefix: "---" }],
    ["html", { kind: "block", open: "<!--", linePrefix: "  ", close: "-->" }],
    ["some-unknown-language", { kind: "line", prefix: "//" }],
];

interface FormatCase {
    readonly name: string;
    readonly languageId: string;
    readonly text: string;
    readonly indent: string;
    readonly expected: string;
}

const formatCases: readonly FormatCase[] = [
    {
        name: "JSDoc, several lines, at column 0",
        languageId: "typescript",
        text: "Adds two numbers.\n\n@param a the first\n@returns the sum",
        indent: "",
        expected: "/**\n * Adds two numbers.\n *\n * @param a the first\n * @returns the sum\n */",
    },
    {
        name: "JSDoc, one line, indented in a class",
        languageId: "typescript",
        text: "Resets the counter.",
        indent: "    ",
        expected: "    /** Resets the counter. */",
    },
    {
        name: "Javadoc, indented",
        languageId: "java",
        text: "Greets.\n@return the greeting",
        indent: "    ",
        expected: "    /**\n     * Greets.\n     * @return the greeting\n     */",
    },
    {
        name: "Rust ///, with a blank line and a code example keeping its indentation",
        languageId: "rust",
        text: 'Parses a line.\n\n# Example\n    let x = parse("a");',
        indent: "    ",
        expected: '    /// Parses a line.\n    ///\n    /// # Example\n    ///     let x = parse("a");',
    },
    {
        name: "C# ///",
        languageId: "csharp",
        text: "<summary>Adds.</summary>",
        indent: "\t",
        expected: "\t/// <summary>Adds.</summary>",
    },
    {
        name: "Go //",
        languageId: "go",
        text: "Handle serves a request.\nIt never panics.",
        indent: "",
        expected: "// Handle serves a request.\n// It never panics.",
    },
    {
        name: "Ruby #",
        languageId: "ruby",
        text: "Barks.",
        indent: "  ",
        expected: "  # Barks.",
    },
    {
        name: "Python docstring, one line, at the body's indentation",
        languageId: "python",
        text: "Return the area.",
        indent: "    ",
        expected: '    """Return the area."""',
    },
    {
        name: "Python docstring, several lines: summary on the opening line, closing quotes on their own",
        languageId: "python",
        text: "Return the area.\n\nArgs:\n    r: the radius.",
        indent: "    ",
        expected: '    """Return the area.\n\n    Args:\n        r: the radius.\n    """',
    },
    {
        name: "C Doxygen block",
        languageId: "c",
        text: "@brief Counts.\n@param s the string",
        indent: "",
        expected: "/**\n * @brief Counts.\n * @param s the string\n */",
    },
    {
        name: "text is normalized: CRLF, trailing spaces, surrounding blank lines and common indentation go",
        languageId: "go",
        text: "\r\n  First.  \r\n    Second.\r\n\r\n",
        indent: "",
        expected: "// First.\n//   Second.",
    },
    {
        name: "a closing marker in the text is escaped",
        languageId: "javascript",
        text: "Matches */ in a string.",
        indent: "",
        expected: "/** Matches *\\/ in a string. */",
    },
];

interface StripCase {
    readonly name: string;
    readonly comment: string;
    readonly expected: string;
}

const stripCases: readonly StripCase[] = [
    { name: "a JSDoc block", comment: "/**\n * Adds.\n *\n * @param a first\n */", expected: "Adds.\n\n@param a first" },
    { name: "an indented JSDoc block", comment: "    /**\n     * Adds.\n     */", expected: "Adds." },
    { name: "a one-line block", comment: "/** Adds. */", expected: "Adds." },
    { name: "a plain /* */ block without stars", comment: "/*\n  Adds.\n  Returns.\n*/", expected: "Adds.\nReturns." },
    { name: "Rust ///", comment: "/// Parses.\n///\n/// More.", expected: "Parses.\n\nMore." },
    { name: "Go //", comment: "// Handle serves.\n// It never panics.", expected: "Handle serves.\nIt never panics." },
    { name: "hash comments", comment: "# Barks.\n# Loudly.", expected: "Barks.\nLoudly." },
    { name: "a one-line docstring", comment: '    """Return the area."""', expected: "Return the area." },
    {
        name: "a multi-line docstring keeps relative indentation",
        comment: '    """Return the area.\n\n    Args:\n        r: the radius.\n    """',
        expected: "Return the area.\n\nArgs:\n    r: the radius.",
    },
    { name: "a ''' docstring", comment: "'''Quoted.'''", expected: "Quoted." },
    { name: "a comment wrapped in a Markdown fence", comment: "```ts\n/**\n * Adds.\n */\n```", expected: "Adds." },
    { name: "CRLF", comment: "/// One.\r\n/// Two.\r\n", expected: "One.\nTwo." },
    { name: "text without markers comes back as it is", comment: "Adds two numbers.\nReturns the sum.", expected: "Adds two numbers.\nReturns the sum." },
];

describe("commentStyleFor", () => {
    for (const [languageId, expected] of styleCases) {
        it(`${languageId} uses ${expected.kind === "line" ? expected.prefix : expected.kind === "block" ? expected.open : expected.quote}`, () => {
            assert.deepEqual(commentStyleFor(languageId), expected);
        });
    }
});

describe("formatDocComment", () => {
    for (const c of formatCases) {
        it(c.name, () => {
            assert.equal(formatDocComment(c.text, commentStyleFor(c.languageId), c.indent), c.expected);
        });
    }
});

describe("stripCommentMarkers", () => {
    for (const c of stripCases) {
        it(c.name, () => {
            assert.equal(stripCommentMarkers(c.comment), c.expected);
        });
    }

    const texts = ["One line.", "Summary.\n\nDetails over\ntwo lines.\n\n@param x the input", "Example:\n    code(1);\n    more(2);"];
    const languages = ["typescript", "java", "c", "python", "rust", "csharp", "go", "ruby", "shellscript", "lua", "html", "unknown"];
    for (const languageId of languages) {
        it(`round trips formatDocComment for ${languageId}`, () => {
            for (const text of texts) {
                for (const indent of ["", "    ", "\t\t"]) {
                    const comment = formatDocComment(text, commentStyleFor(languageId), indent);
                    assert.equal(stripCommentMarkers(comment), text, `${JSON.stringify(text)} at ${JSON.stringify(indent)} as ${comment}`);
                }
            }
        });
    }
});
