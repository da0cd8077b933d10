import type { LlamaContext, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { engineSequences } from "../protocol/engineProtocol";
import { evaluationSliceTokens } from "./completion/completionEngine";

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

/** Every evaluation Hearth issues is at most one slice long: a larger batch only costs memory. */
export const contextBatchSize = evaluationSliceTokens;

/** The context a loaded model gets: a sequence per cached document and/or chat's. */
export function createModelContext(model: LlamaModel, options: ModelContextOptions): Promise<LlamaContext> {
    return model.createContext({
        contextSize: Math.min(options.contextSize, model.trainContextSize),
        threads: options.threads,
        sequences: options.sequences,
        batchSize: contextBatchSize,
        flashAttention: model.fileInsights.flashAttentionSupported,
        createSignal: options.signal,
        // Hearth checks the fit before loading (memoryFit.ts); a user who overrules it overrules both.
        ignoreMemorySafetyChecks: options.ignoreMemoryFit ?? false,
    });
}
