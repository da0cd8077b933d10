/**
 * Replays typing on a source file: at each site, the end of a line is deleted and typed
 * again character by character. Shared by the completion tests and the benchmark.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const realSourceFile = resolve(__dirname, "../../../test/fixtures/source/lexer.ts.txt");

export function readRealSource(): string {
    return readFileSync(realSourceFile, "utf8");
}

export interface Keystroke {
    /** The document after this keystroke. */
    readonly text: string;
    /** The cursor after this keystroke. */
    readonly cursor: number;
    /** 0 for the state right after the deletion (the jump), then 1, 2, … */
    readonly index: number;
    readonly site: number;
}

export interface TypingSite {
    readonly line: number;
    /** Column where the deleted tail starts. */
    readonly column: number;
    readonly tail: string;
}

/** A small deterministic PRNG (mulberry32), so every run picks the same sites. */
export function seededRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** `count` sites on distinct lines that have at least `minTail` characters of code to retype. */
export function pickSites(text: string, count: number, seed: number, minTail = 6, maxTail = 24): TypingSite[] {
    const random = seededRandom(seed);
    const lines = text.split("\n");
    const candidates = lines.map((line, index) => ({ line, index })).filter(({ line }) => line.trim().length >= minTail + 2);
    const sites: TypingSite[] = [];
    const used = new Set<number>();
    while (sites.length < count && used.size < candidates.length) {
        const candidate = candidates[Math.floor(random() * candidates.length)];
        if (candidate === undefined || used.has(candidate.index)) continue;
        used.add(candidate.index);
        const indent = candidate.line.length - candidate.line.trimStart().length;
        const tailLength = Math.min(maxTail, Math.max(minTail, Math.floor((candidate.line.length - indent) * (0.3 + random() * 0.4))));
        const column = candidate.line.length - tailLength;
        sites.push({ line: candidate.index, column, tail: candidate.line.slice(column) });
    }
    return sites.sort((a, b) => a.line - b.line);
}

/** The keystrokes of retyping a site: the state after deleting the tail, then one per character. */
export function keystrokesAt(text: string, site: TypingSite, siteIndex: number): Keystroke[] {
    const lineStart = offsetOfLine(text, site.line);
    const at = lineStart + site.column;
    const end = at + site.tail.length;
    const before = text.slice(0, at);
    const after = text.slice(end);
    const strokes: Keystroke[] = [];
    for (let typed = 0; typed <= site.tail.length; typed++) {
        strokes.push({ text: before + site.tail.slice(0, typed) + after, cursor: at + typed, index: typed, site: siteIndex });
    }
    return strokes;
}

function offsetOfLine(text: string, line: number): number {
    let offset = 0;
    for (let i = 0; i < line; i++) offset = text.indexOf("\n", offset) + 1;
    return offset;
}

export function percentile(values: readonly number[], p: number): number {
    if (values.length === 0) return 0;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}
