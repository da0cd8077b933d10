/**
 * What a suggestion is worth: exact match and edit similarity of its first line against what the
 * file really has there, whether one was shown, and whether the file still parses after accepting
 * it (TypeScript with the `typescript` package's parser, Python with `ast.parse` in one python3
 * process for all documents).
 */
import { spawnSync } from "node:child_process";
import * as ts from "typescript";
import type { BenchCase, Language, SiteKind } from "./corpus";

/**
 * The part of a completion that the line metrics compare: its first line, trailing spaces trimmed.
 * A completion that starts a new line (a line-end case's "\nnext line") keeps that break, so that a
 * suggestion that continues the finished line instead never matches one that starts the next.
 */
function firstLine(text: string): string {
    const start = text.startsWith("\r\n") ? 2 : text.startsWith("\n") ? 1 : 0;
    const end = text.slice(start).search(/\r?\n/);
    return (start > 0 ? "\n" : "") + (end === -1 ? text.slice(start) : text.slice(start, start + end)).trimEnd();
}

function levenshtein(a: string, b: string): number {
    if (a.length < b.length) [a, b] = [b, a];
    let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
        }
        previous = current;
    }
    return previous[b.length] ?? 0;
}

/** 1 − Levenshtein distance / the longer length (1 for two empty strings). */
function editSimilarity(a: string, b: string): number {
    const longer = Math.max(a.length, b.length);
    return longer === 0 ? 1 : 1 - levenshtein(a, b) / longer;
}

/** One suggestion, scored. `parses` is undefined when nothing was shown (or Python could not be run). */
export interface Score {
    readonly exact: boolean;
    readonly similarity: number;
    readonly shown: boolean;
    parses: boolean | undefined;
}

export function scoreLine(c: Pick<BenchCase, "expected">, insertText: string): Score {
    const got = firstLine(insertText);
    const want = firstLine(c.expected);
    return {
        exact: insertText !== "" && got === want,
        similarity: insertText === "" ? 0 : editSimilarity(got, want),
        shown: insertText !== "",
        parses: undefined,
    };
}

// ---------- parsing ----------

interface WithParseDiagnostics {
    readonly parseDiagnostics?: readonly ts.Diagnostic[];
}

/** Syntax errors in a TypeScript file, as the compiler's parser reports them. */
function typescriptSyntaxErrors(text: string, fileName = "file.ts"): number {
    const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, fileName.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
    return (source as unknown as WithParseDiagnostics).parseDiagnostics?.length ?? 0;
}

const pythonCheck = [
    "import ast, json, sys, warnings",
    "warnings.simplefilter('ignore')",
    "def ok(text):",
    "    try:",
    "        ast.parse(text)",
    "        return True",
    "    except Exception:",
    "        return False",
    "json.dump([ok(text) for text in json.load(sys.stdin)], sys.stdout)",
].join("\n");

