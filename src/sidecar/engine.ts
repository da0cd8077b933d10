import type { GgufFileInfo, Llama, LlamaContext, LlamaLogLevel, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import type {
    Backend,
    GpuSetting,
    InitializeParams,
    InitializeResult,
    LoadModelParams,
    LoadModelResult,
    LoadStage,
    LogLevel,
    ModelInfo,
} from "../protocol/engineProtocol";
import type { CompleteParams, CompleteResult, WarmParams, WarmResult } from "../protocol/completionProtocol";
import type { ChatParams, ChatResult } from "../protocol/chatProtocol";
import { ChatEngine } from "./chat/chatEngine";
import { CompletionEngine } from "./completion/completionEngine";
import { completionSequences, createModelContext } from "./modelContext";
import { EngineError, errorMessage } from "./engineError";
import { LatestWins } from "./latestWins";
import { inspectModelFile, type ModelFileReader } from "./modelFile";
import type { SidecarLog } from "./sidecarLog";
import { resolveThreads } from "./threads";

import type * as NodeLlamaCppModule from "node-llama-cpp" with { "resolution-mode": "import" };

type NodeLlamaCpp = typeof NodeLlamaCppModule;

interface LoadedModel {
    readonly model: LlamaModel;
    readonly context: LlamaContext;
    readonly result: LoadModelResult;
    /** Undefined when the model has no FIM tokens. */
    readonly completion: CompletionEngine | undefined;
    readonly chat: ChatEngine;
}


export type ProgressListener = (stage: LoadStage, progress: number) => void;

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
    ) {}

    async initialize(params: InitializeParams): Promise<InitializeResult> {
        if (this.llama !== undefined) throw new EngineError("loadFailed", "The engine is already initialized; restart the sidecar to change the backend.");
        const started = performance.now();
        this.onProgress("backend", 0);
        // node-llama-cpp is ESM with top-level await: import it lazily so the sidecar answers at once.
        const lib = await import("node-llama-cpp");
        try {
            this.llama = await lib.getLlama({
                build: "never",
                gpu: toLibraryGpu(params.gpu),
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
        this.backend = this.llama.gpu === false ? "cpu" : this.llama.gpu;
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

    complete(params: CompleteParams, signal: AbortSignal, onProgress: (text: string) => void): Promise<CompleteResult> {
        return this.completionEngine().complete(params, signal, onProgress);
    }

    warm(params: WarmParams, signal: AbortSignal): Promise<WarmResult> {
        return this.completionEngine().warm(params, signal);
    }

    chat(params: ChatParams, signal: AbortSignal, onText: (text: string) => void): Promise<ChatResult> {
        const loaded = this.loaded;
        if (loaded === undefined) throw new EngineError("noModelLoaded", "No model is loaded.");
        return loaded.chat.chat(params, signal, onText);
    }

    private completionEngine(): CompletionEngine {
        const loaded = this.loaded;
        if (loaded === undefined) throw new EngineError("noModelLoaded", "No model is loaded.");
        if (loaded.completion === undefined) throw new EngineError("noFimTokens", "The model's vocabulary has no fill-in-the-middle tokens.", loaded.result.model.path);
        return loaded.completion;
    }

    async unloadModel(): Promise<void> {
        const loaded = this.loaded;
        this.loaded = undefined;
        if (loaded === undefined) return;
        await loaded.context.dispose();
        await loaded.model.dispose();
        this.log.log("info", `Unloaded ${loaded.result.model.name}.`);
    }

    async dispose(): Promise<void> {
        await this.loads.abortAndWait();
        await this.unloadModel();
        await this.llama?.dispose();
        this.llama = undefined;
    }

    private async load(params: LoadModelParams, signal: AbortSignal): Promise<LoadModelResult> {
        const { llama, lib } = this.requireInitialized();
        const inspected = await inspectModelFile(params.modelPath, fileReader(lib, llama));
        throwIfCancelled(signal);
        await this.unloadModel();

        const threads = resolveThreads(params.threads, this.backend, llama.cpuMathCores);
        this.log.log("info", `Loading ${params.modelPath} (${formatBytes(inspected.sizeBytes)}, ${inspected.architecture}) with ${threads} thread(s) on ${this.backend}.`);

        const modelStarted = performance.now();
        this.onProgress("model", 0);
        let model: LlamaModel;
        try {
            model = await llama.loadModel({
                modelPath: params.modelPath,
                loadSignal: signal,
                onLoadProgress: (progress) => this.onProgress("model", progress),
            });
        } catch (error) {
            throwIfCancelled(signal);
            throw loadError(lib, error, params.modelPath);
        }
        const modelLoadMs = performance.now() - modelStarted;

        const contextStarted = performance.now();
        this.onProgress("context", 0);
        let context: LlamaContext;
        try {
            context = await createModelContext(model, { contextSize: params.contextSize, threads, signal });
        } catch (error) {
            await model.dispose();
            throwIfCancelled(signal);
            throw loadError(lib, error, params.modelPath);
        }
        this.onProgress("context", 1);

        const result: LoadModelResult = {
            model: describeModel(lib, model, inspected.fileInfo, params.modelPath, inspected.sizeBytes),
            threads,
            contextSize: context.contextSize,
            modelLoadMs: Math.round(modelLoadMs),
            contextCreateMs: Math.round(performance.now() - contextStarted),
        };
        const completion = CompletionEngine.create(model, context, { sequences: completionSequences });
        const chat = ChatEngine.create(lib, model, context, completion ?? { whenIdle: () => Promise.resolve() });
        this.loaded = { model, context, result, completion, chat };
        this.log.log("info", `Loaded ${result.model.name} in ${result.modelLoadMs} ms (context ${result.contextSize} tokens in ${result.contextCreateMs} ms).`);
        return result;
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

function toLibraryGpu(gpu: GpuSetting): "auto" | "metal" | "cuda" | "vulkan" | false {
    return gpu === "cpu" ? false : gpu;
}

function toLogLevel(level: LlamaLogLevel): LogLevel {
    const name: string = level;
    if (name === "fatal" || name === "error") return "error";
    if (name === "warn" || name === "debug") return name;
    return "info";
}

function fileReader(lib: NodeLlamaCpp, llama: Llama): ModelFileReader {
    return {
        readGgufFileInfo: (path) => lib.readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false }),
        isArchitectureSupported: async (fileInfo) => (await lib.GgufInsights.from(fileInfo, llama)).isSupportedByLlamaCpp,
    };
}

function describeModel(lib: NodeLlamaCpp, model: LlamaModel, fileInfo: GgufFileInfo, path: string, fileSizeBytes: number): ModelInfo {
    const metadata = fileInfo.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
    const { prefix, suffix, middle } = model.tokens.infill;
    const chatTemplate = metadata.tokenizer?.chat_template;
    let chatWrapper: string | null = null;
    try {
        chatWrapper = lib.resolveChatWrapper(model).wrapperName;
    } catch {
        chatWrapper = null;
    }
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

function formatBytes(bytes: number): string {
    return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(2)} GiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}
