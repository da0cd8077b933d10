import * as vscode from "vscode";
import { documentSentRange, editorIndentation, engineDocument } from "./engineDocument";
import { ResponseError } from "vscode-jsonrpc";
import type { CompleteResult } from "../../protocol/completionProtocol";
import type { EngineErrorData } from "../../protocol/engineProtocol";
import type { Config } from "../settings/config";
import type { EngineClient } from "../engine/engineClient";
import type { Log } from "../core/log";
import { chooseMode, remainderAfterTyping, typedIntoStream, typedSince, type CursorText } from "./completionSite";

export const acceptedCommand = "hearth.completion.accepted";

/** Counts the integration tests read: what each keystroke cost. */
export interface CompletionStats {
    /** Requests sent to the engine. */
    requests: number;
    /** Suggestions answered from the shown suggestion as the user typed it (no model call). */
    typedAsSuggested: number;
    /** Keystrokes that adopted a suggestion still streaming instead of asking again. */
    adoptedStreams: number;
    /** Engine requests cancelled because a newer keystroke superseded them. */
    cancelled: number;
    /** Suggestions the user accepted. */
    accepted: number;
    /** Requests started right after an accept, to have the next suggestion ready (unless VS Code asked already). */
    prefetched: number;
    /** Suggestions shown. */
    shown: number;
    /** Prompt tokens the last finished request evaluated (its KV-cache miss). */
    lastEvaluatedTokens: number | undefined;
}

interface InFlight {
    readonly site: CursorText;
    /** Numbers the requests for the log and the integration tests (`streaming`); the engine never sees it. */
    readonly requestId: number;
    readonly cancellation: vscode.CancellationTokenSource;
    readonly result: Promise<CompleteResult | undefined>;
    streamed: string;
    /** Progress updates received: the model is generating once there is one (its text may still be ""). */
    updates: number;
    /** Bumped when a keystroke adopts it; an abandon timer only cancels an unadopted request. */
    adoptions: number;
}

/**
 * Ghost text from the local model. A keystroke reuses what it can before asking the model:
 * the suggestion on screen when the user types its characters, then a suggestion still
 * streaming when the typed text matches it; otherwise it cancels the superseded request
 * (over the wire, into the sidecar's evaluation loop) and asks anew.
 */
export class InlineCompletionProvider implements vscode.InlineCompletionItemProvider, vscode.Disposable {
    readonly stats: CompletionStats = {
        requests: 0,
        typedAsSuggested: 0,
        adoptedStreams: 0,
        cancelled: 0,
        accepted: 0,
        prefetched: 0,
        shown: 0,
        lastEvaluatedTokens: undefined,
    };
    private shown: { readonly site: CursorText; readonly text: string; readonly replaceEnd: number } | undefined;
    private inFlight: InFlight | undefined;
    private nextRequestId = 1;
    private readonly latencyEmitter = new vscode.EventEmitter<number>();
    private readonly serverProblemEmitter = new vscode.EventEmitter<EngineErrorData | undefined>();
    private readonly disposables: vscode.Disposable[] = [this.latencyEmitter, this.serverProblemEmitter];
    /**
     * What the last failure was about: the same failure again (a server that is down fails keystroke
     * after keystroke) is not logged again until a completion works.
     */
    private lastFailure: string | undefined;

    /** Milliseconds from keystroke to suggestion, for each suggestion the model produced. */
    readonly onDidMeasureLatency = this.latencyEmitter.event;
    /** A server engine's completion requests started failing (the error), or work again (undefined): the status bar says so. */
    readonly onDidChangeServerProblem = this.serverProblemEmitter.event;

    constructor(
        private readonly engine: EngineClient,
        private readonly config: Config,
        private readonly log: Log,
    ) {
        // A new load asks the servers afresh (and the status bar forgets their failures): a failure is news again.
        const stateChanged = engine.onDidChangeState(() => (this.lastFailure = undefined));
        this.disposables.push({ dispose: () => stateChanged.dispose() });
    }

