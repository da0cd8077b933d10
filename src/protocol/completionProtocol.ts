/**
 * Inline completions between the extension and the sidecar. The extension sends the
 * whole document (cheap over IPC) and the cursor; the sidecar owns windowing, the
 * prompt layout, the KV cache and post-processing, so that a keystroke costs a few
 * tokens of model work.
 */
import { ProgressType, RequestType, type ProgressToken } from "vscode-jsonrpc";
import type { EngineErrorData } from "./engineProtocol";

/** Anchored middle (PSM order) or suffix first (SPM order): see docs in README. */
export type PromptLayout = "psm" | "spm";
/** One line when the cursor has code to its right; a block when starting a new line or block. */
export type CompletionMode = "line" | "block";

export interface CompletionDocument {
    /** Identifies the document across requests (its URI). */
    readonly id: string;
    /** Workspace-relative path, used in repo-level prompts. */
    readonly path: string;
    /** The name of the workspace folder holding it (Qwen2.5-Coder's repo-level prompts start with it). */
    readonly repo?: string;
    readonly languageId: string;
    readonly text: string;
}

/** Another file's text that the prompt carries first, as repo-level context. */
export interface ContextSnippet {
    readonly path: string;
    readonly text: string;
}

export interface CompletionBudget {
    readonly maxTokens: number;
    readonly maxLines: number;
    /** Stop generating after this long (prompt evaluation included). */
    readonly maxMs: number;
}

/**
 * The parts of what makes a suggestion good, each on unless a benchmark turns it off to measure
 * what it is worth (`npm run bench:quality`). The extension never sets them.
 */
export interface CompletionFeatures {
    /** Replace the closers and quotes after the cursor that the suggestion supplies itself. */
    readonly replaceRange: boolean;
    /** A block ends where the enclosing block does, also for a cursor at column 0. */
    readonly enclosingIndent: boolean;
    /** Degenerate repetition and near-copies of the code below are dropped. */
    readonly repetition: boolean;
    /** Markdown fences, and comment lines with nothing in them (`//`), are never shown. */
    readonly fences: boolean;
    /** The line before the cursor, or what is typed on it, is not written again. */
    readonly prefixEcho: boolean;
    /** Indentation follows the editor's tabSize/insertSpaces and the file (tabs in Makefiles). */
    readonly indentStyle: boolean;
    /** A suggestion cut by its budget ends where its brackets balance. */
    readonly balancedCut: boolean;
    /** Spaces at the suggestion's edges as the line needs them. */
    readonly edgeWhitespace: boolean;
    /** A closer for a block the code after the cursor leaves open is kept, even where it dedents. */
    readonly neededCloser: boolean;
    /** Between auto-closed brackets or after a finished line, a suggestion that starts a new line is shown. */
    readonly modeUpgrade: boolean;
    /** Qwen2.5-Coder's repo-level prompt starts with a `<|repo_name|>` line. */
    readonly repoName: boolean;
    /** An empty suffix at the end of a file is sent as "\n". */
    readonly eofNewline: boolean;
    /** Generation stops at any control token of the vocabulary. */
    readonly controlTokens: boolean;
    /** The partly typed last token is taken back and regenerated, constrained to what was typed. */
    readonly tokenHealing: boolean;
    /** After a jump, runs of a PSM prompt still in the KV cache further along are moved into place, not evaluated again. */
    readonly chunkReuse: boolean;
}

export const allCompletionFeatures: CompletionFeatures = {
    replaceRange: true,
    enclosingIndent: true,
    repetition: true,
    fences: true,
    prefixEcho: true,
    indentStyle: true,
    balancedCut: true,
    edgeWhitespace: true,
    neededCloser: true,
    modeUpgrade: true,
    repoName: true,
    eofNewline: true,
    controlTokens: true,
    tokenHealing: true,
    chunkReuse: true,
};

