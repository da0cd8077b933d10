import { allCompletionFeatures } from "../../protocol/completionProtocol";
import type { CompleteParams, CompleteResult, CompletionFeatures, ContextSnippet, StopReason, WarmParams, WarmResult } from "../../protocol/completionProtocol";
import type { ServerEndpoint } from "../../protocol/engineProtocol";
import { anchorStateOf, choosePieces, defaultWindowOptions, type AnchorState, type PromptPieces, type WindowOptions } from "../completion/documentWindow";
import type { Suggestion } from "../completion/postProcess";
import { siteOf } from "../completion/siteOf";
import { SuggestionStream } from "../completion/suggestionStream";
import { EngineError } from "../engineError";
import { LatestWins } from "../latestWins";
import { headerText, layoutFor, promptText, type FimTemplate } from "./fimTemplates";
import { describeServer, streamJson } from "./serverHttp";
import { isRecord, openAiPath, positiveInteger, probeServer, serverKindName, type ServerModel } from "./serverModel";

/** Room kept in the server's context for the suggestion, as locally. */
const generationReserveTokens = 512;
/** Characters per token assumed when fitting a window into a server's context (code runs 3 to 4; fewer is safe). */
const charsPerToken = 2.5;
/** Documents whose prompt state (anchor, snippets, slot) is kept. */
const maxDocuments = 64;
/** How long Ollama keeps the model (and its prompt cache) loaded after a request. */
const ollamaKeepAlive = "30m";
/** OpenAI's API takes at most four stop texts. */
const openAiMaxStops = 4;

interface DocumentState {
    anchor: AnchorState | undefined;
    snippets: readonly ContextSnippet[];
}

/** What the server reported of a request's prompt work; undefined where it says nothing. */
interface PromptWork {
    evaluated?: number;
    cached?: number;
}

/** One streamed piece of a suggestion, in the server's own shape turned into Hearth's. */
interface Piece {
    readonly text: string;
    /** The server ended the suggestion (an end token or a stop text), not Hearth. */
    readonly done: boolean;
    readonly work: PromptWork;
}

/**
 * Completions from a server engine, with Hearth's prompt layout and post-processing: the prompt is
 * written as text in the model family's FIM template, laid out as the local engine lays it out
 * (what changes while typing at the end), so a server with a prompt cache evaluates only the new
 * tokens: llama.cpp's server with `cache_prompt` and a slot per document, Ollama with its runner's
 * cache kept loaded (`keep_alive`), OpenAI-compatible servers with their prefix caches (vLLM, SGLang).
 * One request at a time: a newer one aborts the running one, and aborting closes its HTTP request.
 */
export class ServerCompletion {
    private model: Promise<ServerModel> | undefined;
    private readonly requests = new LatestWins();
    private readonly documents = new Map<string, DocumentState>();
    /** llama.cpp's server: the slot each document's prompt lives in, least recently used first. */
    private readonly slots = new Map<string, number>();

    constructor(
        private readonly endpoint: ServerEndpoint,
        probed?: ServerModel,
    ) {
        if (probed !== undefined) this.model = Promise.resolve(probed);
    }

    complete(params: CompleteParams, signal: AbortSignal, onProgress?: (suggestion: Suggestion) => void): Promise<CompleteResult> {
        const arrived = performance.now();
        return this.requests.run(signal, (combined, waitMs) => this.run(params, combined, arrived, waitMs, onProgress));
    }

