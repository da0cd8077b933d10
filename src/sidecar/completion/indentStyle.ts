/**
 * Indentation that fits the file: the file's own tabs-or-spaces and step where it has indented
 * lines (mixing them breaks Python and Makefiles), else the editor's tab size and tabs-or-spaces;
 * tabs in Makefile recipes; no extra indentation on a first line the editor has already indented;
 * the model's own step (2 where the file wants 4) turned into the file's. Pure.
 */

export interface IndentStyle {
    readonly tabSize: number;
    /** Indent with spaces (else tabs). */
    readonly spaces: boolean;
    /** The width of one level: the file's step where its lines show one, else the tab size. */
    readonly unit: number;
    /** Where the style comes from: the file's own lines, the editor's settings, or neither (defaults). */
    readonly source: "file" | "editor" | "default";
}

/**
 * The style to write. The file's indented lines (before and after the cursor) decide tabs or spaces
 * and the step; without any, the editor's settings; without those, spaces.
 */
export function indentStyleOf(textBefore: string, tabSize: number | undefined, insertSpaces: boolean | undefined, after: readonly string[] = []): IndentStyle {
    const size = tabSize !== undefined && tabSize >= 1 ? tabSize : 4;
    let tabs = 0;
    let spaces = 0;
    const steps = new Map<number, number>();
    let previous: number | undefined;
    for (const line of [...textBefore.split("\n").slice(-200), ...after.slice(0, 50)]) {
        if (line.trim() === "") continue;
        if (line.startsWith("\t")) tabs++;
        else if (line.startsWith("  ")) spaces++;
        const width = /^ */.exec(line)?.[0].length ?? 0;
        // The step: how far a line goes in from the one before (doc comments' ` *` aside).
        if (!line.startsWith("\t") && !/^\s*\*/.test(line)) {
            if (previous !== undefined && width > previous && width - previous <= 8) steps.set(width - previous, (steps.get(width - previous) ?? 0) + 1);
            previous = width;
        }
    }
    if (tabs + spaces === 0) return { tabSize: size, spaces: insertSpaces ?? true, unit: size, source: tabSize !== undefined ? "editor" : "default" };
    const fileSpaces = tabs <= spaces;
    let unit = size;
    if (fileSpaces) {
        let best = 0;
        for (const [step, count] of steps) {
            if (count > best || (count === best && step < unit)) {
                unit = step;
                best = count;
            }
        }
    }
    return { tabSize: size, spaces: fileSpaces, unit, source: "file" };
}

/** Leading whitespace written in `style`, keeping its width (tabs count as tabSize). */
export function reindentLine(line: string, style: IndentStyle): string {
    const leading = /^[ \t]*/.exec(line)?.[0] ?? "";
    if (leading === "") return line;
    return indentOfWidth(widthOf(leading, style.tabSize), style) + line.slice(leading.length);
}

function indentOfWidth(width: number, style: IndentStyle): string {
    return style.spaces ? " ".repeat(width) : "\t".repeat(Math.floor(width / style.tabSize)) + " ".repeat(width % style.tabSize);
}

function widthOf(leading: string, tabSize: number): number {
    let width = 0;
    for (const ch of leading) width += ch === "\t" ? tabSize - (width % tabSize) : 1;
    return width;
}

/**
 * The model's own indentation step turned into the editor's where the file shows none (Tabby's
 * formatIndentation): lines deeper than `anchor` (the indentation the suggestion's block hangs from)
 * go in by levels of the model's step (the greatest common divisor of how far they go in), written
 * as levels of the style's. `lines[0]` is left alone when `firstIsContinued` (it continues the cursor's line).
 */
export function rescaleIndent(lines: readonly string[], anchor: number, style: IndentStyle, firstIsContinued: boolean): string[] {
    if (style.source !== "editor") return [...lines];
    const depths: number[] = [];
    lines.forEach((line, i) => {
        if ((i === 0 && firstIsContinued) || line.trim() === "") return;
        const width = widthOf(/^[ \t]*/.exec(line)?.[0] ?? "", style.tabSize);
        if (width > anchor) depths.push(width - anchor);
    });
    const step = depths.reduce((a, b) => gcd(a, b), 0);
    const target = style.spaces ? style.unit : style.tabSize;
    if (step === 0 || step === target) return [...lines];
    return lines.map((line, i) => {
        if ((i === 0 && firstIsContinued) || line.trim() === "") return line;
        const leading = /^[ \t]*/.exec(line)?.[0] ?? "";
        const width = widthOf(leading, style.tabSize);
        if (width <= anchor) return line;
        return indentOfWidth(anchor + ((width - anchor) / step) * target, style) + line.slice(leading.length);
    });
}

/**
 * A line one to `unit - 1` columns deeper than the finished statement or entry before it
 * (`start();` then ` finish();` one space in) is aligned with it. `firstWidth`: where `lines[0]` starts in the file
 * (it is never changed).
 */
export function alignStrayIndent(lines: readonly string[], firstWidth: number, style: IndentStyle): string[] {
    let previousWidth = firstWidth;
    let previous = lines[0] ?? "";
    return lines.map((line, i) => {
        if (i === 0 || line.trim() === "") return line;
        const leading = /^[ \t]*/.exec(line)?.[0] ?? "";
        let width = widthOf(leading, style.tabSize);
        let result = line;
        if (endsEntry(previous) && width > previousWidth && width - previousWidth < style.unit) {
            width = previousWidth;
            result = indentOfWidth(width, style) + line.slice(leading.length);
        }
        previousWidth = width;
        previous = line;
        return result;
    });
}

/** A finished statement or entry (`start();`, `}`, `"title": "Run Test",`), not a line an open bracket continues. */
function endsEntry(line: string): boolean {
    if (!/[;},\]]\s*$/.test(line)) return false;
    let depth = 0;
    for (const ch of line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "")) {
        if ("([{".includes(ch)) depth++;
        else if (")]}".includes(ch)) depth--;
    }
    return depth <= 0;
}

function gcd(a: number, b: number): number {
    return b === 0 ? a : gcd(b, a % b);
}

/** A Makefile recipe line must start with a tab, whatever the model wrote. */
export function makefileRecipeLine(line: string): string {
    return /^[ \t]+\S/.test(line) ? `\t${line.trimStart()}` : line;
}