export interface CompleteParams {
    readonly document: CompletionDocument;
    /** Offset of the cursor in `document.text` (UTF-16 code units). */
    readonly cursor: number;
    readonly mode: CompletionMode;
    readonly layout: PromptLayout;
    readonly budget: CompletionBudget;
    /** Evaluate on a fresh sequence, ignoring the cache (benchmarks and tests measure cold requests so). */
    readonly cold?: boolean;
    /**
     * Where the suggestion streams (LSP's partialResultToken), so that the extension can follow it:
     * each step goes out as JSON-RPC's `$/progress` with this token and a CompletionPartialResult
     * (CompleteRequest.partialResult). Without one nothing streams.
     */
    readonly partialResultToken?: ProgressToken;
    /** The editor's indentation for the document (its tab size, and whether Tab inserts spaces). */
    readonly indentation?: { readonly tabSize: number; readonly insertSpaces: boolean };
    /** Benchmarks only: parts to turn off (see CompletionFeatures). */
    readonly features?: Partial<CompletionFeatures>;
    /**
     * Benchmarks only: apply no stop rule, generate to the token budget (or twice the line budget)
     * and return the raw text whole, so that post-processing can be replayed on it under other
     * settings with the same result as generating under them (greedy decoding only ever stops earlier).
     */
    readonly rawOnly?: boolean;
}

export type StopReason = "stopToken" | "lineEnd" | "blockEnd" | "suffixRepeat" | "maxLines" | "maxTokens" | "timeout" | "cancelled";

interface CompletionCounts {
    /** Tokens in the prompt. */
    readonly promptTokens: number;
    /** Prompt tokens that were already in the KV cache (as its common prefix, or moved there: movedTokens). */
    readonly reusedTokens: number;
    /**
     * Of reusedTokens, those found further along in the KV cache and moved into place (the text
     * above a cursor that jumped down), not evaluated again.
     */
    readonly movedTokens: number;
    /** Prompt tokens the model evaluated for this request (from the sequence's token meter). */
    readonly evaluatedTokens: number;
    readonly generatedTokens: number;
    /** Tokens of the typed word taken back from the prompt and generated again (token healing). */
    readonly healedTokens: number;
}

interface CompletionTimings {
    /** From the request's arrival in the sidecar to the first generated token. */
    readonly ttftMs: number;
    /** From arrival to the finished suggestion. */
    readonly totalMs: number;
    /** Time spent waiting for a superseded request to let go of the engine. */
    readonly waitMs: number;
}

export interface CompleteResult {
    /** The suggestion, post-processed; "" when there is none worth showing. */
    readonly text: string;
    /**
     * Characters after the cursor, on its line, that the suggestion replaces (closers and quotes
     * the editor auto-inserted, which the suggestion supplies itself); 0 for a plain insert.
     */
    readonly replaceEnd: number;
    /** The raw generated text before post-processing, for logs and diagnostics. */
    readonly raw: string;
    readonly stopReason: StopReason;
    readonly layout: PromptLayout;
    /** PSM: whether this request moved the anchor (and so paid for suffix and middle again). */
    readonly anchorMoved: boolean;
    readonly counts: CompletionCounts;
    readonly timings: CompletionTimings;
}

export interface WarmParams {
    readonly document: CompletionDocument;
    readonly cursor: number;
    readonly layout: PromptLayout;
    /** Replaces the repo-level context used for this document's prompts (changes only when the user is idle). */
    readonly context?: readonly ContextSnippet[];
}

export interface WarmResult {
    readonly promptTokens: number;
    readonly evaluatedTokens: number;
    /** As CompletionCounts.movedTokens. */
    readonly movedTokens: number;
}

/** A step of a streaming suggestion: not a piece to append but the whole suggestion so far. */
export interface CompletionPartialResult {
    /** The suggestion so far, post-processed. */
    readonly text: string;
    /** As in CompleteResult. */
    readonly replaceEnd: number;
}

export namespace CompleteRequest {
    export const method = "hearth/complete";
    export const type = new RequestType<CompleteParams, CompleteResult, EngineErrorData>(method);
    /** The suggestion so far, sent as `$/progress` on the request's partialResultToken. */
    export const partialResult = new ProgressType<CompletionPartialResult>();
}

/** Evaluates a document's prompt without generating, so that its first completion is warm. */
export namespace WarmRequest {
    export const method = "hearth/warm";
    export const type = new RequestType<WarmParams, WarmResult, EngineErrorData>(method);
}
