import type {
    ChatWrapper,
    GgufFileInfo,
    GgufInsights,
    Llama,
    LlamaContext,
    LlamaLogLevel,
    LlamaModel,
} from "node-llama-cpp" with { "resolution-mode": "import" };
import type {
    Backend,
    GpuSetting,
    InitializeParams,
    InitializeResult,
    LoadModelParams,
    LoadModelResult,
    LoadStage,
    LogLevel,
    ModelFileChangedParams,
    ModelInfo,
} from "../protocol/engineProtocol";
import type { CompleteParams, CompleteResult, WarmParams, WarmResult } from "../protocol/completionProtocol";
import type { ChatLane, ChatParams, ChatResult } from "../protocol/chatProtocol";
import { ChatEngine } from "./chat/chatEngine";
import type { Suggestion } from "./completion/postProcess";
import { CompletionEngine } from "./completion/completionEngine";
import { chatSequences, completionSequences, evaluationSliceTokens, createModelContext } from "./modelContext";
import { planMemory, type FreeMemory, type ModelDemand } from "./memoryFit";
import { EngineError, errorMessage } from "./engineError";
import { LatestWins } from "./latestWins";
import { inspectModelFile, type InspectedModelFile, type ModelFileReader } from "./modelFile";
import { ModelFileWatch } from "./modelFileWatch";
import type { SidecarLog } from "./sidecarLog";
import { resolveThreads } from "./threads";

import type * as NodeLlamaCppModule from "node-llama-cpp" with { "resolution-mode": "import" };
import { formatBytes } from "../common/units";

type NodeLlamaCpp = typeof NodeLlamaCppModule;

interface LoadedModel {
    /** One model, or the completion model and then the chat model. */
    readonly models: readonly LlamaModel[];
    readonly contexts: readonly LlamaContext[];
    readonly result: LoadModelResult;
    /** Undefined when the completion model has no FIM tokens. */
    readonly completion: CompletionEngine | undefined;
    /** The chat view's lane and the commands' lane: each its own sequence, neither cancels the other. */
    readonly lanes: Readonly<Record<ChatLane, ChatEngine>>;
    readonly watch: ModelFileWatch;
}

/** A model file checked and measured, not yet loaded. */
interface PlannedModel {
    readonly path: string;
    readonly inspected: InspectedModelFile;
    readonly insights: GgufInsights;
    /** Sequences its context gets. */
    readonly sequences: number;
}

type ProgressListener = (stage: LoadStage, progress: number) => void;
type ModelFileChangedListener = (changed: ModelFileChangedParams) => void;

/**
 * Owns node-llama-cpp in the sidecar: the backend, the loaded model and its context.
 * One load at a time: a newer load cancels the one in progress.
 */
export class Engine {
    private lib: NodeLlamaCpp | undefined;
    private llama: Llama | undefined;
    private backend: Backend = "cpu";
    private loaded: LoadedModel | undefined;
    private readonly loads = new LatestWins();

    constructor(
        private readonly log: SidecarLog,
        private readonly onProgress: ProgressListener,
        private readonly onModelFileChanged: ModelFileChangedListener = () => undefined,
    ) {}

    async initialize(params: InitializeParams): Promise<InitializeResult> {
        if (this.llama !== undefined) throw new EngineError("badRequest", "The engine is already initialized; restart the sidecar to change the backend.");
        const started = performance.now();
        this.onProgress("backend", 0);
        // node-llama-cpp is ESM with top-level await: import it lazily so the sidecar answers at once.
        const lib = await import("node-llama-cpp");
        try {
            this.llama = await lib.getLlama({
                build: "never",
                gpu: libraryGpuFor(params.gpu),
                logLevel: lib.LlamaLogLevel.warn,
                logger: (level, message) => this.logLlamaCpp(level, message),
                progressLogs: false,
                vramPadding: 0,
            });
        } catch (error) {
            throw new EngineError(
                "backendUnavailable",
                `The ${params.gpu === "auto" ? "compute" : params.gpu} backend could not be loaded: ${errorMessage(error)}`,
            );
        }
        this.lib = lib;
        // "cpu" on Apple Silicon runs the Metal build with no layers offloaded (see libraryGpuFor).
        this.backend = this.llama.gpu === false || params.gpu === "cpu" ? "cpu" : this.llama.gpu;
        const gpuDevices = this.backend === "cpu" ? [] : await this.llama.getGpuDeviceNames();
        this.onProgress("backend", 1);
        return {
            backend: this.backend,
            gpuDevices,
            cpuMathCores: this.llama.cpuMathCores,
            nodeVersion: process.version,
            llamaCppRelease: this.llama.llamaCppRelease.release,
            backendLoadMs: Math.round(performance.now() - started),
        };
    }