    /** Fills the document's slot on llama.cpp's server; the other kinds keep no cache Hearth can fill ahead. */
    warm(params: WarmParams, signal: AbortSignal): Promise<WarmResult> {
        return this.requests.run(signal, async (combined) => {
            const model = await this.serverModel(combined);
            const template = this.templateOf(model);
            const state = this.documentState(params.document.id);
            if (params.context !== undefined) state.snippets = params.context;
            const { prompt, pieces } = this.prompt(model, template, params.document, params.cursor, params.layout, state, allCompletionFeatures);
            if (this.endpoint.kind !== "llama.cpp") return { promptTokens: 0, evaluatedTokens: 0, movedTokens: 0 };
            const work: PromptWork = {};
            // One token generated: the prompt is evaluated and stays in the slot's cache.
            const body = { prompt, n_predict: 1, temperature: 0, cache_prompt: true, id_slot: this.slotFor(params.document.id, model), stream: true };
            for await (const chunk of streamJson({ endpoint: this.endpoint, role: "completion", path: "/completion", body, signal: combined }, "sse"))
                readLlamaCppWork(chunk, work);
            state.anchor = anchorStateOf(pieces);
            return { promptTokens: (work.evaluated ?? 0) + (work.cached ?? 0), evaluatedTokens: work.evaluated ?? 0, movedTokens: 0 };
        });
    }

    abortAndWait(): Promise<void> {
        return this.requests.abortAndWait();
    }

    whenIdle(): Promise<void> {
        return this.requests.whenIdle();
    }

    /** The server's model, asked once; a failed probe is tried again by the next request. */
    private serverModel(signal: AbortSignal): Promise<ServerModel> {
        if (this.model === undefined) {
            const probe = probeServer(this.endpoint, "completion", signal);
            this.model = probe;
            probe.catch(() => {
                if (this.model === probe) this.model = undefined;
            });
        }
        return this.model;
    }

    private templateOf(model: ServerModel): FimTemplate {
        if (model.template !== undefined) return model.template;
        throw new EngineError(
            "noFimTokens",
            `The ${serverKindName(this.endpoint.kind)} at ${describeServer(this.endpoint)} serves "${model.info.name}", which has no fill-in-the-middle support Hearth knows of. Use a code model with FIM (Qwen2.5-Coder, StarCoder2, CodeGemma, DeepSeek-Coder, Code Llama, Codestral) for completions.`,
            model.info.path,
        );
    }

    private documentState(id: string): DocumentState {
        let state = this.documents.get(id);
        if (state === undefined) state = { anchor: undefined, snippets: [] };
        this.documents.delete(id);
        this.documents.set(id, state);
        while (this.documents.size > maxDocuments) this.documents.delete(this.documents.keys().next().value ?? "");
        return state;
    }

    /** The document's slot: kept while it is used, the least recently used document's when all are taken. */
    private slotFor(id: string, model: ServerModel): number {
        let slot = this.slots.get(id);
        if (slot === undefined) {
            const taken = new Set(this.slots.values());
            slot = [...Array(model.slots).keys()].find((candidate) => !taken.has(candidate));
            if (slot === undefined) {
                const [oldest, oldestSlot] = this.slots.entries().next().value ?? ["", 0];
                this.slots.delete(oldest);
                slot = oldestSlot;
            }
        }
        this.slots.delete(id);
        this.slots.set(id, slot);
        return slot;
    }

    private prompt(
        model: ServerModel,
        template: FimTemplate,
        document: CompleteParams["document"],
        cursor: number,
        requested: CompleteParams["layout"],
        state: DocumentState,
        features: CompletionFeatures,
    ): { prompt: string; pieces: PromptPieces } {
        const layout = layoutFor(template, requested);
        const window = windowFor(model.contextSize);
        const pieces = choosePieces(document.text, cursor, layout, layout === state.anchor?.layout ? state.anchor : undefined, window);
        let header = model.info.hasFileSeparator ? headerText(template, document.path, state.snippets, document.repo, features.repoName) : "";
        // Other files' context goes first when there is no room (estimated: the server tokenizes).
        if (model.contextSize !== undefined && header.length > ((model.contextSize - generationReserveTokens) * charsPerToken) / 4)
            header = headerText(template, document.path, [], document.repo, features.repoName);
        return { prompt: promptText(template, pieces, header, features.eofNewline), pieces };
    }

