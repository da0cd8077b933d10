// Cuts a model's chat-style answer down to the code the user asked for. Pure: no vscode, no Node.

/** Fence info strings that name each VS Code language id (besides the id itself). */
const LANGUAGE_ALIASES: Readonly<Record<string, readonly string[]>> = {
    typescript: ["ts", "mts", "cts"],
    typescriptreact: ["tsx"],
    javascript: ["js", "mjs", "cjs", "node"],
    javascriptreact: ["jsx"],
    python: ["py", "python3", "py3"],
    rust: ["rs"],
    csharp: ["cs", "c#"],
    cpp: ["c++", "cc", "cxx", "hpp", "h++"],
    c: ["h"],
    go: ["golang"],
    ruby: ["rb"],
    shellscript: ["sh", "bash", "shell", "zsh", "console"],
    powershell: ["ps1", "pwsh"],
    kotlin: ["kt", "kts"],
    markdown: ["md"],
    yaml: ["yml"],
    objectivec: ["objc", "objective-c"],
    fsharp: ["fs", "f#"],
    haskell: ["hs"],
    perl: ["pl"],
    dockerfile: ["docker"],
};

interface Fence {
    readonly marker: string; // "```" or "~~~", possibly longer
    readonly indent: number; // columns before the opening fence
    readonly info: string; // first word of the info string, lower case
}

const FENCE = /^( {0,3}|\t?)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;

function openingFence(line: string): Fence | undefined {
    const match = FENCE.exec(line);
    if (!match) return undefined;
    return { indent: match[1].length, marker: match[2], info: match[3].toLowerCase() };
}

function closesFence(line: string, fence: Fence): boolean {
    const trimmed = line.trim();
    return trimmed.length >= fence.marker.length && trimmed === fence.marker[0].repeat(trimmed.length);
}

interface Block {
    readonly info: string;
    readonly lines: readonly string[];
}

/** The fenced blocks in `lines`, in order; an unterminated final fence runs to the end. */
function fencedBlocks(lines: readonly string[]): Block[] {
    const blocks: Block[] = [];
    let i = 0;
    while (i < lines.length) {
        const fence = openingFence(lines[i]);
        if (!fence) {
            i++;
            continue;
        }
        const body: string[] = [];
        i++;
        while (i < lines.length && !closesFence(lines[i], fence)) {
            // An indented fence (e.g. in a list item) indents its content too: take that indentation off.
            const line = lines[i];
            const lead = /^[ \t]*/.exec(line)?.[0].length ?? 0;
            body.push(line.slice(Math.min(lead, fence.indent)));
            i++;
        }
        i++; // past the closing fence (or the end)
        blocks.push({ info: fence.info, lines: body });
    }
    return blocks;
}

function matchesLanguage(info: string, languageId: string): boolean {
    const id = languageId.toLowerCase();
    return info === "" || info === id || (LANGUAGE_ALIASES[id] ?? []).includes(info);
}

function isBlank(line: string): boolean {
    return line.trim() === "";
}

function trimBlankLines(lines: readonly string[]): string[] {
    let start = 0;
    let end = lines.length;
    while (start < end && isBlank(lines[start])) start++;
    while (end > start && isBlank(lines[end - 1])) end--;
    return lines.slice(start, end);
}

/** First words that start code lines, not sentences (checked case-sensitively: "If you..." is prose, "if x:" is code). */
const CODE_WORDS = new Set([
    "abstract",
    "assert",
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "def",
    "default",
    "defer",
    "del",
    "delete",
    "do",
    "elif",
    "else",
    "enum",
    "except",
    "export",
    "extern",
    "finally",
    "fn",
    "for",
    "from",
    "func",
    "function",
    "global",
    "go",
    "if",
    "impl",
    "import",
    "in",
    "interface",
    "lambda",
    "let",
    "local",
    "match",
    "mod",
    "module",
    "namespace",
    "new",
    "package",
    "pass",
    "print",
    "private",
    "protected",
    "pub",
    "public",
    "raise",
    "require",
    "return",
    "select",
    "static",
    "struct",
    "switch",
    "template",
    "throw",
    "trait",
    "try",
    "type",
    "typedef",
    "use",
    "using",
    "var",
    "void",
    "where",
    "while",
    "with",
    "yield",
    "echo",
    "end",
    "then",
    "fi",
    "done",
    "esac",
    "not",
    "and",
    "or",
    "is",
]);

const PROSE_OPENER =
    /^(here(?:'s|’s| is| are)|sure|certainly|of course|okay|ok|absolutely|great|below|the following|i(?:'ve|’ve| have| made| updated| added| changed| rewrote)|this (?:is|code|version|function|updated)|to do this)\b/i;

