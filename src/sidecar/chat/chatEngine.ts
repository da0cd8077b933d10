import type { ChatHistoryItem, ChatWrapper, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { ChatParams, ChatResult, ChatStopReason, ChatTurn } from "../../protocol/chatProtocol";
import { EngineError } from "../engineError";
import { LatestWins } from "../latestWins";

/** Chat yields to completions: it waits whenever one is running. */
export interface Priority {
    /** Resolves when no higher-priority work runs (at once when none does). */
    whenIdle(): Promise<void>;
}

const sliceTokens = 128;

/**
 * Chat on a sequence of its own (never a completion's), with the model's own chat
 * template. One answer at a time; a new request stops the running one. Between every
 * prompt slice and every generated token it yields to running completions, so typing
 * stays fast while an answer streams.
 */
export class ChatEngine {
    private readonly answers = new LatestWins();

    private constructor(
        private readonly model: LlamaModel,
        private readonly sequence: LlamaContextSequence,
        private readonly wrapper: ChatWrapper,
        private readonly priority: Priority,
    ) {}

    static create(lib: { resolveChatWrapper(model: LlamaModel): ChatWrapper | null; GeneralChatWrapper: new () => ChatWrapper }, model: LlamaModel, context: LlamaContext, priority: Priority): ChatEngine {
        const wrapper = lib.resolveChatWrapper(model) ?? new lib.GeneralChatWrapper();
        return new ChatEngine(model, context.getSequence(), wrapper, priority);
    }

    get wrapperName(): string {
        return this.wrapper.wrapperName;
    }

    /** An answer to the conversation; a newer request stops this one. */
    chat(params: ChatParams, signal: AbortSignal, onText: (text: string) => void): Promise<ChatResult> {
        return this.answers.run(signal, (combined) => this.answer(params, combined, onText));
    }

    private async answer(params: ChatParams, signal: AbortSignal, onText: (text: string) => void): Promise<ChatResult> {
        const arrived = performance.now();
        let yieldedMs = 0;
        const yieldToCompletions = async (): Promise<void> => {
            const started = performance.now();
            await this.priority.whenIdle();
            yieldedMs += performance.now() - started;
        };
        const { tokens, trimmedMessages, stopTokens, stopTexts } = this.prompt(params);

        const meterBefore = this.sequence.tokenMeter.usedInputTokens;
        const head = tokens.slice(0, -1);
        await this.sequence.adaptStateToTokens(head, false);
        const reusedTokens = this.sequence.nextTokenIndex;
        for (let start = reusedTokens; start < head.length; start += sliceTokens) {
            if (signal.aborted) return this.stopped(reusedTokens, tokens.length, meterBefore, trimmedMessages, arrived, yieldedMs);
            await yieldToCompletions();
            await this.sequence.evaluateWithoutGeneratingNewTokens(head.slice(start, start + sliceTokens));
        }
        const evaluatedTokens = this.sequence.tokenMeter.usedInputTokens - meterBefore + 1;

        const generated: Token[] = [];
        let text = "";
        let stopReason: ChatStopReason = "maxTokens";
        let ttftMs = 0;
        const last = tokens[tokens.length - 1];
        if (last === undefined) throw new EngineError("loadFailed", "The chat prompt is empty.");
        await yieldToCompletions();
        for await (const token of this.sequence.evaluate([last], { temperature: params.temperature, topP: 0.95, yieldEogToken: true })) {
            if (generated.length === 0) ttftMs = performance.now() - arrived;
            if (stopTokens.has(token) || this.model.isEogToken(token)) {
                stopReason = "done";
                break;
            }
            generated.push(token);
            text = this.model.detokenize(generated);
            const stopText = stopTexts.find((stop) => text.includes(stop));
            if (stopText !== undefined) {
                text = text.slice(0, text.indexOf(stopText));
                stopReason = "done";
                break;
            }
            onText(text);
            if (signal.aborted) {
                stopReason = "stopped";
                break;
            }
            if (generated.length >= params.maxTokens) break;
            await yieldToCompletions();
        }
        return {
            text: text.trim(),
            stopReason,
            trimmedMessages,
            counts: { promptTokens: tokens.length, reusedTokens, evaluatedTokens, generatedTokens: generated.length },
            timings: { ttftMs: round(ttftMs), totalMs: round(performance.now() - arrived), yieldedMs: round(yieldedMs) },
        };
    }

    /** The rendered conversation, trimmed from its oldest turns until it fits with room to answer. */
    private prompt(params: ChatParams): { tokens: Token[]; trimmedMessages: number; stopTokens: Set<Token>; stopTexts: string[] } {
        const system = params.messages.filter((m) => m.role === "system");
        let rest = params.messages.filter((m) => m.role !== "system");
        const limit = this.sequence.contextSize - Math.min(params.maxTokens, Math.floor(this.sequence.contextSize / 2));
        let trimmedMessages = 0;
        for (;;) {
            const state = this.wrapper.generateContextState({ chatHistory: [...toHistory([...system, ...rest]), { type: "model", response: [] }] });
            const tokens = state.contextText.tokenize(this.model.tokenizer);
            if (tokens.length <= limit) {
                const stopTokens = new Set<Token>();
                const stopTexts: string[] = [];
                for (const trigger of state.stopGenerationTriggers) {
                    const triggerTokens = trigger.tokenize(this.model.tokenizer);
                    const [only] = triggerTokens;
                    if (triggerTokens.length === 1 && only !== undefined && this.model.isSpecialToken(only)) stopTokens.add(only);
                    else {
                        const triggerText = this.model.detokenize(triggerTokens, true);
                        if (triggerText.trim() !== "") stopTexts.push(triggerText);
                    }
                }
                return { tokens, trimmedMessages, stopTokens, stopTexts };
            }
            if (rest.length <= 1) {
                throw new EngineError("contextOverflow", `The message needs ${tokens.length} tokens but the context holds ${limit} with room to answer. Shorten it, attach less context, or raise "hearth.contextSize".`);
            }
            // Drop the oldest turn (a user message and the answer to it).
            const drop = rest[0]?.role === "user" && rest[1]?.role === "assistant" && rest.length > 2 ? 2 : 1;
            rest = rest.slice(drop);
            trimmedMessages += drop;
        }
    }

    private stopped(reused: number, promptTokens: number, meterBefore: number, trimmedMessages: number, arrived: number, yieldedMs: number): ChatResult {
        return {
            text: "",
            stopReason: "stopped",
            trimmedMessages,
            counts: { promptTokens, reusedTokens: reused, evaluatedTokens: this.sequence.tokenMeter.usedInputTokens - meterBefore, generatedTokens: 0 },
            timings: { ttftMs: 0, totalMs: round(performance.now() - arrived), yieldedMs: round(yieldedMs) },
        };
    }
}

function toHistory(turns: readonly ChatTurn[]): ChatHistoryItem[] {
    return turns.map((turn): ChatHistoryItem => {
        if (turn.role === "system") return { type: "system", text: turn.content };
        if (turn.role === "user") return { type: "user", text: turn.content };
        return { type: "model", response: [turn.content] };
    });
}

function round(ms: number): number {
    return Math.round(ms * 10) / 10;
}
