import type { ChatHistoryItem, ChatWrapper, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { ChatParams, ChatResult, ChatStopReason, ChatTurn } from "../../protocol/chatProtocol";
import { EngineError } from "../engineError";
import { LatestWins } from "../latestWins";
import { evaluationSliceTokens } from "../modelContext";

/** Chat yields to completions: it waits whenever one is running. */
interface Priority {
    /** Resolves when no higher-priority work runs (at once when none does). */
    whenIdle(): Promise<void>;
}

/**
 * No token of any vocabulary Hearth runs spans more characters than this, so a conversation's
 * newest messages up to `contextSize × maxCharsPerToken` characters hold every message that could
 * fit: older ones are dropped unread, and a conversation of any length costs bounded work.
 */
const maxCharsPerToken = 16;

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

    /**
     * `wrapper`: the model's chat wrapper when the caller resolved it already (node-llama-cpp's
     * resolveChatWrapper matches the template by rendering it: up to a second and a half of blocked
     * thread per call, so it is done once per model).
     */
    static create(
        lib: { resolveChatWrapper(model: LlamaModel): ChatWrapper | null; GeneralChatWrapper: new () => ChatWrapper },
        model: LlamaModel,
        context: LlamaContext,
        priority: Priority,
        wrapper: ChatWrapper = lib.resolveChatWrapper(model) ?? new lib.GeneralChatWrapper(),
    ): ChatEngine {
        return new ChatEngine(model, context.getSequence(), wrapper, priority);
    }

    /** Stops the running answer and waits for it to let go of the sequence. */
    abortAndWait(): Promise<void> {
        return this.answers.abortAndWait();
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
        const { tokens, trimmedMessages, stopTokens, stopTexts, renders } = this.prompt(params);

        const meterBefore = this.sequence.tokenMeter.usedInputTokens;
        const head = tokens.slice(0, -1);
        await this.sequence.adaptStateToTokens(head, false);
        const reusedTokens = this.sequence.nextTokenIndex;
        for (let start = reusedTokens; start < head.length; start += evaluationSliceTokens) {
            if (signal.aborted) return this.stopped(reusedTokens, tokens.length, meterBefore, trimmedMessages, arrived, yieldedMs, renders);
            await yieldToCompletions();
            await this.sequence.evaluateWithoutGeneratingNewTokens(head.slice(start, start + evaluationSliceTokens));
        }
        const evaluatedTokens = this.sequence.tokenMeter.usedInputTokens - meterBefore + 1;

        const generated: Token[] = [];
        let text = "";
        let stopReason: ChatStopReason = "maxTokens";
        let ttftMs = 0;
        const last = tokens[tokens.length - 1];
        if (last === undefined) throw new EngineError("internal", "The chat prompt is empty.");
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
            counts: { promptTokens: tokens.length, reusedTokens, evaluatedTokens, generatedTokens: generated.length, promptRenders: renders },
            timings: { ttftMs: round(ttftMs), totalMs: round(performance.now() - arrived), yieldedMs: round(yieldedMs) },
        };
    }

    /**
     * The rendered conversation, trimmed from its oldest turns until it fits with room to answer.
     * Bounded work whatever the conversation's length: messages beyond what could ever fit are
     * dropped by their length in characters, then the cut (always before a user message) is found
     * by binary search, rendering and tokenizing O(log n) times.
     */
    private prompt(params: ChatParams): { tokens: Token[]; trimmedMessages: number; stopTokens: Set<Token>; stopTexts: string[]; renders: number } {
        const system = params.messages.filter((m) => m.role === "system");
        const rest = params.messages.filter((m) => m.role !== "system");
        const limit = this.sequence.contextSize - Math.min(params.maxTokens, Math.floor(this.sequence.contextSize / 2));
        let renders = 0;
        const render = (from: number): { tokens: Token[]; stopGenerationTriggers: readonly { tokenize(tokenizer: LlamaModel["tokenizer"]): Token[] }[] } => {
            renders++;
            const state = this.wrapper.generateContextState({ chatHistory: [...toHistory([...system, ...rest.slice(from)]), { type: "model", response: [] }] });
            return { tokens: state.contextText.tokenize(this.model.tokenizer), stopGenerationTriggers: state.stopGenerationTriggers };
        };
        // Cuts: the start, and before each user message after the first; the last message always stays.
        const cuts = [0, ...rest.flatMap((message, index) => (index > 0 && message.role === "user" ? [index] : []))];
        const lastCut = rest.length - 1;
        if (!cuts.includes(lastCut) && lastCut > 0) cuts.push(lastCut);
        // Skip, unread, the cuts whose messages hold more characters than the context could.
        const charBudget = this.sequence.contextSize * maxCharsPerToken;
        let chars = 0;
        let firstPlausible = cuts.length - 1;
        for (let index = rest.length - 1, cut = cuts.length - 1; index >= 0 && cut >= 0; index--) {
            chars += rest[index]?.content.length ?? 0;
            if (chars > charBudget) break;
            while (cut >= 0 && (cuts[cut] ?? 0) >= index) firstPlausible = cut--;
        }
        // The earliest cut that fits (fewer messages never need more tokens): `found` always holds cuts[high].
        let low = firstPlausible;
        let high = cuts.length - 1;
        let found = { cut: cuts[high] ?? 0, rendered: render(cuts[high] ?? 0) };
        if (found.rendered.tokens.length > limit) {
            throw new EngineError(
                "contextOverflow",
                `The message needs ${found.rendered.tokens.length} tokens but the context holds ${limit} with room to answer. Shorten it, attach less context, or raise "hearth.contextSize".`,
            );
        }
        while (low < high) {
            const middle = Math.floor((low + high) / 2);
            const rendered = render(cuts[middle] ?? 0);
            if (rendered.tokens.length <= limit) {
                found = { cut: cuts[middle] ?? 0, rendered };
                high = middle;
            } else low = middle + 1;
        }
        const stopTokens = new Set<Token>();
        const stopTexts: string[] = [];
        for (const trigger of found.rendered.stopGenerationTriggers) {
            const triggerTokens = trigger.tokenize(this.model.tokenizer);
            const [only] = triggerTokens;
            if (triggerTokens.length === 1 && only !== undefined && this.model.isSpecialToken(only)) stopTokens.add(only);
            else {
                const triggerText = this.model.detokenize(triggerTokens, true);
                if (triggerText.trim() !== "") stopTexts.push(triggerText);
            }
        }
        return { tokens: found.rendered.tokens, trimmedMessages: found.cut, stopTokens, stopTexts, renders };
    }

    private stopped(
        reused: number,
        promptTokens: number,
        meterBefore: number,
        trimmedMessages: number,
        arrived: number,
        yieldedMs: number,
        promptRenders: number,
    ): ChatResult {
        return {
            text: "",
            stopReason: "stopped",
            trimmedMessages,
            counts: {
                promptTokens,
                reusedTokens: reused,
                evaluatedTokens: this.sequence.tokenMeter.usedInputTokens - meterBefore,
                generatedTokens: 0,
                promptRenders,
            },
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
