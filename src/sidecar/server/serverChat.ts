import type { ChatParams, ChatResult, ChatStopReason, ChatTurn } from "../../protocol/chatProtocol";
import type { ServerEndpoint } from "../../protocol/engineProtocol";
import { EngineError } from "../engineError";
import { LatestWins } from "../latestWins";
import { streamJson } from "./serverHttp";
import { isRecord, openAiPath, positiveInteger, probeServer, type ServerModel } from "./serverModel";

/** Chat answers may pause while a busy server queues them; past this without a byte, the answer ends with an error. */
const chatIdleTimeoutMs = 60_000;
/** Characters per token assumed when trimming a conversation to a server's context (the server tokenizes). */
const charsPerToken = 3;
/** A server whose context Hearth cannot learn is assumed to hold this many tokens. */
const assumedContextTokens = 8192;
/** How long Ollama keeps the model loaded after an answer. */
const ollamaKeepAlive = "30m";

/**
 * Chat from a server engine: `/v1/chat/completions` (llama.cpp's server and OpenAI-compatible
 * servers) or Ollama's `/api/chat`, streamed. The server applies the model's chat template. One
 * answer at a time per lane; Stop or a newer request aborts the HTTP request.
 */
export class ServerChat {
    private readonly answers = new LatestWins();

    constructor(
        private readonly endpoint: ServerEndpoint,
        private readonly model: () => Promise<ServerModel>,
    ) {}

    chat(params: ChatParams, signal: AbortSignal, onText: (text: string) => void): Promise<ChatResult> {
        return this.answers.run(signal, (combined) => this.answer(params, combined, onText));
    }

    abortAndWait(): Promise<void> {
        return this.answers.abortAndWait();
    }

    private async answer(params: ChatParams, signal: AbortSignal, onText: (text: string) => void): Promise<ChatResult> {
        const arrived = performance.now();
        const model = await this.model();
        const { messages, trimmed } = fitConversation(params, model.contextSize ?? assumedContextTokens);
        let text = "";
        let stopReason: ChatStopReason = "done";
        let ttftMs = 0;
        let pieces = 0;
        let promptTokens = 0;
        let evaluatedTokens = 0;
        let generatedTokens: number | undefined;
        try {
            for await (const chunk of this.stream(model, params, messages, signal)) {
                if (chunk.text !== "") {
                    if (pieces++ === 0) ttftMs = performance.now() - arrived;
                    text += chunk.text;
                    onText(text);
                }
                promptTokens = chunk.promptTokens ?? promptTokens;
                evaluatedTokens = chunk.evaluatedTokens ?? evaluatedTokens;
                generatedTokens = chunk.generatedTokens ?? generatedTokens;
                if (chunk.finish !== undefined) stopReason = chunk.finish === "length" ? "maxTokens" : "done";
                // The server stops at max_tokens itself (and then sends its counts); this only bounds one that does not.
                if (pieces > 2 * params.maxTokens + 16) {
                    stopReason = "maxTokens";
                    break;
                }
            }
        } catch (error) {
            if (!(signal.aborted && error instanceof EngineError && error.kind === "cancelled")) throw error;
            stopReason = "stopped";
        }
        if (signal.aborted) stopReason = "stopped";
        return {
            text: text.trim(),
            stopReason,
            trimmedMessages: trimmed,
            counts: {
                promptTokens,
                reusedTokens: Math.max(0, promptTokens - evaluatedTokens),
                evaluatedTokens,
                generatedTokens: generatedTokens ?? pieces,
                promptRenders: 0,
            },
            timings: { ttftMs: round(ttftMs), totalMs: round(performance.now() - arrived), yieldedMs: 0 },
        };
    }