    /** Loads a model, replacing the current one. A newer call cancels this one. */
    loadModel(params: LoadModelParams, signal: AbortSignal): Promise<LoadModelResult> {
        return this.loads.run(signal, (combined) => this.load(params, combined));
    }

    complete(params: CompleteParams, signal: AbortSignal, onProgress: (suggestion: Suggestion) => void): Promise<CompleteResult> {
        return this.completionEngine().complete(params, signal, onProgress);
    }

    warm(params: WarmParams, signal: AbortSignal): Promise<WarmResult> {
        return this.completionEngine().warm(params, signal);
    }

    chat(params: ChatParams, signal: AbortSignal, onText: (text: string) => void): Promise<ChatResult> {
        const loaded = this.loaded;
        if (loaded === undefined) throw new EngineError("noModelLoaded", "No model is loaded.");
        return loaded.lanes[params.lane ?? "chat"].chat(params, signal, onText);
    }

    private completionEngine(): CompletionEngine {
        const loaded = this.loaded;
        if (loaded === undefined) throw new EngineError("noModelLoaded", "No model is loaded.");
        if (loaded.completion === undefined)
            throw new EngineError("noFimTokens", "The model's vocabulary has no fill-in-the-middle tokens.", loaded.result.model.path);
        return loaded.completion;
    }

    /**
     * Unloads the model: new requests are refused at once, work in flight is cancelled and waited
     * for (a llama.cpp evaluation cannot be interrupted mid-batch), and only then are the contexts freed.
     */
    async unloadModel(): Promise<void> {
        const loaded = this.loaded;
        this.loaded = undefined;
        if (loaded === undefined) return;
        loaded.watch.dispose();
        await Promise.all([loaded.completion?.abortAndWait(), loaded.lanes.chat.abortAndWait(), loaded.lanes.action.abortAndWait()]);
        for (const context of loaded.contexts) await context.dispose();
        for (const model of loaded.models) await model.dispose();
        this.log.log(
            "info",
            `Unloaded ${[loaded.result.model, loaded.result.chatModel].flatMap((model) => (model === null ? [] : [model.name])).join(" and ")}.`,
        );
    }

    async dispose(): Promise<void> {
        await this.loads.abortAndWait();
        await this.unloadModel();
        await this.llama?.dispose();
        this.llama = undefined;
    }

