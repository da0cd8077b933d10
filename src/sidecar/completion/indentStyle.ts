/**
 * Indentation that fits the file: the editor's tab size and tabs-or-spaces (or, without them, what
 * the file itself uses), tabs in Makefile recipes, and no extra indentation on a first line the
 * editor has already indented. Pure.
 */

export interface IndentStyle {
    readonly tabSize: number;
    /** Indent with spaces (else tabs). */
    readonly spaces: boolean;
}

/** The style to write: the editor's settings where known, else what the lines before the cursor use. */
export function indentStyleOf(textBefore: string, tabSize: number | undefined, insertSpaces: boolean | undefined): IndentStyle {
    const size = tabSize !== undefined && tabSize >= 1 ? tabSize : 4;
    if (insertSpaces !== undefined) return { tabSize: size, spaces: insertSpaces };
    let tabs = 0;
    let spaces = 0;
    for (const line of textBefore.split("\n").slice(-200)) {
        if (line.startsWith("\t")) tabs++;
        else if (line.startsWith("  ")) spaces++;
    }
    return { tabSize: size, spaces: tabs <= spaces };
}

/** Leading whitespace written in `style`, keeping its width (tabs count as tabSize). */
export function reindentLine(line: string, style: IndentStyle): string {
    const leading = /^[ \t]*/.exec(line)?.[0] ?? "";
    if (leading === "") return line;
    let width = 0;
    for (const ch of leading) width += ch === "\t" ? style.tabSize - (width % style.tabSize) : 1;
    const indent = style.spaces ? " ".repeat(width) : "\t".repeat(Math.floor(width / style.tabSize)) + " ".repeat(width % style.tabSize);
    return indent + line.slice(leading.length);
}

/** A Makefile recipe line must start with a tab, whatever the model wrote. */
export function makefileRecipeLine(line: string): string {
    return /^[ \t]+\S/.test(line) ? `\t${line.trimStart()}` : line;
}
