import type { LlamaContext, LlamaContextSequence, LlamaModel, TokenBias } from "node-llama-cpp" with { "resolution-mode": "import" };
import { allCompletionFeatures } from "../../protocol/completionProtocol";
import type {
    CompleteParams,
    CompletionFeatures,
    CompleteResult,
    CompletionDocument,
    PromptLayout,
    ContextSnippet,
    WarmParams,
    WarmResult,
} from "../../protocol/completionProtocol";
import { EngineError } from "../engineError";
import { LatestWins } from "../latestWins";
import { anchorStateOf, choosePieces, defaultWindowOptions, type AnchorState, type PromptPieces, type WindowOptions } from "./documentWindow";
import type { Suggestion } from "./postProcess";
import { siteOf } from "./siteOf";
import { SuggestionStream } from "./suggestionStream";
import { healedText, healingOf, VocabularyIndex, type Healing } from "./tokenHealing";
import { buildHeaderTokens, buildPromptTokens, type FimVocabulary, type PromptOptions, type Token } from "./promptTokens";
import { SequencePool } from "./sequencePool";
import { planChunkReuse } from "./chunkReuse";
import { evaluationSliceTokens } from "../modelContext";

/** Added to the logits of the tokens that agree with the text being healed: far more than logits differ. */
const healingLogitBias = 1000;

/**
 * Room kept in a sequence for generated tokens. The same for every request (warm-ups too),
 * so that the window a prompt gets never depends on the request's budget.
 */
const generationReserveTokens = 512;

interface DocumentState {
    anchor: AnchorState | undefined;
    snippets: readonly ContextSnippet[];
    header: { readonly key: string; readonly tokens: readonly Token[] } | undefined;
}

interface PreparedPrompt {
    readonly pieces: PromptPieces;
    readonly tokens: Token[];
}

interface CompletionEngineOptions {
    /** Documents whose KV cache is kept (one sequence each). */
    readonly sequences: number;
    readonly window?: WindowOptions;
    /** node-llama-cpp's TokenBias (the library is loaded by the caller): with it, prompts ending inside a word are healed. */
    readonly tokenBias?: typeof TokenBias;
}

class Cancelled extends Error {}

/**
 * Fill-in-the-middle completions whose prompt stays in the KV cache: each document has
 * its own sequence, prompts are laid out so that typing only changes their end, new
 * prompt tokens are evaluated in slices that a newer request can interrupt, and only
 * one request runs at a time (a newer one supersedes it).
 */
export class CompletionEngine {
    private readonly pool: SequencePool<DocumentState>;
    private readonly window: WindowOptions;
    private readonly stopTokens: ReadonlySet<Token>;
    private readonly specialTokenTexts: readonly string[];
    private readonly requests = new LatestWins();
    private readonly controlTokens = new Map<Token, boolean>();
    private readonly tokenBias: typeof TokenBias | undefined;
    /** The vocabulary by text, for token healing (undefined without TokenBias). */
    private readonly vocabularyIndex: VocabularyIndex | undefined;

    private constructor(
        private readonly model: LlamaModel,
        context: LlamaContext,
        private readonly vocabulary: FimVocabulary,
        options: CompletionEngineOptions,
    ) {
        this.pool = new SequencePool(context, options.sequences, () => ({ anchor: undefined, snippets: [], header: undefined }));
        this.window = options.window ?? defaultWindowOptions;
        const special = [vocabulary.prefix, vocabulary.suffix, vocabulary.middle, vocabulary.fileSeparator, ...fimExtras(model)].filter(
            (token): token is Token => token !== undefined,
        );
        this.stopTokens = new Set(special);
        this.specialTokenTexts = [
            ...new Set([
                ...special.map((token) => model.detokenize([token], true)),
                "<|endoftext|>",
                "<|im_start|>",
                "<|im_end|>",
                "<|file_sep|>",
                "<|fim_pad|>",
                "<|repo_name|>",
            ]),
        ].filter((text) => text.length > 1);
        this.tokenBias = options.tokenBias;
        this.vocabularyIndex = options.tokenBias === undefined ? undefined : VocabularyIndex.build(vocabularyOf(model));
    }

