import type { LlamaContext, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { engineSequences } from "../protocol/engineProtocol";

/** Documents whose completion KV cache is kept at once, each on a sequence of its own. */
export const completionSequences = engineSequences.completion;
/** Sequences kept apart for chat, so that it never evicts a completion cache. */
export const chatSequences = engineSequences.chat;

interface ModelContextOptions {
    readonly contextSize: number;
    readonly threads: number;
    /** Sequences of `contextSize` tokens each: completions' and chat's when one model serves both. */
    readonly sequences: number;
    readonly signal?: AbortSignal;
    /** The user chose to load past Hearth's memory estimate: skip node-llama-cpp's own check too. */
    readonly ignoreMemoryFit?: boolean;
}

/**
 * Prompt tokens are evaluated in slices this long, completions' and chat's alike, checking for
 * cancellation (and yielding to completions) between them.
 */
export const evaluationSliceTokens = 128;

/** The context a loaded model gets: a sequence per cached document and/or chat's. */
export function createModelContext(model: LlamaModel, options: ModelContextOptions): Promise<LlamaContext> {
    return model.createContext({
        contextSize: Math.min(options.contextSize, model.trainContextSize),
        threads: options.threads,
        sequences: options.sequences,
        batchSize: evaluationSliceTokens, // every evaluation is at most one slice: a larger batch only costs memory
        flashAttention: model.fileInsights.flashAttentionSupported,
        createSignal: options.signal,
        // Hearth checks the fit before loading (memoryFit.ts); a user who overrules it overrules both.
        ignoreMemorySafetyChecks: options.ignoreMemoryFit ?? false,
    });
}