    async provideInlineCompletionItems(
        document: vscode.TextDocument,
        position: vscode.Position,
        _context: vscode.InlineCompletionContext,
        token: vscode.CancellationToken,
    ): Promise<vscode.InlineCompletionItem[] | undefined> {
        if (!this.config.completionsEnabledFor(document.languageId) || !this.engine.canComplete) return undefined;
        const site = cursorTextOf(document, position);

        if (this.shown !== undefined) {
            const typed = typedSince(this.shown.site, site);
            const rest = typed === undefined || typed === "" ? undefined : remainderAfterTyping(this.shown.text, typed);
            if (rest !== undefined) {
                this.stats.typedAsSuggested++;
                return [this.item(rest, position, this.shown.replaceEnd)];
            }
        }

        const { request, typed } = this.adopt(site) ?? { request: this.start(document, position, site), typed: "" };
        const subscription = token.onCancellationRequested(() => this.abandonSoon(request));
        try {
            const result = await request.result;
            if (result === undefined || result.text === "") return undefined;
            this.shown = { site: request.site, text: result.text, replaceEnd: result.replaceEnd };
            const rest = remainderAfterTyping(result.text, typed);
            if (rest === undefined || token.isCancellationRequested) return undefined;
            this.stats.shown++;
            return [this.item(rest, position, result.replaceEnd)];
        } finally {
            subscription.dispose();
        }
    }

    /** The last suggestion the model produced (the integration tests compare it with what Tab inserts). */
    get lastSuggestion(): string | undefined {
        return this.shown?.text;
    }

    /** How many characters after the cursor the last suggestion replaces. */
    get lastReplaceEnd(): number {
        return this.shown?.replaceEnd ?? 0;
    }

    /** The running request and what it has streamed so far; undefined when none runs. */
    get streaming(): { readonly requestId: number; readonly text: string; readonly updates: number } | undefined {
        const request = this.inFlight;
        return request !== undefined ? { requestId: request.requestId, text: request.streamed, updates: request.updates } : undefined;
    }

    /** Whether a request is running (warm-ups wait for it). */
    get busy(): boolean {
        return this.inFlight !== undefined;
    }

    /** After an accept: ask for what comes next now, so that it is ready when the user looks. */
    prefetch(editor: vscode.TextEditor): void {
        this.stats.accepted++;
        const { document } = editor;
        if (!this.config.completionsEnabledFor(document.languageId) || !this.engine.canComplete) return;
        const position = editor.selection.active;
        const site = cursorTextOf(document, position);
        if (this.inFlight !== undefined && typedSince(this.inFlight.site, site) === "") return;
        this.stats.prefetched++;
        const request = this.start(document, position, site);
        void request.result.then((result) => {
            if (result !== undefined && result.text !== "") this.shown = { site, text: result.text, replaceEnd: result.replaceEnd };
        });
    }

    dispose(): void {
        this.inFlight?.cancellation.cancel();
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
    }

    private adopt(site: CursorText): { request: InFlight; typed: string } | undefined {
        const request = this.inFlight;
        if (request === undefined) return undefined;
        const typed = typedIntoStream(request.site, request.streamed, site);
        if (typed === undefined) return undefined;
        request.adoptions++;
        if (typed !== "") this.stats.adoptedStreams++;
        return { request, typed };
    }