    /** The engine for a model, or undefined when its vocabulary has no FIM tokens. */
    static create(model: LlamaModel, context: LlamaContext, options: CompletionEngineOptions): CompletionEngine | undefined {
        const vocabulary = fimVocabularyOf(model);
        return vocabulary === undefined ? undefined : new CompletionEngine(model, context, vocabulary, options);
    }

    complete(params: CompleteParams, signal: AbortSignal, onProgress?: (suggestion: Suggestion) => void): Promise<CompleteResult> {
        return this.exclusive(signal, (abortSignal, arrived, waitMs) => this.run(params, abortSignal, arrived, waitMs, onProgress));
    }

    warm(params: WarmParams, signal: AbortSignal): Promise<WarmResult> {
        return this.exclusive(signal, async (abortSignal) => {
            const { sequence, state } = await this.pool.acquire(params.document.id);
            if (params.context !== undefined) state.snippets = params.context;
            const prompt = this.prepare(params.document, params.cursor, params.layout, state, sequence, allCompletionFeatures);
            const before = sequence.tokenMeter.usedInputTokens;
            // All but the last token: a completion then evaluates one token to get its logits.
            const { moved, shiftMetered } = await this.evaluatePrompt(
                sequence,
                prompt.tokens,
                abortSignal,
                1,
                reusesChunks(params.layout, allCompletionFeatures),
            );
            state.anchor = anchorStateOf(prompt.pieces);
            return { promptTokens: prompt.tokens.length, evaluatedTokens: sequence.tokenMeter.usedInputTokens - before - shiftMetered, movedTokens: moved };
        });
    }

    /** What to heal at the end of a prompt: the typed word's last token(s) (PSM: the middle's end). */
    private healingFor(pieces: PromptPieces, features: CompletionFeatures): Healing | undefined {
        if (!features.tokenHealing || this.vocabularyIndex === undefined || pieces.layout !== "psm" || pieces.middle === "") return undefined;
        return healingOf(this.model.tokenize(pieces.middle, false), (token) => this.model.detokenize([token], false));
    }

    /** `bias` set to keep the next token to those agreeing with what remains to be healed (left empty once healed). */
    private healingBias(bias: TokenBias, remaining: string): TokenBias {
        const candidates = remaining === "" ? [] : (this.vocabularyIndex?.candidates(remaining) ?? []);
        return candidates.length === 0 ? bias : bias.set(candidates, { logit: healingLogitBias });
    }

    /** Whether the vocabulary marks a token as a control token (`<|im_start|>`, `<|repo_name|>`…): never code. */
    private isControl(token: Token): boolean {
        let control = this.controlTokens.get(token);
        if (control === undefined) {
            control = this.model.getTokenAttributes(token).control;
            this.controlTokens.set(token, control);
        }
        return control;
    }

    /** The texts of the special tokens that end a suggestion (post-processing never shows them). */
    get specialTexts(): readonly string[] {
        return this.specialTokenTexts;
    }

    /** Cancels the running request (a warm-up or a completion) and waits for it to let go of the sequence. */
    abortAndWait(): Promise<void> {
        return this.requests.abortAndWait();
    }

    /** Resolves when no completion runs: chat waits on this, so typing stays fast while it streams. */
    whenIdle(): Promise<void> {
        return this.requests.whenIdle();
    }

    /** Tokens in a document's KV cache (0 when it has no sequence). */
    cachedTokens(documentId: string): number {
        return this.pool.peek(documentId)?.nextTokenIndex ?? 0;
    }

    /** Documents that hold a sequence, most recently used last. */
    get cachedDocuments(): string[] {
        return this.pool.documents();
    }

