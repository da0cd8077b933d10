// Finds the function, method or class around a line by a language-agnostic heuristic. Pure: no vscode, no Node.

/** Inclusive, zero-based line numbers. */
export interface LineRange {
    readonly start: number;
    readonly end: number;
}

type BodyKind = "braces" | "indentation" | "end";

interface Syntax {
    readonly body: BodyKind;
    readonly lineComments: readonly string[];
    readonly blockComment: boolean; // /* ... */
    readonly tripleQuotes: boolean; // Python """ and '''
    readonly backtickStrings: boolean; // JS/TS template literals, Go raw strings (may span lines)
    readonly charLiterals: boolean; // ' starts a string only as a character literal (Rust lifetimes, 'a)
}

const C_LIKE: Syntax = { body: "braces", lineComments: ["//"], blockComment: true, tripleQuotes: false, backtickStrings: false, charLiterals: false };

function syntaxFor(languageId: string): Syntax {
    switch (languageId) {
        case "python":
            return { body: "indentation", lineComments: ["#"], blockComment: false, tripleQuotes: true, backtickStrings: false, charLiterals: false };
        case "ruby":
            return { body: "end", lineComments: ["#"], blockComment: false, tripleQuotes: false, backtickStrings: false, charLiterals: false };
        case "lua":
            return { body: "end", lineComments: ["--"], blockComment: false, tripleQuotes: false, backtickStrings: false, charLiterals: false };
        case "typescript":
        case "typescriptreact":
        case "javascript":
        case "javascriptreact":
        case "go":
            return { ...C_LIKE, backtickStrings: true };
        case "rust":
            return { ...C_LIKE, charLiterals: true };
        default:
            return C_LIKE;
    }
}

interface ScannedLine {
    /** The line with comments removed and string contents blanked to spaces (quotes kept). */
    readonly code: string;
    /** The line starts inside a multi-line string or block comment. */
    readonly continued: boolean;
}

/** Blanks strings and drops comments so that braces, parentheses and keywords in them do not count. */
function scan(lines: readonly string[], syntax: Syntax): ScannedLine[] {
    const out: ScannedLine[] = [];
    let inBlock = false;
    let openString: string | undefined; // the quote of a string that spans lines
    for (const line of lines) {
        const continued = inBlock || openString !== undefined;
        let code = "";
        let i = 0;
        while (i < line.length) {
            if (inBlock) {
                const close = line.indexOf("*/", i);
                if (close < 0) {
                    i = line.length;
                    break;
                }
                code += " ";
                i = close + 2;
                inBlock = false;
                continue;
            }
            if (openString !== undefined) {
                if (line[i] === "\\") {
                    code += "  ".slice(0, Math.min(2, line.length - i));
                    i += 2;
                    continue;
                }
                if (line.startsWith(openString, i)) {
                    code += openString;
                    i += openString.length;
                    openString = undefined;
                    continue;
                }
                code += " ";
                i++;
                continue;
            }
            if (syntax.lineComments.some((marker) => line.startsWith(marker, i))) break;
            if (syntax.blockComment && line.startsWith("/*", i)) {
                inBlock = true;
                i += 2;
                continue;
            }
            const c = line[i];
            if (syntax.tripleQuotes && (line.startsWith('"""', i) || line.startsWith("'''", i))) {
                openString = line.slice(i, i + 3);
                code += openString;
                i += 3;
                continue;
            }
            if (c === "'" && syntax.charLiterals) {
                const literal = /^'(?:\\.[^']*|[^\\'])'/.exec(line.slice(i));
                if (literal) {
                    code += "'" + " ".repeat(literal[0].length - 2) + "'";
                    i += literal[0].length;
                } else {
                    code += c; // a lifetime such as 'a
                    i++;
                }
                continue;
            }
            if (c === '"' || c === "'" || (c === "`" && syntax.backtickStrings)) {
                openString = c;
                code += c;
                i++;
                continue;
            }
            code += c;
            i++;
        }
        // Ordinary quotes do not span lines; template literals, raw strings and triple quotes do.
        if (openString === '"' || openString === "'") openString = undefined;
        out.push({ code, continued });
    }
    return out;
}

// --- definitions -------------------------------------------------------------------------------------------------

const CONTROL = new Set([
    "if",
    "else",
    "for",
    "foreach",
    "while",
    "do",
    "switch",
    "case",
    "catch",
    "try",
    "finally",
    "return",
    "throw",
    "new",
    "await",
    "yield",
    "typeof",
    "sizeof",
    "using",
    "lock",
    "fixed",
    "with",
    "match",
    "loop",
    "delete",
    "go",
    "defer",
    "select",
    "when",
    "assert",
    "super",
    "this",
    "elif",
    "except",
    "import",
    "export",
    "require",
    "print",
    "echo",
    "and",
    "or",
    "not",
]);

