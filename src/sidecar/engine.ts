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
import type { EngineErrorData, EngineRole, ServerEndpoint } from "../protocol/engineProtocol";
import { chatModelOf, ServerChat } from "./server/serverChat";
import { ServerCompletion } from "./server/serverCompletion";
import { probeServer, unreachedServerInfo, type ServerModel } from "./server/serverModel";

type NodeLlamaCpp = typeof NodeLlamaCppModule;

/** What answers completions: the local engine on a model's KV cache, or a server engine. */
interface CompletionRole {
    complete(params: CompleteParams, signal: AbortSignal, onProgress: (suggestion: Suggestion) => void): Promise<CompleteResult>;
    warm(params: WarmParams, signal: AbortSignal): Promise<WarmResult>;
    abortAndWait(): Promise<void>;
    whenIdle(): Promise<void>;
}

/** What answers a chat lane: the local engine on a sequence of its own, or a server engine. */
interface ChatRole {
    chat(params: ChatParams, signal: AbortSignal, onText: (text: string) => void): Promise<ChatResult>;
    abortAndWait(): Promise<void>;
}

interface LoadedModel {
    /** The local models: none, one, or the completion model and then the chat model. */
    readonly models: readonly LlamaModel[];
    readonly contexts: readonly LlamaContext[];
    readonly result: LoadModelResult;
    /** Undefined when the completion model has no FIM tokens, or no model serves completions. */
    readonly completion: CompletionRole | undefined;
    /** The chat view's lane and the commands' lane: each its own sequence, neither cancels the other. Undefined when no model serves chat. */
    readonly lanes: Readonly<Record<ChatLane, ChatRole>> | undefined;
    readonly watch: ModelFileWatch | undefined;
}