/** Whether `line` reads as a sentence of English rather than a line of code. */
function isProseLine(line: string): boolean {
    if (line !== line.trimStart()) return false; // code is indented; prose in an answer starts at column 0
    let text = line.trim();
    if (text === "") return false;
    if (/^#{2,6}\s+\S/.test(text)) return true; // a Markdown heading ("## Explanation"); a single "#" may be a comment
    text = text.replace(/^(?:[-*+]|\d+[.)])\s+/, ""); // list item marker
    text = text.replace(/\*\*/g, "");
    const withoutSpans = text.replace(/`[^`]*`/g, "x");
    if (/[;{}]|=>|==|:=|\+=|&&|\|\||->|::|\s=\s/.test(withoutSpans)) return false;
    const words = withoutSpans.split(/\s+/);
    const first = words[0].replace(/[,:.!]$/, "");
    if (!/^[A-Za-z][A-Za-z'’-]*$/.test(first) || CODE_WORDS.has(first)) return false;
    if (/^[A-Z][\w ]{0,40}:$/.test(withoutSpans)) return true; // a heading such as "Explanation:" or "Key changes:"
    if (words.length < 3) return false;
    return !/[,(\[=\\]$/.test(withoutSpans);
}

/** A line that introduces code: "Here is the function:", "Sure!", "The updated version:". */
function isLeadingProse(line: string): boolean {
    const text = line.trim();
    if (PROSE_OPENER.test(text) && line === line.trimStart()) return true;
    return isProseLine(line);
}

function withoutProse(lines: readonly string[]): string[] {
    let start = 0;
    while (start < lines.length && (isBlank(lines[start]) || isLeadingProse(lines[start]))) start++;
    let end = lines.length;
    for (;;) {
        while (end > start && isBlank(lines[end - 1])) end--;
        // A trailing paragraph whose first line is prose is explanation (indented lines in it continue list items).
        let paragraphStart = end;
        while (paragraphStart > start && !isBlank(lines[paragraphStart - 1])) paragraphStart--;
        const paragraph = lines.slice(paragraphStart, end);
        if (
            paragraphStart > start &&
            paragraph.length > 0 &&
            isProseLine(paragraph[0]) &&
            paragraph.every((l) => isProseLine(l) || isProseLine(l.trimStart()))
        ) {
            end = paragraphStart;
            continue;
        }
        // Otherwise, prose lines stuck straight onto the end of the code.
        if (end > start + 1 && isProseLine(lines[end - 1])) {
            end--;
            continue;
        }
        break;
    }
    return lines.slice(start, end);
}

/**
 * The code in a model's answer. With fences: the first fenced block whose info string matches `languageId` (or one of its
 * usual aliases, e.g. "ts" for typescript) or is empty, else the longest block; an unterminated final fence runs to the
 * end. Without fences: the answer less leading prose lines ("Here is…", "Sure", a sentence ending in ':') and trailing
 * explanation paragraphs. Never returns fences; keeps the code's own indentation; trims leading and trailing blank lines
 * only. Lines are joined with "\n" whatever the answer used (VS Code converts to the document's line ending on insert).
 */
export function extractCode(answer: string, languageId: string): string {
    const lines = answer.split(/\r?\n/);
    const blocks = fencedBlocks(lines);
    let chosen: readonly string[];
    if (blocks.length > 0) {
        const matching = blocks.find((block) => matchesLanguage(block.info, languageId));
        chosen = matching?.lines ?? blocks.reduce((a, b) => (b.lines.join("\n").length > a.lines.join("\n").length ? b : a)).lines;
    } else {
        chosen = withoutProse(lines);
    }
    return trimBlankLines(chosen).join("\n");
}

function leadingWhitespace(line: string): string {
    return /^[ \t]*/.exec(line)?.[0] ?? "";
}

/**
 * Re-indents `code` so that its least-indented non-blank line starts with exactly `indent`; other lines keep their
 * indentation relative to it. Blank lines become empty. Keeps "\r\n" line endings when `code` uses them.
 */
export function reindent(code: string, indent: string): string {
    const eol = code.includes("\r\n") ? "\r\n" : "\n";
    const lines = code.split(/\r?\n/);
    const nonBlank = lines.filter((line) => !isBlank(line));
    if (nonBlank.length === 0) return lines.map(() => "").join(eol);
    const least = Math.min(...nonBlank.map((line) => leadingWhitespace(line).length));
    return lines.map((line) => (isBlank(line) ? "" : indent + line.slice(least))).join(eol);
}
