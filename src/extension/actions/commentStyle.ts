// Doc comment conventions per language, and converting between plain text and comments. Pure: no vscode, no Node.

export type CommentStyle =
    /** A block comment: JSDoc and Javadoc `/** … *\/`, Doxygen for C/C++, PHPDoc, KDoc. */
    | { readonly kind: "block"; readonly open: string; readonly linePrefix: string; readonly close: string }
    /** A run of line comments: Rust/C#/Swift/Dart "///", Go "//", Ruby/Shell "#", Lua "---", SQL/Haskell "--". */
    | { readonly kind: "line"; readonly prefix: string }
    /** A Python docstring: the first statement of the body. */
    | { readonly kind: "docstring"; readonly quote: string };

const DOC_BLOCK: CommentStyle = { kind: "block", open: "/**", linePrefix: " * ", close: " */" };
const HTML_BLOCK: CommentStyle = { kind: "block", open: "<!--", linePrefix: "  ", close: "-->" };
const line = (prefix: string): CommentStyle => ({ kind: "line", prefix });

const STYLES: Readonly<Record<string, CommentStyle>> = {
    typescript: DOC_BLOCK,
    typescriptreact: DOC_BLOCK,
    javascript: DOC_BLOCK,
    javascriptreact: DOC_BLOCK,
    java: DOC_BLOCK,
    kotlin: DOC_BLOCK,
    scala: DOC_BLOCK,
    groovy: DOC_BLOCK,
    c: DOC_BLOCK,
    cpp: DOC_BLOCK,
    "cuda-cpp": DOC_BLOCK,
    objectivec: DOC_BLOCK,
    objectivecpp: DOC_BLOCK,
    php: DOC_BLOCK,
    css: DOC_BLOCK,
    scss: DOC_BLOCK,
    less: DOC_BLOCK,
    rust: line("///"),
    csharp: line("///"),
    swift: line("///"),
    dart: line("///"),
    fsharp: line("///"),
    go: line("//"),
    ruby: line("#"),
    shellscript: line("#"),
    perl: line("#"),
    r: line("#"),
    elixir: line("#"),
    powershell: line("#"),
    coffeescript: line("#"),
    makefile: line("#"),
    dockerfile: line("#"),
    yaml: line("#"),
    toml: line("#"),
    julia: line("#"),
    nim: line("##"),
    lua: line("---"),
    sql: line("--"),
    haskell: line("--"),
    elm: line("--"),
    clojure: line(";;"),
    lisp: line(";;"),
    scheme: line(";;"),
    bat: line("REM"),
    vb: line("'''"),
    python: { kind: "docstring", quote: '"""' },
    html: HTML_BLOCK,
    xml: HTML_BLOCK,
    markdown: HTML_BLOCK,
    vue: HTML_BLOCK,
};

/**
 * The doc comment convention for a VS Code language id: JSDoc-style blocks for TS/JS/Java/C/C++/PHP and kin, "///" for
 * Rust/C#/Swift/Dart, "//" for Go, "#" for Ruby/Shell/Perl/R/YAML and other hash-comment languages, "---" for Lua,
 * a `"""` docstring for Python, `<!-- -->` for HTML/XML/Markdown. Unknown languages get line comments "//", the most
 * common comment syntax among C-like languages.
 */
export function commentStyleFor(languageId: string): CommentStyle {
    return STYLES[languageId] ?? line("//");
}

function isBlank(text: string): boolean {
    return text.trim() === "";
}

/** Plain lines: "\n" line endings, trailing spaces and surrounding blank lines removed, common indentation removed. */
function plainLines(text: string): string[] {
    let lines = text.split(/\r?\n/).map((l) => l.trimEnd());
    while (lines.length > 0 && isBlank(lines[0])) lines.shift();
    while (lines.length > 0 && isBlank(lines[lines.length - 1])) lines.pop();
    const indents = lines.filter((l) => !isBlank(l)).map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0);
    const common = indents.length > 0 ? Math.min(...indents) : 0;
    lines = lines.map((l) => l.slice(common));
    return lines;
}

/**
 * Formats documentation `text` (plain lines, no comment markers) as a comment in `style`, every line starting with
 * `indent`, lines joined with "\n" and no final newline. One line of text gives a one-line comment (`/** text *\/`,
 * `"""text"""`); more give the multi-line form (`/**`, ` * line`…, ` *\/`; docstring: `"""first line`, further lines,
 * closing `"""` on its own line). Blank text lines carry no trailing spaces. For a docstring, `indent` is the body's
 * indentation and the result goes in as the body's first lines. A closing marker inside the text is escaped.
 */