/** Whether each Python document parses, from one python3 process; undefined when python3 cannot be run. */
function pythonParses(documents: readonly string[]): boolean[] | undefined {
    if (documents.length === 0) return [];
    const run = spawnSync("python3", ["-c", pythonCheck], { input: JSON.stringify(documents), encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0 || run.error !== undefined) return undefined;
    const parsed = JSON.parse(run.stdout) as unknown;
    return Array.isArray(parsed) && parsed.length === documents.length ? parsed.map((value) => value === true) : undefined;
}

/**
 * Collects the documents to check and answers them together (Python in one process): whether a
 * document parses as well as its original file, no more syntax errors than it for TypeScript,
 * parses (if it did) for Python.
 */
export class ParseChecks {
    private readonly typescriptBaseline = new Map<string, number>();
    private readonly typescriptErrors = new Map<string, number>();
    private readonly pending: {
        readonly language: Language;
        readonly file: string;
        readonly original: string;
        readonly text: string;
        readonly answer: (parses: boolean | undefined) => void;
    }[] = [];
    pythonAvailable = true;

    /** Queues a check; `answer` is called from `run`. */
    add(
        c: Pick<BenchCase, "language" | "file" | "head" | "prefix" | "expected" | "suffix" | "tail">,
        after: string,
        answer: (parses: boolean | undefined) => void,
    ): void {
        const original = c.head + c.prefix + c.expected + c.suffix + c.tail;
        this.pending.push({ language: c.language, file: c.file, original, text: c.head + after + c.tail, answer });
    }

    run(): void {
        const python = this.pending.filter((p) => p.language === "python");
        const texts = [...new Set(python.flatMap((p) => [p.original, p.text]))];
        const answers = pythonParses(texts);
        this.pythonAvailable = answers !== undefined;
        const parsesOf = new Map(texts.map((text, i) => [text, answers?.[i]]));
        for (const p of python) {
            const before = parsesOf.get(p.original);
            const after = parsesOf.get(p.text);
            p.answer(before === undefined || after === undefined ? undefined : after || !before);
        }
        for (const p of this.pending.filter((q) => q.language === "typescript")) {
            let baseline = this.typescriptBaseline.get(p.file);
            if (baseline === undefined) {
                baseline = typescriptSyntaxErrors(p.original, p.file);
                this.typescriptBaseline.set(p.file, baseline);
            }
            let errors = this.typescriptErrors.get(p.text);
            if (errors === undefined) {
                errors = typescriptSyntaxErrors(p.text, p.file);
                this.typescriptErrors.set(p.text, errors);
            }
            p.answer(errors <= baseline);
        }
        this.pending.length = 0;
    }
}

// ---------- summaries ----------

export interface Spread {
    readonly p50: number;
    readonly p95: number;
}

function percentile(values: readonly number[], p: number): number {
    if (values.length === 0) return 0;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

export function spread(values: readonly number[]): Spread {
    return { p50: round(percentile(values, 50)), p95: round(percentile(values, 95)) };
}

export interface QualityFigures {
    readonly cases: number;
    readonly exact_match: number;
    readonly edit_similarity: number;
    readonly shown: number;
    /** Of the shown suggestions, the share after which the file parses as well as before (null: not checked). */
    readonly parses: number | null;
}

export function qualityOf(scores: readonly Score[]): QualityFigures {
    const shown = scores.filter((s) => s.shown);
    const checked = shown.filter((s) => s.parses !== undefined);
    const share = (count: number, of: number): number => (of === 0 ? 0 : round(count / of, 3));
    return {
        cases: scores.length,
        exact_match: share(scores.filter((s) => s.exact).length, scores.length),
        edit_similarity: share(
            scores.reduce((sum, s) => sum + s.similarity, 0),
            scores.length,
        ),
        shown: share(shown.length, scores.length),
        parses: checked.length === 0 ? null : share(checked.filter((s) => s.parses === true).length, checked.length),
    };
}

/** Figures overall, by site kind and by language. */
export interface Split<T> {
    readonly all: T;
    readonly byKind: Readonly<Record<SiteKind, T>>;
    readonly byLanguage: Readonly<Record<Language, T>>;
}

export function split<S, T>(cases: readonly Pick<BenchCase, "kind" | "language">[], samples: readonly S[], figures: (samples: readonly S[]) => T): Split<T> {
    const where = (keep: (c: Pick<BenchCase, "kind" | "language">) => boolean): T =>
        figures(
            samples.filter((_, i) => {
                const c = cases[i];
                return c !== undefined && keep(c);
            }),
        );
    return {
        all: figures(samples),
        byKind: {
            midWord: where((c) => c.kind === "midWord"),
            betweenWords: where((c) => c.kind === "betweenWords"),
            lineEnd: where((c) => c.kind === "lineEnd"),
            blockStart: where((c) => c.kind === "blockStart"),
        },
        byLanguage: { typescript: where((c) => c.language === "typescript"), python: where((c) => c.language === "python") },
    };
}

export function round(value: number, digits = 1): number {
    const scale = 10 ** digits;
    return Math.round(value * scale) / scale;
}
