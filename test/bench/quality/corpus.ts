/**
 * The benchmark's cases: cursor sites cut from real source files the model never saw (this
 * project's own TypeScript, and the hand-written Python modules in
 * test/fixtures/quality-source/python). Deterministic for a seed and a set of files.
 *
 * Each case is the document as the user has it while writing one line: the prefix is the file up
 * to the cursor, the suffix the file after the line being written. `expected` is what, inserted at
 * the cursor, gives the original file back:
 *
 *   midWord       cursor inside an identifier           expected: the rest of the line
 *   betweenWords  cursor after a space, operator, ( or .  expected: the rest of the line
 *   lineEnd       cursor at the end of a finished line   expected: "\n" + the next line
 *   blockStart    after a line ending in { or :, at the   expected: the next line after its indentation
 *                 new line's indentation
 *
 * The prefix keeps at most `prefixLines` lines (and `prefixChars` characters), the suffix at most
 * `suffixLines` lines (and `suffixChars`), so that prompts stay near 1,000 tokens in a 2,048-token
 * context; `head` and `tail` hold the rest of the file, for checking that it still parses.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { QualityCase } from "../../quality/qualityRunner";

export type SiteKind = "midWord" | "betweenWords" | "lineEnd" | "blockStart";
export type Language = "typescript" | "python";

export const siteKinds: readonly SiteKind[] = ["midWord", "betweenWords", "lineEnd", "blockStart"];
export const languages: readonly Language[] = ["typescript", "python"];

export interface BenchCase extends QualityCase {
    readonly language: Language;
    readonly kind: SiteKind;
    /** The source file, relative to the repository root. */
    readonly file: string;
    /** The cursor's line in the file, from 1. */
    readonly line: number;
    /** What, inserted at the cursor, restores the file. */
    readonly expected: string;
    /** The file before the prefix. */
    readonly head: string;
    /** The file after the suffix. */
    readonly tail: string;
}

interface WindowLimits {
    readonly prefixLines: number;
    readonly prefixChars: number;
    readonly suffixLines: number;
    readonly suffixChars: number;
}

const defaultLimits: WindowLimits = { prefixLines: 120, prefixChars: 3200, suffixLines: 40, suffixChars: 1000 };

interface SourceFile {
    readonly path: string;
    readonly language: Language;
    readonly text: string;
}

/** The folder of held-out Python modules. */
const pythonSourceDir = join("test", "fixtures", "quality-source", "python");

/** The corpus's files, sorted by path: src/**\/*.ts, test/**\/*.ts (not fixtures) and the Python modules. */
export function readSources(repoRoot: string): SourceFile[] {
    const skip = new Set([join("test", "fixtures"), "out", "node_modules"].map((path) => join(repoRoot, path)));
    const files: SourceFile[] = [];
    const walk = (dir: string, extension: string, language: Language): void => {
        for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const path = join(dir, entry.name);
            if (entry.isDirectory() && !skip.has(path)) walk(path, extension, language);
            else if (entry.isFile() && entry.name.endsWith(extension) && !entry.name.endsWith(".d.ts")) {
                files.push({ path: relative(repoRoot, path).split(sep).join("/"), language, text: readFileSync(path, "utf8").replace(/\r\n/g, "\n") });
            }
        }
    };
    walk(join(repoRoot, "src"), ".ts", "typescript");
    walk(join(repoRoot, "test"), ".ts", "typescript");
    walk(join(repoRoot, pythonSourceDir), ".py", "python");
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A small seeded generator (mulberry32): the same seed gives the same cases. */
function seededRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A number for a string (FNV-1a), to give each file a generator of its own. */
function hashOf(text: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    return hash >>> 0;
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [copy[i], copy[j]] = [copy[j], copy[i]] as [T, T];
    }
    return copy;
}

/** A cursor in a file: its offset, and where the text it should write ends (the end of its line or of the next). */
interface Site {
    readonly file: SourceFile;
    readonly kind: SiteKind;
    readonly line: number;
    readonly cursor: number;
    readonly targetEnd: number;
}