    private async run(
        params: CompleteParams,
        signal: AbortSignal,
        arrived: number,
        waitMs: number,
        onProgress?: (suggestion: Suggestion) => void,
    ): Promise<CompleteResult> {
        const features = { ...allCompletionFeatures, ...params.features };
        // The time budget holds here as locally: past it, the request is closed (what the server evaluated stays in its cache).
        const deadline = new AbortController();
        const timer = setTimeout(() => deadline.abort(), Math.max(1, arrived + params.budget.maxMs - performance.now()));
        const combined = AbortSignal.any([signal, deadline.signal]);
        let layout = params.layout;
        let anchorMoved = false;
        let stream: SuggestionStream | undefined;
        const work: PromptWork = {};
        let ttftMs = 0;
        let pieces = 0;
        try {
            const model = await this.serverModel(combined);
            const template = this.templateOf(model);
            if (params.cursor < 0 || params.cursor > params.document.text.length)
                throw new EngineError("badRequest", `The cursor offset ${params.cursor} is outside the document (${params.document.text.length} characters).`);
            const state = this.documentState(params.document.id);
            const prepared = this.prompt(model, template, params.document, params.cursor, params.layout, state, features);
            state.anchor = anchorStateOf(prepared.pieces);
            layout = prepared.pieces.layout;
            anchorMoved = prepared.pieces.anchorMoved;
            const site = siteOf(params, prepared.pieces, template.stops);
            stream = new SuggestionStream(site, params.budget, params.rawOnly === true);
            let raw = "";
            for await (const piece of this.generate(model, template, params, prepared.prompt, combined)) {
                Object.assign(work, definedOf(piece.work));
                if (piece.text !== "") {
                    if (pieces++ === 0) ttftMs = performance.now() - arrived;
                    raw += piece.text;
                    if (stream.next(raw, performance.now() - arrived)) break;
                    onProgress?.(stream.current);
                }
                if (piece.done) {
                    stream.endedByModel();
                    break;
                }
            }
        } catch (error) {
            const timedOut = deadline.signal.aborted && !signal.aborted;
            if (!(timedOut && error instanceof EngineError && error.kind === "cancelled")) throw error;
        } finally {
            clearTimeout(timer);
        }
        if (signal.aborted) throw new EngineError("cancelled", "The request was cancelled.");
        const timedOut = deadline.signal.aborted;
        const result = stream?.result;
        const suggestion = stream === undefined ? undefined : stream.final;
        const stopReason: StopReason =
            timedOut && result?.stopReason !== "lineEnd" && result?.stopReason !== "blockEnd" ? "timeout" : (result?.stopReason ?? "timeout");
        return {
            text: suggestion?.insertText ?? "",
            replaceEnd: suggestion?.replaceEnd ?? 0,
            raw: result?.raw ?? "",
            stopReason,
            layout,
            anchorMoved,
            counts: {
                promptTokens: (work.evaluated ?? 0) + (work.cached ?? 0),
                reusedTokens: work.cached ?? 0,
                movedTokens: 0,
                evaluatedTokens: work.evaluated ?? 0,
                generatedTokens: pieces,
                healedTokens: 0,
            },
            timings: { ttftMs: round(ttftMs), totalMs: round(performance.now() - arrived), waitMs: round(waitMs) },
        };
    }