export function formatDocComment(text: string, style: CommentStyle, indent: string): string {
    const lines = plainLines(text);
    const at = (content: string): string => (content === "" ? "" : indent + content);
    switch (style.kind) {
        case "line":
            return lines.map((l) => `${indent}${style.prefix}${l === "" ? "" : " " + l}`).join("\n");
        case "block": {
            const close = style.close.trim();
            const escaped = close === "*/" ? "*\\/" : close === "-->" ? "--&gt;" : close;
            const safe = lines.map((l) => l.split(close).join(escaped));
            if (safe.length === 0) return `${indent}${style.open} ${close}`;
            if (safe.length === 1) return `${indent}${style.open} ${safe[0]} ${close}`;
            const body = safe.map((l) => (l === "" ? indent + style.linePrefix.trimEnd() : indent + style.linePrefix + l).trimEnd());
            return [indent + style.open, ...body, indent + style.close].map((l) => (isBlank(l) ? "" : l)).join("\n");
        }
        case "docstring": {
            const quote = style.quote;
            const safe = lines.map((l) => l.split(quote).join(quote.split("").join("\\")));
            if (safe.length <= 1) return `${indent}${quote}${safe[0] ?? ""}${quote}`;
            return [`${indent}${quote}${safe[0]}`, ...safe.slice(1).map(at), indent + quote].join("\n");
        }
    }
}

const FENCE_LINE = /^\s*(?:`{3,}|~{3,})[^`]*$/;
const LINE_MARKERS = ["///", "//!", "//", "-- |", "---", "--", "##", "#", ";;", "'''", "REM "];

function dedent(lines: readonly string[], extraIndents: readonly number[] = []): string[] {
    const indents = [...lines.filter((l) => !isBlank(l)).map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0), ...extraIndents];
    const common = indents.length > 0 ? Math.min(...indents) : 0;
    return lines.map((l) => l.slice(Math.min(common, /^[ \t]*/.exec(l)?.[0].length ?? 0)));
}

function finish(lines: readonly string[]): string {
    return plainLines(lines.join("\n")).join("\n");
}

/**
 * Strips the comment markers a model put around documentation — `/** … *\/` and `/* … *\/` with their leading `*`s,
 * `<!-- … -->`, runs of `///`, `//`, `#`, `---`, `--` line comments, and `"""…"""` / `'''…'''` docstrings — and any
 * Markdown fence around them, returning the plain lines ("\n"-joined, trailing spaces, surrounding blank lines and common
 * indentation removed). Text without markers comes back the same way. Undoes `formatDocComment`.
 */
export function stripCommentMarkers(comment: string): string {
    let lines = comment.split(/\r?\n/).map((l) => l.trimEnd());
    while (lines.length > 0 && isBlank(lines[0])) lines.shift();
    while (lines.length > 0 && isBlank(lines[lines.length - 1])) lines.pop();
    if (lines.length > 0 && FENCE_LINE.test(lines[0])) {
        lines = lines.slice(1);
        if (lines.length > 0 && FENCE_LINE.test(lines[lines.length - 1])) lines = lines.slice(0, -1);
    }
    const text = lines.join("\n").trim();

    const block = /^(\/\*+!?|<!--)([\s\S]*?)(\*+\/|-->)$/.exec(text);
    if (block) {
        const inner = block[2].split("\n");
        const starred = block[1].startsWith("/*");
        return finish(
            inner.map((l, i) => {
                const unstarred = starred ? l.replace(/^\s*\*(?!\/) ?/, "") : l;
                return i === 0 ? unstarred.trim() : unstarred;
            }),
        );
    }

    const docstring = /^[rRuUbBfF]{0,2}("""|''')([\s\S]*?)\1$/.exec(text);
    if (docstring) {
        const inner = docstring[2].split("\n");
        const first = inner[0].trim();
        const rest = inner.slice(1);
        // The closing quotes on their own line mark the body's indentation.
        const closing = lines[lines.length - 1];
        const closingIndent = rest.length > 0 && /^\s*[rRuUbBfF]{0,2}("""|''')$/.test(closing) ? [/^[ \t]*/.exec(closing)?.[0].length ?? 0] : [];
        return finish([first, ...dedent(rest, closingIndent)]);
    }

    const nonBlank = lines.filter((l) => !isBlank(l));
    const markerOf = (l: string): string | undefined => LINE_MARKERS.find((m) => l.trimStart().startsWith(m));
    const first = nonBlank.length > 0 ? markerOf(nonBlank[0]) : undefined;
    if (first !== undefined && nonBlank.every((l) => markerOf(l) !== undefined)) {
        return finish(
            lines.map((l) => {
                const trimmed = l.trimStart();
                const marker = markerOf(l);
                if (marker === undefined) return "";
                // Take the whole marker run of the first line ("///" not "//" + "/"), then one space.
                const own = trimmed.startsWith(first) ? first : marker;
                return trimmed.slice(own.length).replace(/^ /, "");
            }),
        );
    }
    return finish(lines);
}