/** A server probed for a role at load time: its model, or why it could not be reached (requests try again). */
type ProbedServer = { readonly endpoint: ServerEndpoint; readonly model: ServerModel } | { readonly endpoint: ServerEndpoint; readonly error: EngineError };

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
        if (loaded.lanes === undefined)
            throw new EngineError("noModelLoaded", "No model is set for chat: choose one with Hearth: Select Model, or a chat server.");
        return loaded.lanes[params.lane ?? "chat"].chat(params, signal, onText);
    }

    private completionEngine(): CompletionRole {
        const loaded = this.loaded;
        if (loaded === undefined) throw new EngineError("noModelLoaded", "No model is loaded.");
        if (loaded.result.model.path === "")
            throw new EngineError("noModelLoaded", "No model is set for completions: choose one with Hearth: Select Model, or a completions server.");
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
        loaded.watch?.dispose();
        await Promise.all([loaded.completion?.abortAndWait(), loaded.lanes?.chat.abortAndWait(), loaded.lanes?.action.abortAndWait()]);
        for (const context of loaded.contexts) await context.dispose();
        for (const model of loaded.models) await model.dispose();
        this.log.log(
            "info",
            `Unloaded ${[loaded.result.model, loaded.result.chatModel].flatMap((model) => (model === null || model.path === "" ? [] : [model.name])).join(" and ")}.`,
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
        // Each role goes to its server, or to a local file: the completion model's, and chat's own or the same.
        const servers = params.servers ?? {};
        const completionPath = servers.completion === undefined && params.modelPath !== "" ? params.modelPath : undefined;
        const chatPath = servers.chat === undefined ? (params.chatModelPath ?? (params.modelPath !== "" ? params.modelPath : undefined)) : undefined;
        // Servers are asked while the local files are checked: a server that cannot be reached fails no load.
        const probes = Promise.all([this.probe(servers.completion, "completion", signal), this.probe(servers.chat, "chat", signal)]);
        const plan: PlannedModel[] = [];
        if (completionPath !== undefined)
            plan.push(
                await this.planModel(lib, llama, completionPath, chatPath === completionPath ? completionSequences + chatSequences : completionSequences),
            );
        if (chatPath !== undefined && chatPath !== completionPath) plan.push(await this.planModel(lib, llama, chatPath, chatSequences));
        const [completionServer, chatServer] = await probes;
        throwIfCancelled(signal);

        const memory =
            plan.length === 0
                ? undefined
                : await planMemory(
                      plan.map((planned) => modelDemand(planned.insights, planned.sequences)),
                      params.contextSize,
                      await this.freeMemory(llama),
                  );
        if (memory !== undefined && !memory.fits && params.ignoreMemoryFit !== true) {
            const fit = memory.fit;
            throw new EngineError(
                "insufficientMemory",
                `Loading needs about ${formatBytes(fit.modelBytes + fit.contextBytes)} (weights ${formatBytes(fit.modelBytes)}, context of ${fit.contextSize} tokens ${formatBytes(fit.contextBytes)}) but ${formatBytes(fit.availableBytes)} is free${fit.fittingContextSize === null ? "" : `; a context of ${fit.fittingContextSize} tokens would fit`}.`,
                plan[0]?.path,
                fit,
            );
        }
        await this.unloadModel();

        const threads = resolveThreads(params.threads, this.backend, llama.cpuMathCores);
        const models: LlamaModel[] = [];
        const contexts: LlamaContext[] = [];
        const modelStarted = performance.now();
        let contextCreateMs = 0;
        let watch: ModelFileWatch | undefined;
        this.onProgress("model", 0);
        try {
            for (const [index, planned] of plan.entries()) {
                const role = planned.path === completionPath ? (planned.path === chatPath ? "" : " for completions") : " for chat";
                this.log.log(
                    "info",
                    `Loading ${planned.path} (${formatBytes(planned.inspected.sizeBytes)}, ${planned.inspected.architecture}) with ${threads} thread(s) on ${this.backend}${role}.`,
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
            if (plan.length > 0) watch = await this.watchFiles(plan.map((planned) => planned.path));
        } catch (error) {
            for (const context of contexts) await context.dispose();
            for (const model of models) await model.dispose();
            throw error;
        }
        this.onProgress("context", 1);

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
        const completionIndex = plan.findIndex((planned) => planned.path === completionPath);
        const chatIndex = plan.findIndex((planned) => planned.path === chatPath);
        const completionInfo = serverInfoOf(completionServer) ?? (completionIndex === -1 ? noModelInfo : describe(completionIndex));
        const chatInfo = serverInfoOf(chatServer) ?? (chatIndex === -1 ? noModelInfo : chatIndex === completionIndex ? completionInfo : describe(chatIndex));
        const serverProblems = [completionServer, chatServer].flatMap((probed, index): { role: EngineRole; error: EngineErrorData }[] =>
            probed !== undefined && "error" in probed ? [{ role: index === 0 ? "completion" : "chat", error: probed.error.toData() }] : [],
        );
        const result: LoadModelResult = {
            model: completionInfo,
            chatModel: chatInfo === completionInfo ? null : chatInfo,
            memory: memory?.fit ?? {
                pool: "ram",
                modelBytes: 0,
                contextBytes: 0,
                availableBytes: 0,
                contextSize: params.contextSize,
                fittingContextSize: null,
            },
            threads: plan.length === 0 ? 0 : threads,
            contextSize: contexts[0]?.contextSize ?? params.contextSize,
            modelLoadMs: Math.round(performance.now() - modelStarted - contextCreateMs),
            contextCreateMs: Math.round(contextCreateMs),
            ...(serverProblems.length > 0 ? { serverProblems } : {}),
        };

        let completion: CompletionRole | undefined;
        if (completionServer !== undefined)
            completion = new ServerCompletion(completionServer.endpoint, "model" in completionServer ? completionServer.model : undefined);
        else if (completionIndex !== -1) {
            completion = CompletionEngine.create(models[completionIndex], contexts[completionIndex], {
                sequences: completionSequences,
                tokenBias: lib.TokenBias,
            });
        }
        let lanes: Record<ChatLane, ChatRole> | undefined;
        if (chatServer !== undefined) {
            const model = chatModelOf(chatServer.endpoint, "model" in chatServer ? chatServer.model : undefined);
            lanes = { chat: new ServerChat(chatServer.endpoint, model), action: new ServerChat(chatServer.endpoint, model) };
        } else if (chatIndex !== -1) {
            // Chat yields to completions only when both run here: a server's completions take no local time.
            const priority = completionServer === undefined && completion !== undefined ? completion : { whenIdle: () => Promise.resolve() };
            const chatWrapper = wrappers[chatIndex] ?? new lib.GeneralChatWrapper();
            lanes = {
                chat: ChatEngine.create(lib, models[chatIndex], contexts[chatIndex], priority, chatWrapper),
                action: ChatEngine.create(lib, models[chatIndex], contexts[chatIndex], priority, chatWrapper),
            };
        }
        this.loaded = { models, contexts, result, completion, lanes, watch };
        const served = (info: ModelInfo): string =>
            info.server === undefined ? info.name : `${info.name} on the ${info.server.kind} server at ${info.server.url}`;
        const names = result.chatModel === null ? served(result.model) : `${served(result.model)} (completions) and ${served(result.chatModel)} (chat)`;
        this.log.log(
            "info",
            plan.length === 0
                ? `Using ${names}.`
                : `Loaded ${names} in ${result.modelLoadMs} ms (context ${result.contextSize} tokens in ${result.contextCreateMs} ms).`,
        );
        for (const problem of serverProblems) this.log.log("warn", `The ${problem.role} server: ${problem.error.detail}`);
        return result;
    }

    /** Asks a role's server for its model; a server that cannot be reached is reported, not thrown. */
    private async probe(endpoint: ServerEndpoint | undefined, role: EngineRole, signal: AbortSignal): Promise<ProbedServer | undefined> {
        if (endpoint === undefined) return undefined;
        try {
            return { endpoint, model: await probeServer(endpoint, role, signal) };
        } catch (error) {
            throwIfCancelled(signal);
            return { endpoint, error: error instanceof EngineError ? error : new EngineError("internal", errorMessage(error)) };
        }
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

/** The model info of a role no model serves (no file set for it, and no server). */
const noModelInfo: ModelInfo = {
    path: "",
    name: "no model",
    architecture: "",
    fileSizeBytes: 0,
    parameterCount: 0,
    trainContextSize: null,
    fim: null,
    hasFileSeparator: false,
    hasChatTemplate: false,
    chatWrapper: null,
    isDemo: false,
};

function serverInfoOf(probed: ProbedServer | undefined): ModelInfo | undefined {
    if (probed === undefined) return undefined;
    return "model" in probed ? probed.model.info : unreachedServerInfo(probed.endpoint);
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