    private start(document: vscode.TextDocument, position: vscode.Position, site: CursorText): InFlight {
        this.cancelInFlight();
        const line = document.lineAt(position.line).text;
        const mode = chooseMode(line.slice(0, position.character), line.slice(position.character));
        const requestId = this.nextRequestId++;
        const cancellation = new vscode.CancellationTokenSource();
        const started = Date.now();
        this.stats.requests++;
        this.stats.lastEvaluatedTokens = undefined;
        const result = this.engine
            .complete(
                {
                    ...engineDocument(document, position),
                    mode,
                    layout: this.config.promptLayout,
                    budget: this.config.completionBudget,
                    indentation: editorIndentation(document),
                },
                cancellation.token,
                ({ text }) => {
                    // The replace range comes with the final result; while streaming, the text is what matters (adoption).
                    if (this.inFlight !== request) return;
                    request.streamed = text;
                    request.updates++;
                },
            )
            .then(
                (completion) => {
                    const latency = Date.now() - started;
                    this.succeeded();
                    this.stats.lastEvaluatedTokens = completion.counts.evaluatedTokens;
                    this.latencyEmitter.fire(latency);
                    this.log.write(
                        "debug",
                        `Completion ${requestId} (${mode}, ${completion.layout}): ${latency} ms, first token ${completion.timings.ttftMs} ms, ` +
                            `${completion.counts.evaluatedTokens} of ${completion.counts.promptTokens} prompt tokens evaluated` +
                            `${completion.counts.movedTokens > 0 ? ` (${completion.counts.movedTokens} moved in the cache)` : ""}, ${completion.counts.generatedTokens} generated, stop ${completion.stopReason}.`,
                    );
                    return completion;
                },
                (error: unknown) => {
                    if (isCancelled(error)) {
                        this.stats.cancelled++;
                        return undefined;
                    }
                    this.failed(requestId, error);
                    return undefined;
                },
            )
            .finally(() => {
                cancellation.dispose();
                if (this.inFlight === request) this.inFlight = undefined;
            });
        const request: InFlight = { site, requestId, cancellation, result, streamed: "", updates: 0, adoptions: 0 };
        this.inFlight = request;
        return request;
    }

    /** Logs a failure once while it repeats; a server's failure shows in the status bar too (never as a notice: it would come at every keystroke). */
    private failed(requestId: number, error: unknown): void {
        const data = error instanceof ResponseError ? (error.data as EngineErrorData | undefined) : undefined;
        const message = error instanceof Error ? error.message : String(error);
        const key = data !== undefined ? `${data.kind}|${data.server?.url ?? ""}|${data.server?.status ?? ""}` : message;
        if (key === this.lastFailure) return;
        this.lastFailure = key;
        this.log.warn(`Completion ${requestId} failed: ${message} (logged once until completions work again)`);
        this.serverProblemEmitter.fire(data?.server !== undefined ? data : undefined);
    }

    private succeeded(): void {
        if (this.lastFailure === undefined) return;
        this.lastFailure = undefined;
        this.log.info("Completions work again.");
        this.serverProblemEmitter.fire(undefined);
    }

    private cancelInFlight(): void {
        const request = this.inFlight;
        this.inFlight = undefined;
        request?.cancellation.cancel();
    }

    /** VS Code dropped the request: cancel it unless the next keystroke adopts it within a moment. */
    private abandonSoon(request: InFlight): void {
        const adoptions = request.adoptions;
        setTimeout(() => {
            if (request.adoptions === adoptions && this.inFlight === request) this.cancelInFlight();
        }, 50);
    }

    /** `replaceEnd`: characters after the cursor (auto-closed closers and quotes) that the suggestion supplies itself. */
    private item(text: string, position: vscode.Position, replaceEnd: number): vscode.InlineCompletionItem {
        const range = new vscode.Range(position, position.translate(0, replaceEnd));
        return new vscode.InlineCompletionItem(text, range, { command: acceptedCommand, title: "Hearth: suggestion accepted" });
    }
}

/** The text around the cursor, as much as is sent to the engine (a huge file is never copied whole per keystroke). */
function cursorTextOf(document: vscode.TextDocument, position: vscode.Position): CursorText {
    const { start, end } = documentSentRange(document, document.offsetAt(position));
    return {
        documentId: document.uri.toString(),
        before: document.getText(new vscode.Range(document.positionAt(start), position)),
        after: document.getText(new vscode.Range(position, document.positionAt(end))),
    };
}

function isCancelled(error: unknown): boolean {
    return error instanceof ResponseError && (error.data as EngineErrorData | undefined)?.kind === "cancelled";
}
