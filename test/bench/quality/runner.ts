/**
 * Runs the benchmark's cases through the sidecar's CompletionEngine (test/quality/qualityRunner):
 * per case a cold request with every feature on (what a user sees, and its latency), the keystroke
 * latency on a warm document, and the raw text of `rawOnly` generations, which are then replayed
 * through post-processing under each configuration.
 */
import type { LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import { allCompletionFeatures, type CompletionFeatures } from "../../../src/protocol/completionProtocol";
import { CompletionEngine } from "../../../src/sidecar/completion/completionEngine";
import { completionSequences, createModelContext } from "../../../src/sidecar/modelContext";
import { extensionBudget, generateCase, replayCase, type QualityResult } from "../../quality/qualityRunner";
import type { BenchCase } from "./corpus";

type Feature = keyof CompletionFeatures;

/** Features that change what the model is given or may emit: each needs a generation of its own. */
const promptFeatures: readonly Feature[] = ["tokenHealing", "repoName", "eofNewline", "controlTokens"];
/** Features of post-processing only: replayed on the "all on" generation. */
const postFeatures: readonly Feature[] = [
    "replaceRange",
    "enclosingIndent",
    "repetition",
    "fences",
    "prefixEcho",
    "indentStyle",
    "balancedCut",
    "edgeWhitespace",
    "modeUpgrade",
];

const allOff: CompletionFeatures = Object.fromEntries(Object.keys(allCompletionFeatures).map((key) => [key, false])) as unknown as CompletionFeatures;

/**
 * A rawOnly generation: its name and the features it runs with. Each runs cold, under a document id
 * of its own: nothing the engine keeps per document (the prompt's header) carries over from another
 * setting, and every generation evaluates its prompt as the cold request does. (A generation on the
 * warm cache evaluates the prompt's last token alone; the float rounding of that different batch
 * changed the greedy text of this model in about 1 case in 5, which would blur the comparisons.)
 */
interface Generation {
    readonly name: string;
    readonly features: Partial<CompletionFeatures>;
}

/** A replayed configuration: post-processing with `features` over the raw text of `generation`. */
export interface ReplayConfig {
    readonly name: string;
    readonly generation: string;
    readonly features: Partial<CompletionFeatures>;
}

export function generationsFor(ablate: boolean): Generation[] {
    return [
        { name: "all on", features: {} },
        ...(ablate ? promptFeatures.map((feature) => ({ name: `${feature} off`, features: { [feature]: false } })) : []),
        { name: "all off", features: allOff },
    ];
}

export function replayConfigsFor(ablate: boolean): ReplayConfig[] {
    return [
        { name: "all on", generation: "all on", features: {} },
        ...(ablate ? postFeatures.map((feature) => ({ name: `${feature} off`, generation: "all on", features: { [feature]: false } })) : []),
        ...(ablate ? promptFeatures.map((feature) => ({ name: `${feature} off`, generation: `${feature} off`, features: { [feature]: false } })) : []),
        { name: "all off", generation: "all off", features: allOff },
    ];
}

interface LoadedModel {
    readonly engine: CompletionEngine;
    readonly model: LlamaModel;
    /** general.name from the GGUF, when it has one. */
    readonly name: string | undefined;
    readonly contextSize: number;
    dispose(): Promise<void>;
}

export async function loadModel(modelPath: string, threads: number, contextSize = 2048): Promise<LoadedModel> {
    const lib = await import("node-llama-cpp");
    const llama = await lib.getLlama({ build: "never", gpu: false, logLevel: lib.LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath });
    const size = Math.min(contextSize, model.trainContextSize);
    const context = await createModelContext(model, { contextSize: size, threads, sequences: completionSequences });
    // As the sidecar creates it: with TokenBias, for token healing.
    const engine = CompletionEngine.create(model, context, { sequences: completionSequences, tokenBias: lib.TokenBias });
    const dispose = async (): Promise<void> => {
        await context.dispose();
        await model.dispose();
        await llama.dispose();
    };
    if (engine === undefined) {
        await dispose();
        throw new Error(`${modelPath} has no fill-in-the-middle tokens: it cannot complete code.`);
    }
    return { engine, model, name: model.fileInfo.metadata.general.name, contextSize: size, dispose };
}

/** The raw text as the model would have streamed it: the text after each of its tokens. */
function tokenSteps(model: LlamaModel, raw: string): string[] {
    const tokens = model.tokenize(raw, false);
    return tokens.map((_, i) => model.detokenize(tokens.slice(0, i + 1)));
}

/** What one case's model work produced. */
export interface CaseRun {
    /** All features on, on a fresh sequence: what the user sees first, and its latency. */
    readonly cold: QualityResult;
    /** The keystroke before the cursor's, on the warm document. */
    readonly warmup: QualityResult;
    /** The request at the cursor right after it: keystroke-to-suggestion latency. */
    readonly keystroke: QualityResult;
    /**
     * The request at the cursor on a document whose cache holds the prompt of a place `jumpLines`
     * lines above (a cursor jump down, where moved chunks of the KV cache serve the prompt).
     */
    readonly jump: QualityResult;
    /** Raw text by generation name. */
    readonly raw: ReadonlyMap<string, string>;
}

/** The case one keystroke earlier: its last typed character not yet there. */
function beforeLastKeystroke(c: BenchCase): BenchCase {
    const drop = /[\uDC00-\uDFFF]$/.test(c.prefix) ? 2 : 1;
    return { ...c, prefix: c.prefix.slice(0, c.prefix.length - drop) };
}

/** The cases come from this project's files: the extension would send its workspace folder's name. */
const repo = "hearth";

export async function runCase(engine: CompletionEngine, c: BenchCase, generations: readonly Generation[]): Promise<CaseRun> {
    const documentId = `bench:///${encodeURIComponent(c.id)}`;
    const cold = await generateCase(engine, c, { documentId, repo });
    const warmup = await generateCase(engine, beforeLastKeystroke(c), { documentId, warm: true, repo });
    const keystroke = await generateCase(engine, c, { documentId, warm: true, repo });
    const jumpId = `${documentId}#jump`;
    await generateCase(engine, jumpedFrom(c), { documentId: jumpId, repo, budget: { ...extensionBudget(), maxTokens: 1 } });
    const jump = await generateCase(engine, c, { documentId: jumpId, warm: true, repo });
    const raw = new Map<string, string>();
    for (const generation of generations) {
        const result = await generateCase(engine, c, {
            rawOnly: true,
            repo,
            features: generation.features,
            documentId: `${documentId}#${encodeURIComponent(generation.name)}`,
        });
        raw.set(generation.name, result.raw ?? "");
    }
    return { cold, warmup, keystroke, jump, raw };
}

/** How far above a case the cursor was before it jumped there. */
export const jumpLines = 60;

/** The same text with the cursor at the start of the line `jumpLines` above the case's (or the first line). */
function jumpedFrom(c: BenchCase): BenchCase {
    const text = c.prefix + c.suffix;
    let at = c.prefix.length;
    for (let i = 0; i <= jumpLines && at > 0; i++) at = text.lastIndexOf("\n", at - 1);
    const start = at <= 0 ? 0 : at + 1;
    return { ...c, prefix: text.slice(0, start), suffix: text.slice(start) };
}

/** Replays each configuration over a case's raw texts; results in the order of `configs`. */
export function replayConfigs(loaded: Pick<LoadedModel, "engine" | "model">, c: BenchCase, run: CaseRun, configs: readonly ReplayConfig[]): QualityResult[] {
    const steps = new Map<string, string[]>();
    return configs.map((config) => {
        const raw = run.raw.get(config.generation) ?? "";
        let tokens = steps.get(config.generation);
        if (tokens === undefined) {
            tokens = tokenSteps(loaded.model, raw);
            steps.set(config.generation, tokens);
        }
        return replayCase({ ...c, raw }, { steps: tokens, specialTexts: loaded.engine.specialTexts, features: config.features });
    });
}