    private async *stream(
        model: ServerModel,
        params: ChatParams,
        messages: readonly ChatTurn[],
        signal: AbortSignal,
    ): AsyncGenerator<{ text: string; finish?: string; promptTokens?: number; evaluatedTokens?: number; generatedTokens?: number }> {
        const call = {
            endpoint: this.endpoint,
            role: "chat" as const,
            signal,
            headersTimeoutMs: chatIdleTimeoutMs,
            idleTimeoutMs: chatIdleTimeoutMs,
            retries: 2,
        };
        if (this.endpoint.kind === "ollama") {
            const body = {
                model: model.requestModel,
                messages,
                stream: true,
                keep_alive: ollamaKeepAlive,
                options: { temperature: params.temperature, num_predict: params.maxTokens },
            };
            for await (const chunk of streamJson({ ...call, path: "/api/chat", body }, "ndjson")) {
                const record = isRecord(chunk) ? chunk : {};
                const message = isRecord(record.message) ? record.message : {};
                const evaluated = positiveInteger(record.prompt_eval_count);
                yield {
                    text: typeof message.content === "string" ? message.content : "",
                    ...(record.done === true ? { finish: typeof record.done_reason === "string" ? record.done_reason : "stop" } : {}),
                    ...(evaluated === undefined ? {} : { evaluatedTokens: evaluated, promptTokens: evaluated }),
                    ...(positiveInteger(record.eval_count) === undefined ? {} : { generatedTokens: positiveInteger(record.eval_count) }),
                };
            }
            return;
        }
        const body = {
            ...(model.requestModel === "" ? {} : { model: model.requestModel }),
            messages,
            stream: true,
            max_tokens: params.maxTokens,
            temperature: params.temperature,
            // llama.cpp's server keeps the conversation's prompt in a slot's cache; others ignore what they do not know.
            ...(this.endpoint.kind === "llama.cpp" ? { cache_prompt: true } : {}),
            stream_options: { include_usage: true },
        };
        const path = this.endpoint.kind === "llama.cpp" ? "/v1/chat/completions" : openAiPath(this.endpoint, "/chat/completions");
        for await (const chunk of streamJson({ ...call, path, body }, "sse")) {
            const record = isRecord(chunk) ? chunk : {};
            const choice = Array.isArray(record.choices) && isRecord(record.choices[0]) ? record.choices[0] : {};
            const delta = isRecord(choice.delta) ? choice.delta : {};
            const usage = isRecord(record.usage) ? record.usage : undefined;
            const timings = isRecord(record.timings) ? record.timings : undefined;
            // OpenAI's usage (asked with stream_options), or llama.cpp's timings on the last chunk.
            const evaluated = nonNegativeInteger(timings?.prompt_n);
            const prompt =
                positiveInteger(usage?.prompt_tokens) ?? (evaluated === undefined ? undefined : evaluated + (nonNegativeInteger(timings?.cache_n) ?? 0));
            yield {
                text: typeof delta.content === "string" ? delta.content : "",
                ...(typeof choice.finish_reason === "string" ? { finish: choice.finish_reason } : {}),
                ...(prompt === undefined ? {} : { promptTokens: prompt, evaluatedTokens: evaluated ?? prompt }),
                ...(positiveInteger(usage?.completion_tokens) === undefined ? {} : { generatedTokens: positiveInteger(usage?.completion_tokens) }),
            };
        }
    }
}

/**
 * The conversation's newest turns that fit the server's context with room to answer, the system
 * prompt kept; cut before a user message, as locally. Counted in characters: the server tokenizes.
 */
function fitConversation(params: ChatParams, contextTokens: number): { messages: ChatTurn[]; trimmed: number } {
    const system = params.messages.filter((message) => message.role === "system");
    const rest = params.messages.filter((message) => message.role !== "system");
    const answerTokens = Math.min(params.maxTokens, Math.floor(contextTokens / 2));
    let budget = (contextTokens - answerTokens) * charsPerToken - system.reduce((sum, message) => sum + message.content.length, 0);
    const last = rest[rest.length - 1];
    if (last === undefined) throw new EngineError("badRequest", "The conversation has no message to answer.");
    if (last.content.length > budget)
        throw new EngineError(
            "contextOverflow",
            `The message is about ${Math.ceil(last.content.length / charsPerToken)} tokens but the server's context holds about ${Math.floor(budget / charsPerToken)} with room to answer. Shorten it or attach less context.`,
        );
    let start = rest.length;
    let cut = rest.length - 1;
    for (let index = rest.length - 1; index >= 0; index--) {
        budget -= rest[index]?.content.length ?? 0;
        if (budget < 0) break;
        if (rest[index]?.role === "user") cut = index;
        start = index;
    }
    const from = Math.max(start, 0) === 0 ? 0 : cut;
    return { messages: [...system, ...rest.slice(from)], trimmed: from };
}

export function chatModelOf(endpoint: ServerEndpoint, probed: ServerModel | undefined): () => Promise<ServerModel> {
    let model: Promise<ServerModel> | undefined = probed === undefined ? undefined : Promise.resolve(probed);
    return () => {
        if (model === undefined) {
            const probe = probeServer(endpoint, "chat", AbortSignal.timeout(10_000));
            model = probe;
            probe.catch(() => {
                if (model === probe) model = undefined;
            });
        }
        return model;
    };
}

function nonNegativeInteger(value: unknown): number | undefined {
    return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function round(ms: number): number {
    return Math.round(ms * 10) / 10;
}
