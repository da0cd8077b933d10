import type { CompletionBudget, StopReason } from "../../protocol/completionProtocol";
import { finalizeSuggestion, findStopAndCause, noSuggestion, type CompletionSite, type Suggestion } from "./postProcess";

/** A single-line suggestion stops at this many tokens (a block at the budget's maxTokens). */
const lineMaxTokens = 48;

/**
 * One suggestion as the model writes it: told the raw text after each generated token, it says
 * when to stop and what to show so far. The engine's generation loop and `npm run quality`
 * (which streams recorded text) both drive it, so they stop and post-process alike.
 */
export class SuggestionStream {
    private raw = "";
    private tokens = 0;
    private reason: StopReason | undefined;

    constructor(
        private readonly site: CompletionSite,
        private readonly budget: CompletionBudget,
        /** No stop rules: generate to the budget (see CompleteParams.rawOnly). */
        private readonly rawOnly = false,
    ) {}

    /**
     * The raw text generated so far, after one more token, and the time since the request
     * arrived. Returns true when generation should stop here.
     */
    next(raw: string, elapsedMs: number): boolean {
        this.tokens++;
        if (this.rawOnly) {
            this.raw = raw;
            this.reason = "maxTokens";
            return this.tokens >= this.budget.maxTokens || countLines(raw) > 2 * this.budget.maxLines + 2;
        }
        const stop = findStopAndCause(raw, this.site);
        if (stop !== undefined) {
            this.raw = raw.slice(0, stop.at);
            this.reason = stop.budget ? "maxLines" : this.site.mode === "line" ? "lineEnd" : "blockEnd";
            return true;
        }
        this.raw = raw;
        // A single line is short; once it turns out to start a block (a line break passed), the block's budget applies.
        const maxTokens = this.site.mode === "line" && !raw.includes("\n") ? Math.min(this.budget.maxTokens, lineMaxTokens) : this.budget.maxTokens;
        if (this.tokens >= maxTokens) {
            this.reason = "maxTokens";
            return true;
        }
        if (elapsedMs > this.budget.maxMs) {
            this.reason = "timeout";
            return true;
        }
        return false;
    }

    /** Generation ended on the model's side: a stop or end token. */
    endedByModel(): void {
        this.reason = "stopToken";
    }

    /** What to show for the text so far (streamed to the editor while generating). */
    get current(): Suggestion {
        return this.raw === "" ? noSuggestion : finalizeSuggestion(this.raw, this.site);
    }

    /** What to show once generation ended: cut where brackets balance when a budget ended it. */
    get final(): Suggestion {
        const byBudget = this.reason === "maxTokens" || this.reason === "timeout" || this.reason === "maxLines";
        return this.raw === "" ? noSuggestion : finalizeSuggestion(this.raw, this.site, byBudget);
    }

    /** The raw text kept (cut at the stop; whole when rawOnly) and why generation stopped. */
    get result(): { readonly raw: string; readonly stopReason: StopReason; readonly generatedTokens: number } {
        return { raw: this.raw, stopReason: this.reason ?? "maxTokens", generatedTokens: this.tokens };
    }
}

function countLines(text: string): number {
    let lines = 1;
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) lines++;
    return lines;
}