    /** The suggestion's pieces as the server streams them. */
    private async *generate(model: ServerModel, template: FimTemplate, params: CompleteParams, prompt: string, signal: AbortSignal): AsyncGenerator<Piece> {
        const maxTokens = params.budget.maxTokens;
        // The request's own deadline (the time budget) ends it first: these only catch a server that stalls past it.
        const stall = params.budget.maxMs + 1_000;
        const call = { endpoint: this.endpoint, role: "completion" as const, signal, headersTimeoutMs: stall, idleTimeoutMs: stall };
        switch (this.endpoint.kind) {
            case "llama.cpp": {
                const body = {
                    prompt,
                    n_predict: maxTokens,
                    temperature: 0,
                    cache_prompt: params.cold !== true,
                    id_slot: this.slotFor(params.document.id, model),
                    stop: template.stops,
                    stream: true,
                    timings_per_token: true,
                };
                for await (const chunk of streamJson({ ...call, path: "/completion", body }, "sse")) {
                    const work: PromptWork = {};
                    readLlamaCppWork(chunk, work);
                    const record = isRecord(chunk) ? chunk : {};
                    yield { text: typeof record.content === "string" ? record.content : "", done: record.stop === true && record.stop_type !== "limit", work };
                }
                return;
            }
            case "ollama": {
                const body = {
                    model: model.requestModel,
                    prompt,
                    raw: true,
                    stream: true,
                    keep_alive: ollamaKeepAlive,
                    options: { temperature: 0, num_predict: maxTokens, stop: template.stops },
                };
                for await (const chunk of streamJson({ ...call, path: "/api/generate", body }, "ndjson")) {
                    const record = isRecord(chunk) ? chunk : {};
                    const evaluated = typeof record.prompt_eval_count === "number" ? record.prompt_eval_count : undefined;
                    const done = record.done === true && record.done_reason !== "length";
                    yield { text: typeof record.response === "string" ? record.response : "", done, work: evaluated === undefined ? {} : { evaluated } };
                }
                return;
            }
            case "openai": {
                const body = {
                    model: model.requestModel,
                    prompt,
                    max_tokens: maxTokens,
                    temperature: 0,
                    stream: true,
                    stop: template.stops.slice(0, openAiMaxStops),
                };
                for await (const chunk of streamJson({ ...call, path: openAiPath(this.endpoint, "/completions"), body }, "sse")) {
                    const record = isRecord(chunk) ? chunk : {};
                    const choice = Array.isArray(record.choices) && isRecord(record.choices[0]) ? record.choices[0] : {};
                    const usage = isRecord(record.usage) ? record.usage : {};
                    const evaluated = positiveInteger(usage.prompt_tokens);
                    const finish = choice.finish_reason;
                    yield {
                        text: typeof choice.text === "string" ? choice.text : "",
                        done: typeof finish === "string" && finish !== "length",
                        work: evaluated === undefined ? {} : { evaluated },
                    };
                }
                return;
            }
        }
    }
}

/** llama.cpp's server reports the prompt's work in `timings` (each streamed chunk with timings_per_token, else the last). */
function readLlamaCppWork(chunk: unknown, work: PromptWork): void {
    if (!isRecord(chunk) || !isRecord(chunk.timings)) return;
    const { prompt_n: evaluated, cache_n: cached } = chunk.timings;
    if (typeof evaluated === "number" && Number.isInteger(evaluated) && evaluated >= 0) work.evaluated = evaluated;
    if (typeof cached === "number" && Number.isInteger(cached) && cached >= 0) work.cached = cached;
}

function definedOf(work: PromptWork): PromptWork {
    return Object.fromEntries(Object.entries(work).filter(([, value]) => value !== undefined));
}

/** The local engine's window, narrowed to what a server's context holds (estimated: the server tokenizes). */
function windowFor(contextSize: number | undefined): WindowOptions {
    if (contextSize === undefined) return defaultWindowOptions;
    const chars = Math.max(0, (contextSize - generationReserveTokens) * charsPerToken);
    const scale = Math.min(1, chars / (defaultWindowOptions.maxPrefixChars + defaultWindowOptions.maxSuffixChars));
    if (scale >= 1) return defaultWindowOptions;
    return {
        ...defaultWindowOptions,
        maxPrefixChars: Math.floor(defaultWindowOptions.maxPrefixChars * scale),
        maxSuffixChars: Math.floor(defaultWindowOptions.maxSuffixChars * scale),
        charStep: Math.max(32, Math.floor(defaultWindowOptions.charStep * scale)),
    };
}

function round(ms: number): number {
    return Math.round(ms * 10) / 10;
}