    /** Runs one request at a time: a newer one aborts the running one and waits for it to let go. */
    private exclusive<T>(signal: AbortSignal, work: (signal: AbortSignal, arrived: number, waitMs: number) => Promise<T>): Promise<T> {
        const arrived = performance.now();
        return this.requests.run(signal, async (combined, waitMs) => {
            if (combined.aborted) throw new EngineError("cancelled", "The request was cancelled.");
            try {
                return await work(combined, arrived, waitMs);
            } catch (error) {
                if (error instanceof Cancelled) throw new EngineError("cancelled", "The request was cancelled.");
                throw error;
            }
        });
    }

    private async run(
        params: CompleteParams,
        signal: AbortSignal,
        arrived: number,
        waitMs: number,
        onProgress?: (suggestion: Suggestion) => void,
    ): Promise<CompleteResult> {
        const { sequence, state } = await this.pool.acquire(params.document.id);
        if (params.cold === true) await sequence.clearHistory();
        const features = { ...allCompletionFeatures, ...params.features };
        const prompt = this.prepare(params.document, params.cursor, params.layout, state, sequence, features);
        state.anchor = anchorStateOf(prompt.pieces);

        // Token healing: the typed word's last token(s) are left out of the prompt and generated again.
        const healing = this.healingFor(prompt.pieces, features);
        const promptTokens = healing === undefined ? prompt.tokens : prompt.tokens.slice(0, prompt.tokens.length - healing.count);

        const meterBefore = sequence.tokenMeter.usedInputTokens;
        // Slices first while more than one slice is new; the last (at most one slice, at least one
        // token) goes in one batch with the first generation step: a keystroke costs one decode.
        // The time budget holds here too: past it, what was evaluated stays cached for the next keystroke.
        const deadline = arrived + params.budget.maxMs;
        const {
            reused: reusedTokens,
            moved,
            shiftMetered,
            pending,
            timedOut,
        } = await this.evaluatePrompt(sequence, promptTokens, signal, evaluationSliceTokens, reusesChunks(params.layout, features), deadline);
        const evaluatedTokens = sequence.tokenMeter.usedInputTokens - meterBefore - shiftMetered + (timedOut ? 0 : pending.length);
        const counts = { promptTokens: promptTokens.length, reusedTokens, movedTokens: moved, evaluatedTokens, healedTokens: healing?.count ?? 0 };
        if (timedOut) {
            return {
                text: "",
                replaceEnd: 0,
                raw: "",
                stopReason: "timeout",
                layout: params.layout,
                anchorMoved: prompt.pieces.anchorMoved,
                counts: { ...counts, generatedTokens: 0 },
                timings: { ttftMs: 0, totalMs: round(performance.now() - arrived), waitMs: round(waitMs) },
            };
        }
        const site = siteOf(params, prompt.pieces, this.specialTokenTexts);

        const generated: Token[] = [];
        const budget = { ...params.budget, maxTokens: Math.min(params.budget.maxTokens, generationReserveTokens) };
        const stream = new SuggestionStream(site, budget, params.rawOnly === true);
        let remaining = healing?.text ?? "";
        let ttftMs = 0;
        const bias = this.tokenBias;
        const tokenBias = healing === undefined || bias === undefined ? undefined : () => this.healingBias(bias.for(this.model), remaining);
        for await (const token of sequence.evaluate(pending, { temperature: 0, yieldEogToken: true, tokenBias })) {
            if (generated.length === 0) ttftMs = performance.now() - arrived;
            if (this.stopTokens.has(token) || this.model.isEogToken(token) || (features.controlTokens && this.isControl(token))) {
                stream.endedByModel();
                break;
            }
            generated.push(token);
            let text = this.model.detokenize(generated);
            if (healing !== undefined) {
                const healed = healedText(text, healing);
                if (healed.failed) {
                    stream.endedByModel(); // it would not spell what was typed: nothing to suggest
                    break;
                }
                remaining = healed.remaining;
                text = healed.after ?? "";
            }
            if (text !== "") {
                if (stream.next(text, performance.now() - arrived)) break;
                onProgress?.(stream.current);
            }
            if (signal.aborted) throw new Cancelled();
        }
        const { raw, stopReason } = stream.result;
        const suggestion = stream.final;
        return {
            text: suggestion.insertText,
            replaceEnd: suggestion.replaceEnd,
            raw,
            stopReason,
            layout: params.layout,
            anchorMoved: prompt.pieces.anchorMoved,
            counts: { ...counts, generatedTokens: generated.length },
            timings: { ttftMs: round(ttftMs), totalMs: round(performance.now() - arrived), waitMs: round(waitMs) },
        };
    }