const MODIFIERS = "export|default|declare|public|private|protected|internal|static|abstract|final|sealed|partial|readonly|open|data|inner|override|virtual";

const BRACE_DEFINITIONS: readonly RegExp[] = [
    /^(?:export\s+(?:default\s+)?)?(?:declare\s+)?(?:async\s+)?function\b/, // JS/TS function declarations
    new RegExp(`^(?:(?:${MODIFIERS})\\s+)*(?:class|interface|struct|enum|record|trait|object|union)\\b(?!\\s*[.=(])`), // classes and kin
    /^func\b/, // Go, Swift
    /^(?:pub(?:\([^)]*\))?\s+)?(?:(?:default|const|async|unsafe|extern(?:\s+"[^"]*")?)\s+)*fn\s/, // Rust functions
    /^(?:unsafe\s+)?impl\b/, // Rust impl blocks
    /^(?:(?:public|private|internal|protected|override|open|suspend|inline|static|final|mutating|tailrec|operator)\s+)*(?:fun|func)\s/, // Kotlin, Swift
    /^(?:export\s+)?(?:const|let|var)\s+[\w$]+\s*(?::[^=]*)?=\s*(?:async\s+)?(?:function\b|\(|[\w$]+\s*=>|<)/, // const f = (...) => / function
    /^(?:(?:public|private|protected|static|readonly|override)\s+)*#?[\w$]+\s*\??\s*(?::[^=]*)?=\s*(?:async\s+)?(?:\(|[\w$]+\s*=>)/, // class field arrows
    /^[\w$]+\s*:\s*(?:async\s+)?(?:function\b|\(|[\w$]+\s*=>)/, // object literal members: name: () => / function
    /^[\w$.[\]]+\s*=\s*(?:async\s+)?function\b/, // module.exports = function
];

/** A method or C-style function signature: types and modifiers, a name, optional generics, "(". */
const SIGNATURE = /^(?:[\w$<>[\],.?*&:~]+\s+)*\*?[~\w$:]+\s*(?:<[^()]*>)?\s*\(/;

/** Patterns 6–8 above are only definitions when a function follows. */
function needsArrow(index: number): boolean {
    return index >= 6;
}

function isBraceDefinition(code: string): boolean {
    // Annotations and attributes before a declaration on the same line: @Override public void f() {
    const text = code.trim().replace(/^(?:@[\w.]+(?:\([^)]*\))?\s+)+/, "");
    if (text === "") return false;
    for (const [index, pattern] of BRACE_DEFINITIONS.entries()) {
        if (!pattern.test(text)) continue;
        if (!needsArrow(index)) return true;
        if (text.includes("=>") || /\bfunction\b/.test(text) || text.endsWith("(")) return true;
    }
    const first = /^[\w$]+/.exec(text)?.[0];
    if (first === undefined || CONTROL.has(first)) return false;
    if (text.endsWith(";") || text.endsWith(",")) return false;
    const paren = text.indexOf("(");
    if (paren >= 0 && text.slice(0, paren).includes("=")) return false;
    return SIGNATURE.test(text);
}

/** Where the brace-delimited body (or an arrow's expression body) that starts at `start` ends; undefined when none. */
function braceBodyEnd(scanned: readonly ScannedLine[], start: number): number | undefined {
    let paren = 0; // ( and [ — and { before an arrow's "=>"
    let depth = 0; // { inside the body
    let opened = false;
    let arrow = false; // saw "=>" at depth 0, waiting for its body
    let expression = false; // the arrow's body is an expression, not a block
    for (let i = start; i < scanned.length; i++) {
        const code = scanned[i].code;
        for (let j = 0; j < code.length; j++) {
            const c = code[j];
            // An arrow whose body starts on a later line, with something other than a block: an expression body.
            if (arrow && !opened && !expression && c.trim() !== "" && c !== "{") expression = true;
            if (!opened && !expression) {
                if (c === "=" && code[j + 1] === ">" && paren === 0) {
                    arrow = true;
                    j++;
                    const rest = code.slice(j + 1).trim();
                    if (rest !== "" && !rest.startsWith("{")) expression = true;
                    continue;
                }
                if (c === "(" || c === "[") paren++;
                else if (c === ")" || c === "]") paren--;
                else if (c === "{") {
                    if (paren === 0) {
                        opened = true;
                        depth = 1;
                    } else paren++;
                } else if (c === "}") {
                    if (paren === 0) return undefined;
                    paren--;
                } else if (c === ";" && paren === 0) return undefined; // a declaration without a body
                continue;
            }
            if (expression) {
                if (c === "(" || c === "[" || c === "{") paren++;
                else if (c === ")" || c === "]" || c === "}") {
                    paren--;
                    if (paren < 0) return i; // the enclosing call closes: f(() => x)
                } else if (c === ";" && paren === 0) return i;
                continue;
            }
            if (c === "{") depth++;
            else if (c === "}") {
                depth--;
                if (depth === 0) return i;
            }
        }
        if (expression && paren === 0) {
            const trimmed = code.trimEnd();
            const next =
                scanned
                    .slice(i + 1)
                    .find((line) => line.code.trim() !== "")
                    ?.code.trim() ?? "";
            const continues = /(?:=>|[-+*/%&|^=<>?:,(.[])$/.test(trimmed) || /^(?:[-+*/%&|^?:.]|=>)/.test(next);
            if (!continues) return i;
        }
    }
    return undefined;
}

// --- indentation (Python) ----------------------------------------------------------------------------------------

const PYTHON_DEFINITION = /^\s*(?:async\s+)?(?:def|class)\s+\w/;

function indentOf(line: string): number {
    let width = 0;
    for (const c of line) {
        if (c === " ") width++;
        else if (c === "\t") width += 8 - (width % 8);
        else break;
    }
    return width;
}

function indentedBodyEnd(lines: readonly string[], scanned: readonly ScannedLine[], start: number): number {
    // The signature may span lines: it ends where its parentheses balance.
    let paren = 0;
    let signatureEnd = start;
    for (let i = start; i < scanned.length; i++) {
        for (const c of scanned[i].code) {
            if (c === "(" || c === "[" || c === "{") paren++;
            else if (c === ")" || c === "]" || c === "}") paren--;
        }
        signatureEnd = i;
        if (paren <= 0) break;
    }
    if (!scanned[signatureEnd].code.trimEnd().endsWith(":")) return signatureEnd; // def f(): return 1
    const level = indentOf(lines[start]);
    let end = signatureEnd;
    for (let i = signatureEnd + 1; i < lines.length; i++) {
        if (lines[i].trim() === "") continue;
        const neutral = scanned[i].continued || scanned[i].code.trim() === ""; // inside a string, or only a comment
        if (!neutral && indentOf(lines[i]) <= level) break;
        if (indentOf(lines[i]) > level || scanned[i].continued) end = i;
    }
    return end;
}

// --- "end" keyword (Ruby, Lua) -------------------------------------------------------------------------------------

const END_DEFINITION: Readonly<Record<string, RegExp>> = {
    ruby: /^\s*(?:def|class|module)\s/,
    lua: /^\s*(?:(?:local\s+)?function\b|[\w.:]+\s*=\s*function\b)/,
};

function endKeywordBodyEnd(lines: readonly string[], scanned: readonly ScannedLine[], start: number): number | undefined {
    const level = indentOf(lines[start]);
    for (let i = start + 1; i < lines.length; i++) {
        if (/^end\b/.test(scanned[i].code.trim()) && indentOf(lines[i]) === level) return i;
    }
    return undefined;
}

/**
 * The function, method or class block around `line` (zero-based) in `lines`: the nearest line at or above `line` that
 * looks like a definition and whose body contains `line`, so nested definitions give the innermost one. Bodies end where
 * braces balance (TS/JS/Go/Rust/Java/C/C# and other brace languages, the default), by dedent (python), or at the `end`
 * at the definition's indentation (ruby, lua). Strings and comments are ignored. The range starts at the definition's
 * first line — decorators, attributes and doc comments above it are not included — and ends at its last line (the
 * closing brace, or the body's last non-blank line). Undefined for top-level code or a line out of range.
 */
export function enclosingScope(lines: readonly string[], line: number, languageId: string): LineRange | undefined {
    if (!Number.isInteger(line) || line < 0 || line >= lines.length) return undefined;
    const syntax = syntaxFor(languageId);
    const scanned = scan(lines, syntax);
    for (let start = line; start >= 0; start--) {
        if (scanned[start].continued && scanned[start].code.trim() === "") continue;
        let end: number | undefined;
        switch (syntax.body) {
            case "indentation":
                if (PYTHON_DEFINITION.test(scanned[start].code)) end = indentedBodyEnd(lines, scanned, start);
                break;
            case "end":
                if (END_DEFINITION[languageId]?.test(scanned[start].code)) end = endKeywordBodyEnd(lines, scanned, start);
                break;
            case "braces":
                if (isBraceDefinition(scanned[start].code)) end = braceBodyEnd(scanned, start);
                break;
        }
        if (end !== undefined && end >= line) return { start, end };
    }
    return undefined;
}
