import * as vscode from "vscode";
import type { EngineErrorData } from "../../protocol/engineProtocol";
import { disposeAll, type HearthServices } from "../core/services";
import { registerCompletionCommands } from "./completionCommands";
import { CompletionWarmer } from "./completionWarmer";
import { InlineCompletionProvider, type CompletionStats } from "./inlineCompletionProvider";

export interface CompletionApi {
    readonly completionStats: Readonly<CompletionStats>;
    readonly lastSuggestion: string | undefined;
    /** Characters after the cursor the last suggestion replaces (closers it supplies itself). */
    readonly lastReplaceEnd: number;
    /** The running completion request and what it has streamed so far (text, and how many updates); undefined when none runs. */
    readonly completionStreaming: { readonly requestId: number; readonly text: string; readonly updates: number } | undefined;
    /** Warm-up requests that finished. */
    readonly warmed: number;
    /** Warm-ups asked for because the cursor came to rest on another line. */
    readonly jumpWarmups: number;
}

/** Ghost text as the user types: the inline completion provider, the warmer that keeps prompts cached, and their commands. */
export class CompletionFeature implements vscode.Disposable {
    private readonly completions: InlineCompletionProvider;
    private readonly warmer: CompletionWarmer;
    private readonly disposables: vscode.Disposable[] = [];

    constructor({ engine, config, log }: HearthServices) {
        this.completions = new InlineCompletionProvider(engine, config, log);
        this.warmer = new CompletionWarmer(engine, config, log, () => this.completions.busy);
        this.disposables.push(
            this.completions,
            this.warmer,
            vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, this.completions),
            ...registerCompletionCommands(config, this.completions),
        );
    }

    /** Fires with each suggestion's latency (the status bar shows it). */
    get onDidMeasureLatency(): vscode.Event<number> {
        return this.completions.onDidMeasureLatency;
    }

    /** Fires when a server engine's completions start failing (the error) and when they work again (undefined). */
    get onDidChangeServerProblem(): vscode.Event<EngineErrorData | undefined> {
        return this.completions.onDidChangeServerProblem;
    }

    get api(): CompletionApi {
        const { completions, warmer } = this;
        return {
            get completionStats() {
                return { ...completions.stats };
            },
            get lastSuggestion() {
                return completions.lastSuggestion;
            },
            get lastReplaceEnd() {
                return completions.lastReplaceEnd;
            },
            get completionStreaming() {
                return completions.streaming;
            },
            get warmed() {
                return warmer.warmed;
            },
            get jumpWarmups() {
                return warmer.jumpWarmups;
            },
        };
    }

    dispose(): void {
        disposeAll(this.disposables);
    }
}