    /** The prompt for a document at a cursor, fitted into the sequence with room to generate. */
    private prepare(
        document: CompletionDocument,
        cursor: number,
        layout: CompleteParams["layout"],
        state: DocumentState,
        sequence: LlamaContextSequence,
        features: CompletionFeatures,
    ): PreparedPrompt {
        if (cursor < 0 || cursor > document.text.length)
            throw new EngineError("badRequest", `The cursor offset ${cursor} is outside the document (${document.text.length} characters).`);
        const tokenize = (text: string): Token[] => this.model.tokenize(text, false);
        const options: PromptOptions = { repoName: features.repoName, eofNewline: features.eofNewline };
        const header = (snippets: readonly ContextSnippet[]): DocumentState["header"] => ({
            key: `${document.repo ?? ""}\u0000${options.repoName}\u0000${document.path}\u0000${snippets.map((s) => `${s.path}\u0000${s.text}`).join("\u0000")}`,
            tokens: buildHeaderTokens(document.path, snippets, this.vocabulary, tokenize, document.repo, options),
        });
        const wanted = header(state.snippets);
        if (state.header?.key !== wanted?.key) state.header = wanted;
        const headerTokens = (): readonly Token[] => state.header?.tokens ?? [];
        const limit = sequence.contextSize - generationReserveTokens;

        let pieces = choosePieces(document.text, cursor, layout, layout === state.anchor?.layout ? state.anchor : undefined, this.window);
        let tokens = buildPromptTokens(pieces, headerTokens(), this.vocabulary, tokenize, options);
        if (tokens.length > limit && headerTokens().length > 0 && state.snippets.length > 0) {
            // Other files' context goes first when there is no room.
            state.snippets = [];
            state.header = header([]);
            tokens = buildPromptTokens(pieces, headerTokens(), this.vocabulary, tokenize, options);
        }
        // Then the prefix shrinks from its start, a window step at a time (a stable boundary), in
        // characters as in lines (a long line of minified code holds more tokens than it has lines).
        for (let lines = this.window.prefixLines - this.window.step; tokens.length > limit && lines >= 0; lines -= this.window.step) {
            const maxPrefixChars = Math.floor((this.window.maxPrefixChars * lines) / this.window.prefixLines);
            pieces = choosePieces(document.text, cursor, layout, undefined, { ...this.window, prefixLines: lines, maxPrefixChars });
            tokens = buildPromptTokens(pieces, headerTokens(), this.vocabulary, tokenize, options);
        }
        // Text that packs many tokens into few characters (minified code, a small context): with no
        // prefix left, the suffix and the middle shrink by halves too.
        for (let scale = 0.5; tokens.length > limit && scale >= 1 / 64; scale /= 2) {
            const smaller: WindowOptions = {
                ...this.window,
                prefixLines: 0,
                maxPrefixChars: 0,
                suffixLines: Math.floor(this.window.suffixLines * scale),
                maxSuffixChars: Math.floor(this.window.maxSuffixChars * scale),
                charStep: Math.max(32, Math.floor(this.window.charStep * scale)),
            };
            pieces = choosePieces(document.text, cursor, layout, undefined, smaller);
            tokens = buildPromptTokens(pieces, headerTokens(), this.vocabulary, tokenize, options);
        }
        if (tokens.length > limit)
            throw new EngineError(
                "contextOverflow",
                `The text around the cursor does not fit in the context (${tokens.length} tokens); raise "hearth.contextSize".`,
            );
        return { pieces, tokens };
    }