const maxLineLength = 160;
const commentLine = /^\s*(?:\/\/|\/\*|\*|#)/;
/** A line after which the extension asks for a block (chooseMode's openers): not a finished line. */
const opensBlock = /(?:[{([:]|=>|\bthen|\bdo)\s*$/;
const identifier = /[A-Za-z_$][A-Za-z0-9_$]*/g;
const beforeWord = /[\s(.,=+\-*/<>!&|?:[{]/;

function indentOf(line: string): number {
    return line.length - line.trimStart().length;
}

/** Every site of the file, by kind; each line gives at most one site of a kind (a random position for in-line kinds). */
function sitesOf(file: SourceFile, random: () => number): Map<SiteKind, Site[]> {
    const lines = file.text.split("\n");
    const starts: number[] = [];
    let offset = 0;
    for (const line of lines) {
        starts.push(offset);
        offset += line.length + 1;
    }
    const sites = new Map<SiteKind, Site[]>(siteKinds.map((kind) => [kind, []]));
    const add = (site: Site): void => void sites.get(site.kind)?.push(site);
    const usable = (line: string | undefined): line is string =>
        line !== undefined && line.trim() !== "" && line.length <= maxLineLength && !commentLine.test(line);
    lines.forEach((line, index) => {
        if (!usable(line)) return;
        const start = starts[index] ?? 0;
        const end = start + line.length;
        const codeStart = indentOf(line);
        const midWord: number[] = [];
        for (const match of line.matchAll(identifier)) {
            for (let at = match.index + 1; at < match.index + match[0].length; at++) if (at > codeStart) midWord.push(at);
        }
        const between: number[] = [];
        for (let at = codeStart + 1; at < line.length; at++) {
            if (beforeWord.test(line[at - 1] ?? "") && !/\s/.test(line[at] ?? " ") && line.slice(at).trim() !== "") between.push(at);
        }
        const pick = (positions: readonly number[]): number | undefined => positions[Math.floor(random() * positions.length)];
        const mid = pick(midWord);
        if (mid !== undefined) add({ file, kind: "midWord", line: index, cursor: start + mid, targetEnd: end });
        const gap = pick(between);
        if (gap !== undefined) add({ file, kind: "betweenWords", line: index, cursor: start + gap, targetEnd: end });
        const next = lines[index + 1];
        if (!usable(next)) return;
        const nextEnd = (starts[index + 1] ?? 0) + next.length;
        const trimmed = line.trimEnd();
        if (/[{:]$/.test(trimmed)) {
            if (indentOf(next) > codeStart)
                add({ file, kind: "blockStart", line: index + 1, cursor: (starts[index + 1] ?? 0) + indentOf(next), targetEnd: nextEnd });
        } else if (!opensBlock.test(trimmed)) {
            add({ file, kind: "lineEnd", line: index, cursor: end, targetEnd: nextEnd });
        }
    });
    return sites;
}

/** The case for a site: the window around it, and the rest of the file. */
function caseAt(site: Site, limits: WindowLimits): BenchCase {
    const { file } = site;
    const { text } = file;
    const cursorLineStart = text.lastIndexOf("\n", site.cursor - 1) + 1;
    // Whole lines back from the cursor's line, within both limits.
    let prefixStart = cursorLineStart;
    for (let lines = 0; lines < limits.prefixLines && prefixStart > 0; lines++) {
        const previous = prefixStart < 2 ? 0 : text.lastIndexOf("\n", prefixStart - 2) + 1;
        if (site.cursor - previous > limits.prefixChars) break;
        prefixStart = previous;
    }
    // Whole lines after the target's line, within both limits; the suffix starts with the target line's break.
    let suffixEnd = site.targetEnd;
    for (let lines = 0; lines < limits.suffixLines && suffixEnd < text.length; lines++) {
        const lineEnd = text.indexOf("\n", suffixEnd + 1);
        const next = lineEnd === -1 ? text.length : lineEnd;
        if (next - site.targetEnd > limits.suffixChars && lines > 0) break;
        suffixEnd = next;
    }
    // At the end of the file the suffix keeps the file's final line break.
    if (suffixEnd === text.length - 1 && text.endsWith("\n")) suffixEnd = text.length;
    const id = `${file.path}:${site.line + 1}:${site.kind}`;
    return {
        id,
        language: file.language,
        kind: site.kind,
        file: file.path,
        line: site.line + 1,
        prefix: text.slice(prefixStart, site.cursor),
        suffix: text.slice(site.targetEnd, suffixEnd),
        expected: text.slice(site.cursor, site.targetEnd),
        head: text.slice(0, prefixStart),
        tail: text.slice(suffixEnd),
    };
}

/**
 * `count` cases, spread evenly over the site kinds and the two languages (a cell short of sites is
 * topped up from the other language), and within a cell over the files, round-robin in a seeded order.
 * The same seed and files give the same cases.
 */
export function cutCases(files: readonly SourceFile[], count: number, seed: number, limits: WindowLimits = defaultLimits): BenchCase[] {
    const random = seededRandom(seed);
    const byCell = new Map<string, Site[][]>();
    for (const file of files) {
        // Each file's sites from a generator of its own: editing one file changes only its sites.
        const fileRandom = seededRandom(seed ^ hashOf(file.path));
        for (const [kind, sites] of sitesOf(file, fileRandom)) {
            const key = `${file.language}/${kind}`;
            const shuffled = shuffle(sites, fileRandom);
            if (shuffled.length > 0) byCell.set(key, [...(byCell.get(key) ?? []), shuffled]);
        }
    }
    const cells = languages.flatMap((language) => siteKinds.map((kind) => ({ language, kind, key: `${language}/${kind}` })));
    const available = (key: string): number => (byCell.get(key) ?? []).reduce((sum, list) => sum + list.length, 0);
    const wanted = new Map(cells.map(({ key }, index) => [key, Math.floor(count / cells.length) + (index < count % cells.length ? 1 : 0)]));
    // A language without enough sites of a kind: the other gives more (TypeScript has plenty).
    for (const { language, kind, key } of cells) {
        const missing = (wanted.get(key) ?? 0) - available(key);
        if (missing <= 0) continue;
        const other = `${language === "python" ? "typescript" : "python"}/${kind}`;
        wanted.set(key, available(key));
        wanted.set(other, (wanted.get(other) ?? 0) + missing);
    }
    return cells.flatMap(({ key }) => roundRobin(shuffle(byCell.get(key) ?? [], random), wanted.get(key) ?? 0).map((site) => caseAt(site, limits)));
}

/** Up to `count` items taking one from each list in turn. */
function roundRobin<T>(lists: readonly (readonly T[])[], count: number): T[] {
    const picked: T[] = [];
    for (let round = 0; picked.length < count; round++) {
        let any = false;
        for (const list of lists) {
            const item = list[round];
            if (item === undefined) continue;
            any = true;
            if (picked.length < count) picked.push(item);
        }
        if (!any) break;
    }
    return picked;
}
