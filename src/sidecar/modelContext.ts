import type { LlamaContext, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { evaluationSliceTokens } from "./completion/completionEngine";

/** Documents whose completion KV cache is kept at once, each on a sequence of its own. */
export const completionSequences = 3;
/** Sequences kept apart for chat, so that it never evicts a completion cache. */
export const chatSequences = 1;

export interface ModelContextOptions {
    readonly contextSize: number;
    readonly threads: number;
    readonly signal?: AbortSignal;
}

/** The one context a loaded model gets: a sequence per cached document, plus chat's. */
export function createModelContext(model: LlamaModel, options: ModelContextOptions): Promise<LlamaContext> {
    return model.createContext({
        contextSize: Math.min(options.contextSize, model.trainContextSize),
        threads: options.threads,
        sequences: completionSequences + chatSequences,
        // Every evaluation Hearth issues is at most one slice long: a larger batch only costs memory.
        batchSize: evaluationSliceTokens,
        flashAttention: model.fileInsights.flashAttentionSupported,
        createSignal: options.signal,
    });
}