    /**
     * Brings the sequence towards `tokens`: keeps the common prefix already in the KV cache (and,
     * with `chunkReuse`, long runs of the prompt found further along in it, moved into place) and
     * evaluates the rest in slices, checking for cancellation between them (a single llama.cpp
     * evaluation cannot be interrupted), until at most `leave` tokens (and at least one) are left;
     * those are returned for the generation step to evaluate with it. `shiftMetered`: what the
     * token meter counted for moving chunks (node-llama-cpp counts shifted tokens as input), which
     * is no evaluation.
     */
    private async evaluatePrompt(
        sequence: LlamaContextSequence,
        tokens: Token[],
        signal: AbortSignal,
        leave: number,
        chunkReuse: boolean,
        deadline = Number.POSITIVE_INFINITY,
    ): Promise<{ reused: number; moved: number; shiftMetered: number; pending: Token[]; timedOut: boolean }> {
        const meterBefore = sequence.tokenMeter.usedInputTokens;
        const plan = chunkReuse ? planChunkReuse(sequence.contextTokens, tokens.slice(0, -1)) : undefined;
        for (const range of plan?.erase ?? []) await sequence.eraseContextTokenRanges([range]);
        const shiftMetered = sequence.tokenMeter.usedInputTokens - meterBefore;
        await sequence.adaptStateToTokens(tokens.slice(0, -1), false);
        const reused = sequence.nextTokenIndex;
        const moved = Math.min(plan?.moved ?? 0, reused);
        let next = reused;
        let timedOut = false;
        while (tokens.length - next > leave) {
            if (signal.aborted) throw new Cancelled();
            if (performance.now() >= deadline) {
                timedOut = true;
                break;
            }
            const end = Math.min(next + evaluationSliceTokens, tokens.length - leave);
            await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(next, end));
            next = end;
        }
        if (signal.aborted) throw new Cancelled();
        return { reused, moved, shiftMetered, pending: tokens.slice(next), timedOut: timedOut || performance.now() >= deadline };
    }
}

/**
 * Chunk reuse serves PSM prompts only. After a jump there it moves the text above the new place
 * (the old suffix) and, when the window's start moved, the whole prefix: most of the prompt. In SPM
 * the suffix comes first, so only the overlap of the old and new suffixes could move (measured: 1,542
 * of 1,848 tokens still evaluated, p50), not worth suggestions that differ from a fresh prompt's.
 */
function reusesChunks(layout: PromptLayout, features: CompletionFeatures): boolean {
    return features.chunkReuse && layout === "psm";
}

/** Every token of the model's vocabulary with its text and whether it is a control token. */
function* vocabularyOf(model: LlamaModel): Iterable<{ token: Token; text: string; control: boolean }> {
    for (const token of model.iterateAllTokens()) yield { token, text: model.detokenize([token], false), control: model.getTokenAttributes(token).control };
}

/** FIM token ids from the GGUF (never from the model's name). */
function fimVocabularyOf(model: LlamaModel): FimVocabulary | undefined {
    const { prefix, suffix, middle } = model.tokens.infill;
    if (prefix === null || suffix === null || middle === null) return undefined;
    const special = (text: string): Token | undefined => {
        const tokens = model.tokenize(text, true);
        return tokens.length === 1 && model.isSpecialToken(tokens[0]) ? tokens[0] : undefined;
    };
    return { prefix, suffix, middle, fileSeparator: special("<|file_sep|>"), repoName: special("<|repo_name|>") };
}

/** Other special tokens a FIM model may emit that end a suggestion (`<|fim_pad|>`, `<|repo_name|>`, eos, eot). */
function fimExtras(model: LlamaModel): (Token | undefined)[] {
    const single = (text: string): Token | undefined => {
        const tokens = model.tokenize(text, true);
        return tokens.length === 1 && model.isSpecialToken(tokens[0]) ? tokens[0] : undefined;
    };
    return [
        single("<|fim_pad|>"),
        single("<|repo_name|>"),
        single("<|endoftext|>"),
        single("<|im_end|>"),
        model.tokens.eos ?? undefined,
        model.tokens.eot ?? undefined,
    ];
}

function round(ms: number): number {
    return Math.round(ms * 10) / 10;
}
