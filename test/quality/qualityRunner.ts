/**
 * Completion cases through the code the extension uses, minus VS Code: the extension's mode choice
 * and budget (src/extension/completion/completionSite.ts, with package.json's defaults), the
 * sidecar's site, stream and post-processing, and, with a model, the sidecar's CompletionEngine
 * (prompt layout, KV cache, generation). `npm run quality`, `npm run bench:quality` and the
 * table-driven unit tests all run cases through here.
 */
import type { CompleteParams, CompletionBudget, CompletionFeatures } from "../../src/protocol/completionProtocol";
import { defaultNumber } from "../../src/extension/settings/settingDefaults";
import { chooseMode } from "../../src/extension/completion/completionSite";
import type { CompletionEngine } from "../../src/sidecar/completion/completionEngine";
import { choosePieces, lineStartOf } from "../../src/sidecar/completion/documentWindow";
import type { Suggestion } from "../../src/sidecar/completion/postProcess";
import { siteOf } from "../../src/sidecar/completion/siteOf";
import { SuggestionStream } from "../../src/sidecar/completion/suggestionStream";

/** One case: the document around the cursor, and optionally what the model wrote. */
export interface QualityCase {
    readonly id: string;
    /** A VS Code language id ("typescript", "python", "makefile"…). */
    readonly language: string;
    /** The document before the cursor. */
    readonly prefix: string;
    /** The document after the cursor. */
    readonly suffix: string;
    readonly tabSize?: number;
    readonly insertSpaces?: boolean;
    /** What the model generated; when present no model runs: it is streamed through post-processing. */
    readonly raw?: string;
}

/** One result; `insertText` is "" when nothing is shown. */
export interface QualityResult {
    readonly id: string;
    readonly insertText: string;
    /** Characters after the cursor the suggestion replaces. */
    readonly replaceEnd: number;
    readonly evaluatedTokens?: number;
    readonly ttftMs?: number;
    readonly totalMs?: number;
    readonly stopReason?: string;
    /** What the model generated (generateCase only; the CLI does not write it). */
    readonly raw?: string;
    /** Prompt tokens moved into place in the KV cache rather than evaluated (generateCase only; the CLI does not write it). */
    readonly movedTokens?: number;
}

interface GenerateOptions {
    readonly budget?: CompletionBudget;
    readonly features?: Partial<CompletionFeatures>;
    /** Generate without stop rules and return the raw text whole (see CompleteParams.rawOnly). */
    readonly rawOnly?: boolean;
    /** Reuse the document's KV cache (default: a fresh sequence, as for a first request). */
    readonly warm?: boolean;
    /** The case's document id (default: from its id); a second request for the same document reuses its cache. */
    readonly documentId?: string;
    /** The workspace folder's name, as the extension sends it (the repo-level prompt's first line). */
    readonly repo?: string;
}

/** The completion settings' defaults, read from package.json (where they live once). */
export function extensionBudget(): CompletionBudget {
    return {
        maxLines: defaultNumber("completions.maxLines"),
        maxTokens: defaultNumber("completions.maxTokens"),
        maxMs: defaultNumber("completions.timeBudgetMs"),
    };
}

/** The special tokens of Qwen2.5-Coder's vocabulary, for cases replayed without a model. */
const qwenSpecialTexts: readonly string[] = [
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
];

/** The request the extension would send for a case: its mode and budget as the provider picks them. */
function caseParams(c: QualityCase, budget: CompletionBudget = extensionBudget(), features?: Partial<CompletionFeatures>): CompleteParams {
    const text = c.prefix + c.suffix;
    const cursor = c.prefix.length;
    const lineEnd = text.indexOf("\n", cursor);
    const mode = chooseMode(text.slice(lineStartOf(text, cursor), cursor), text.slice(cursor, lineEnd === -1 ? text.length : lineEnd));
    return {
        document: { id: `quality:///${encodeURIComponent(c.id)}`, path: pathFor(c.language), languageId: c.language, text },
        cursor,
        mode,
        layout: "psm",
        budget,
        cold: true,
        indentation: c.tabSize !== undefined || c.insertSpaces !== undefined ? { tabSize: c.tabSize ?? 4, insertSpaces: c.insertSpaces ?? true } : undefined,
        features,
    };
}

/**
 * A case's recorded text streamed through post-processing as if the model were writing it:
 * `steps` are the text after each of the model's tokens; without them, one character at a time.
 */
export function replayCase(
    c: QualityCase & { readonly raw: string },
    options: { readonly steps?: readonly string[]; readonly specialTexts?: readonly string[]; readonly features?: Partial<CompletionFeatures> } = {},
): QualityResult {
    const params = caseParams(c, extensionBudget(), options.features);
    const characters = [...c.raw];
    const steps = options.steps ?? characters.map((_, i) => characters.slice(0, i + 1).join(""));
    const site = siteOf(params, choosePieces(params.document.text, params.cursor, params.layout, undefined), options.specialTexts ?? qwenSpecialTexts);
    // Recorded text has no clock; one character is no token, so without the model's pieces only the line budget applies.
    const budget = { ...params.budget, maxMs: Number.POSITIVE_INFINITY, ...(options.steps === undefined ? { maxTokens: Number.POSITIVE_INFINITY } : {}) };
    const stream = new SuggestionStream(site, budget);
    for (const raw of steps) if (stream.next(raw, 0)) break;
    return { id: c.id, ...stream.final, stopReason: stream.result.stopReason };
}

/** A case run by the model through the sidecar's engine, greedily (by default on a fresh sequence). */
export async function generateCase(engine: Pick<CompletionEngine, "complete">, c: QualityCase, options: GenerateOptions = {}): Promise<QualityResult> {
    const base = caseParams(c, options.budget, options.features);
    const params: CompleteParams = {
        ...base,
        document: { ...base.document, id: options.documentId ?? base.document.id, repo: options.repo },
        cold: options.warm !== true,
        rawOnly: options.rawOnly,
    };
    const result = await engine.complete(params, new AbortController().signal);
    return {
        id: c.id,
        insertText: result.text,
        replaceEnd: result.replaceEnd,
        evaluatedTokens: result.counts.evaluatedTokens,
        ttftMs: result.timings.ttftMs,
        totalMs: result.timings.totalMs,
        stopReason: result.stopReason,
        raw: result.raw,
        movedTokens: result.counts.movedTokens,
    };
}

/** The document after accepting a result. */
export function documentAfter(c: Pick<QualityCase, "prefix" | "suffix">, result: Suggestion): string {
    return c.prefix + result.insertText + c.suffix.slice(result.replaceEnd);
}

const extensions: Readonly<Record<string, string>> = {
    typescript: "ts",
    typescriptreact: "tsx",
    javascript: "js",
    javascriptreact: "jsx",
    python: "py",
    go: "go",
    rust: "rs",
    java: "java",
    c: "c",
    cpp: "cpp",
    csharp: "cs",
    ruby: "rb",
    php: "php",
    shellscript: "sh",
    yaml: "yaml",
    json: "json",
    html: "html",
    css: "css",
    lua: "lua",
    kotlin: "kt",
    swift: "swift",
    sql: "sql",
    markdown: "md",
};

/** A file name for the language, as the repo-level prompt's path. */
function pathFor(language: string): string {
    return language === "makefile" ? "Makefile" : `src/main.${extensions[language] ?? "txt"}`;
}