    private async load(params: LoadModelParams, signal: AbortSignal): Promise<LoadModelResult> {
        const { llama, lib } = this.requireInitialized();
        const shared = params.chatModelPath === undefined || params.chatModelPath === params.modelPath;
        const plan: PlannedModel[] = [await this.planModel(lib, llama, params.modelPath, shared ? completionSequences + chatSequences : completionSequences)];
        if (!shared) plan.push(await this.planModel(lib, llama, params.chatModelPath, chatSequences));
        throwIfCancelled(signal);

        const memory = await planMemory(
            plan.map((planned) => modelDemand(planned.insights, planned.sequences)),
            params.contextSize,
            await this.freeMemory(llama),
        );
        if (!memory.fits && params.ignoreMemoryFit !== true) {
            const fit = memory.fit;
            throw new EngineError(
                "insufficientMemory",
                `Loading needs about ${formatBytes(fit.modelBytes + fit.contextBytes)} (weights ${formatBytes(fit.modelBytes)}, context of ${fit.contextSize} tokens ${formatBytes(fit.contextBytes)}) but ${formatBytes(fit.availableBytes)} is free${fit.fittingContextSize === null ? "" : `; a context of ${fit.fittingContextSize} tokens would fit`}.`,
                params.modelPath,
                fit,
            );
        }
        await this.unloadModel();

        const threads = resolveThreads(params.threads, this.backend, llama.cpuMathCores);
        const models: LlamaModel[] = [];
        const contexts: LlamaContext[] = [];
        const modelStarted = performance.now();
        let contextCreateMs = 0;
        let watch: ModelFileWatch;
        this.onProgress("model", 0);
        try {
            for (const [index, planned] of plan.entries()) {
                this.log.log(
                    "info",
                    `Loading ${planned.path} (${formatBytes(planned.inspected.sizeBytes)}, ${planned.inspected.architecture}) with ${threads} thread(s) on ${this.backend}${plan.length > 1 ? (index === 0 ? " for completions" : " for chat") : ""}.`,
                );
                const model = await this.loadOne(lib, llama, planned.path, signal, params.ignoreMemoryFit === true, (progress) =>
                    this.onProgress("model", (index + progress) / plan.length),
                );
                models.push(model);
                const contextStarted = performance.now();
                this.onProgress("context", index / plan.length);
                try {
                    contexts.push(
                        await createModelContext(model, {
                            contextSize: params.contextSize,
                            threads,
                            sequences: planned.sequences,
                            signal,
                            ignoreMemoryFit: params.ignoreMemoryFit === true,
                        }),
                    );
                } catch (error) {
                    throwIfCancelled(signal);
                    throw loadError(lib, error, planned.path);
                }
                contextCreateMs += performance.now() - contextStarted;
            }
            watch = await this.watchFiles(plan.map((planned) => planned.path));
        } catch (error) {
            for (const context of contexts) await context.dispose();
            for (const model of models) await model.dispose();
            throw error;
        }
        this.onProgress("context", 1);

        const [completionModel, chatModel = completionModel] = models;
        const [completionContext, chatContext = completionContext] = contexts;
        // Resolved once per model: node-llama-cpp matches the template by rendering it (up to 1.4 s measured).
        const wrappers = models.map((model) => resolveWrapper(lib, model));
        const describe = (index: number): ModelInfo =>
            describeModel(
                models[index],
                plan[index].inspected.fileInfo,
                plan[index].path,
                plan[index].inspected.sizeBytes,
                wrappers[index]?.wrapperName ?? null,
            );
        const result: LoadModelResult = {
            model: describe(0),
            chatModel: plan.length > 1 ? describe(1) : null,
            memory: memory.fit,
            threads,
            contextSize: completionContext.contextSize,
            modelLoadMs: Math.round(performance.now() - modelStarted - contextCreateMs),
            contextCreateMs: Math.round(contextCreateMs),
        };
        const completion = CompletionEngine.create(completionModel, completionContext, { sequences: completionSequences, tokenBias: lib.TokenBias });
        const priority = completion ?? { whenIdle: () => Promise.resolve() };
        const chatWrapper = wrappers[wrappers.length - 1] ?? new lib.GeneralChatWrapper();
        const lanes = {
            chat: ChatEngine.create(lib, chatModel, chatContext, priority, chatWrapper),
            action: ChatEngine.create(lib, chatModel, chatContext, priority, chatWrapper),
        };
        this.loaded = { models, contexts, result, completion, lanes, watch };
        const names = result.chatModel === null ? result.model.name : `${result.model.name} (completions) and ${result.chatModel.name} (chat)`;
        this.log.log("info", `Loaded ${names} in ${result.modelLoadMs} ms (context ${result.contextSize} tokens in ${result.contextCreateMs} ms).`);
        return result;
    }

    /** Watches the loaded files from now on; a file already gone is a change during the load. */
    private async watchFiles(paths: readonly string[]): Promise<ModelFileWatch> {
        try {
            return await ModelFileWatch.start(paths, (path, detail) => void this.modelFileChanged(path, detail));
        } catch (error) {
            throw new EngineError("modelFileChanged", `The file changed while it was being loaded: ${errorMessage(error)}`, paths[0]);
        }
    }

    /** A loaded file changed on disk: unload before llama.cpp reads the mapped file again, and say so. */
    private async modelFileChanged(path: string, detail: string): Promise<void> {
        this.log.log("warn", `The loaded model file ${path} changed on disk (${detail}): unloading it.`);
        try {
            await this.unloadModel();
        } finally {
            this.onModelFileChanged({ path, detail });
        }
    }

    private async planModel(lib: NodeLlamaCpp, llama: Llama, path: string, sequences: number): Promise<PlannedModel> {
        // The architecture check builds the file's insights; the memory plan reuses them.
        let insights: GgufInsights | undefined;
        const inspected = await inspectModelFile(
            path,
            fileReader(lib, llama, (built) => (insights = built)),
        );
        return { path, inspected, insights: insights ?? (await lib.GgufInsights.from(inspected.fileInfo, llama)), sequences };
    }

    private async loadOne(
        lib: NodeLlamaCpp,
        llama: Llama,
        path: string,
        signal: AbortSignal,
        ignoreMemoryFit: boolean,
        onProgress: (progress: number) => void,
    ): Promise<LlamaModel> {
        try {
            return await llama.loadModel({
                modelPath: path,
                loadSignal: signal,
                onLoadProgress: onProgress,
                ignoreMemorySafetyChecks: ignoreMemoryFit,
                ...(this.backend === "cpu" ? { gpuLayers: 0 } : {}),
            });
        } catch (error) {
            throwIfCancelled(signal);
            throw loadError(lib, error, path);
        }
    }

    /** Free memory, counting what the models loaded now give back when they are replaced. */
    private async freeMemory(llama: Llama): Promise<FreeMemory> {
        const [ram, vram, usage] = await Promise.all([llama.getRamState(), llama.getVramState(), llama.getLlamaMemoryUsage()]);
        return {
            ramBytes: ram.free + usage.cpuRam,
            vramBytes: vram.free + usage.gpuVram,
            gpu: this.backend !== "cpu",
            unified: vram.unifiedSize > 0,
        };
    }

    private requireInitialized(): { llama: Llama; lib: NodeLlamaCpp } {
        if (this.llama === undefined || this.lib === undefined) throw new EngineError("notInitialized", "The engine has not been initialized.");
        return { llama: this.llama, lib: this.lib };
    }

    private logLlamaCpp(level: LlamaLogLevel, message: string): void {
        const text = message.trimEnd();
        if (text !== "") this.log.log(toLogLevel(level), `llama.cpp: ${text}`);
    }
}

/**
 * The build getLlama loads for a setting. Apple Silicon has only the Metal build (the package
 * carries no CPU-only one), so "cpu" there loads it and keeps every layer on the CPU.
 */
function libraryGpuFor(gpu: GpuSetting, platform: string = process.platform, arch: string = process.arch): "auto" | "metal" | "cuda" | "vulkan" | false {
    if (gpu !== "cpu") return gpu;
    return platform === "darwin" && arch === "arm64" ? "metal" : false;
}

function toLogLevel(level: LlamaLogLevel): LogLevel {
    const name: string = level;
    if (name === "fatal" || name === "error") return "error";
    if (name === "warn" || name === "debug") return name;
    return "info";
}

/** node-llama-cpp's estimates for one model, in the shape the memory plan asks. */
function modelDemand(insights: GgufInsights, sequences: number): ModelDemand {
    return {
        totalLayers: insights.totalLayers,
        weights: (gpuLayers) => insights.estimateModelResourceRequirementsV2({ gpuLayers }),
        context: (contextSize, gpuLayers) =>
            insights.estimateContextResourceRequirementsV2({
                contextSize,
                modelGpuLayers: gpuLayers,
                sequences,
                batchSize: evaluationSliceTokens,
                flashAttention: insights.flashAttentionSupported,
            }),
        capContextSize: (contextSize) => Math.min(contextSize, insights.trainContextSize ?? contextSize),
    };
}

function fileReader(lib: NodeLlamaCpp, llama: Llama, onInsights: (insights: GgufInsights) => void): ModelFileReader {
    return {
        readGgufFileInfo: (path) => lib.readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false }),
        isArchitectureSupported: async (fileInfo) => {
            const insights = await lib.GgufInsights.from(fileInfo, llama);
            onInsights(insights);
            return insights.isSupportedByLlamaCpp;
        },
    };
}

/** The model's chat wrapper, or undefined when node-llama-cpp cannot resolve one. */
function resolveWrapper(lib: NodeLlamaCpp, model: LlamaModel): ChatWrapper | undefined {
    try {
        return lib.resolveChatWrapper(model) ?? undefined;
    } catch {
        return undefined;
    }
}

function describeModel(model: LlamaModel, fileInfo: GgufFileInfo, path: string, fileSizeBytes: number, chatWrapper: string | null): ModelInfo {
    const metadata = fileInfo.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
    const { prefix, suffix, middle } = model.tokens.infill;
    const chatTemplate = metadata.tokenizer?.chat_template;
    const name = metadata.general?.name;
    return {
        path,
        name: typeof name === "string" && name !== "" ? name : (path.split(/[\\/]/).pop() ?? path),
        architecture: typeof metadata.general?.architecture === "string" ? metadata.general.architecture : "",
        fileSizeBytes,
        parameterCount: model.fileInsights.totalParameters,
        trainContextSize: model.trainContextSize > 0 ? model.trainContextSize : null,
        fim: prefix !== null && suffix !== null && middle !== null ? { prefix, suffix, middle } : null,
        hasFileSeparator: model.tokenize("<|file_sep|>", true).length === 1,
        hasChatTemplate: typeof chatTemplate === "string" && chatTemplate.trim() !== "",
        chatWrapper,
        isDemo: metadata.hearth?.demo_model === true,
    };
}

function loadError(lib: NodeLlamaCpp, error: unknown, path: string): EngineError {
    if (error instanceof EngineError) return error;
    if (error instanceof lib.InsufficientMemoryError) return new EngineError("outOfMemory", errorMessage(error), path);
    return new EngineError("loadFailed", errorMessage(error), path);
}

function throwIfCancelled(signal: AbortSignal): void {
    if (signal.aborted) throw new EngineError("cancelled", "The load was cancelled by a newer request.");
}
