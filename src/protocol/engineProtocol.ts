/**
 * The contract between the extension host and the model sidecar.
 *
 * One namespace per message, each with its `method` literal and its typed `type`
 * (the vscode-eslint pattern). Requests carry cancellation over the wire through
 * vscode-jsonrpc's `$/cancelRequest`. Errors are `ResponseError<EngineErrorData>`.
 */
import { NotificationType, RequestType, RequestType0 } from "vscode-jsonrpc";

/**
 * The KV-cache sequences a loaded model's context holds, each of `hearth.contextSize` tokens: one
 * per cached document for completions, and chat's two (the chat view's, and commands on selected
 * code's, so neither cancels the other). The sidecar allocates them; the extension's memory
 * estimates count them. A model that serves both roles holds both sets.
 */
export const engineSequences = { completion: 3, chat: 2 } as const;

/** The `hearth.gpu` setting. */
export type GpuSetting = "auto" | "metal" | "cuda" | "vulkan" | "cpu";
/** The compute backend actually in use. */
export type Backend = "metal" | "cuda" | "vulkan" | "cpu";

export interface InitializeParams {
    /** Which backend to load; fixed for the life of the sidecar process. */
    readonly gpu: GpuSetting;
}

export interface InitializeResult {
    readonly backend: Backend;
    /** GPU device names, empty on the CPU backend. */
    readonly gpuDevices: readonly string[];
    /** Cores llama.cpp considers for math (physical cores where it can tell). */
    readonly cpuMathCores: number;
    readonly nodeVersion: string;
    readonly llamaCppRelease: string;
    /** Milliseconds to load the node-llama-cpp binary for the backend. */
    readonly backendLoadMs: number;
}

/** The server engines Hearth can use instead of its own (never a server of Hearth's own). */
export type ServerKind = "llama.cpp" | "ollama" | "openai";

/** A role Hearth serves: code completions, or chat (the chat view and the commands on selected code). */
export type EngineRole = "completion" | "chat";

/** An existing server engine that serves a role instead of the local model. */
export interface ServerEndpoint {
    readonly kind: ServerKind;
    /**
     * The server's base URL (http or https): llama.cpp's server and Ollama at their root
     * (`http://host:8080`, `http://host:11434`), an OpenAI-compatible server with or without its `/v1`.
     */
    readonly url: string;
    /** The model the server should run: Ollama's tag, the OpenAI model id; "" lets llama.cpp's server use its own. */
    readonly model: string;
    /** Sent as `Authorization: Bearer`; read from VS Code's SecretStorage, never from settings. */
    readonly apiKey?: string;
}

export interface LoadModelParams {
    /**
     * Absolute path of the GGUF file for completions (and for chat, unless `chatModelPath` names another file).
     * With `servers`, the local file serves only the roles no server serves; "" when servers serve every role.
     */
    readonly modelPath: string;
    /**
     * Absolute path of a different GGUF file for chat, loaded into a context of its own.
     * Absent, or the same path as `modelPath`: one model is loaded and shared.
     */
    readonly chatModelPath?: string;
    /** A thread count, or "auto" to let the engine choose for this machine. */
    readonly threads: number | "auto";
    /** Requested context size in tokens; capped at the model's training context. */
    readonly contextSize: number;
    /** Load even when the memory estimate exceeds the free memory (the user chose "Load Anyway"). */
    readonly ignoreMemoryFit?: boolean;
    /** Roles served by a server engine instead of a local model. */
    readonly servers?: { readonly completion?: ServerEndpoint; readonly chat?: ServerEndpoint };
}

/** Where the loaded models live: system RAM, GPU memory, or memory both share (Apple Silicon). */
export type MemoryPool = "ram" | "vram" | "unified";

/** The memory a load needs against what is free; an `insufficientMemory` error carries it. */
export interface MemoryFit {
    readonly pool: MemoryPool;
    /** Weights of every model the load brings in. */
    readonly modelBytes: number;
    /** KV cache and compute buffers of their contexts at the requested context size. */
    readonly contextBytes: number;
    /** Free memory the load can use (including what the models loaded now would give back). */
    readonly availableBytes: number;
    /** The requested context size per sequence (after capping at the training context). */
    readonly contextSize: number;
    /** The largest context size (512 or more) that would fit; null when the weights alone do not. */
    readonly fittingContextSize: number | null;
}
export interface ModelInfo {
    readonly path: string;
    /** `general.name`, else the file name. */
    readonly name: string;
    readonly architecture: string;
    readonly fileSizeBytes: number;
    readonly parameterCount: number;
    /** The context length the model was trained with. */
    readonly trainContextSize: number | null;
    /**
     * The FIM token ids read from the vocabulary, or null when it has none. A server whose vocabulary
     * Hearth cannot read (Ollama, OpenAI-compatible) gives the name of the model family's FIM template.
     */
    readonly fim: { readonly prefix: number; readonly suffix: number; readonly middle: number } | { readonly template: string } | null;
    /** Whether the vocabulary has a `<|file_sep|>` token for repo-level context. */
    readonly hasFileSeparator: boolean;
    readonly hasChatTemplate: boolean;
    /** Name of the chat wrapper node-llama-cpp chose from the template. */
    readonly chatWrapper: string | null;
    /** A generated demo model (random weights): its output means nothing. */
    readonly isDemo: boolean;
    /** Set when a server engine serves this model (then `path` is the server's URL). */
    readonly server?: { readonly kind: ServerKind; readonly url: string };
}

export interface LoadModelResult {
    /** The completion model (and the chat model too when `chatModel` is null). */
    readonly model: ModelInfo;
    /** The chat model when it is a different file; null when the model is shared. */
    readonly chatModel: ModelInfo | null;
    /** The estimate the load was checked against. */
    readonly memory: MemoryFit;
    readonly threads: number;
    readonly contextSize: number;
    readonly modelLoadMs: number;
    readonly contextCreateMs: number;
    /**
     * Servers that could not be reached or refused when the engine loaded. Their roles still go to
     * them (each request tries again); the local roles work as usual.
     */
    readonly serverProblems?: readonly { readonly role: EngineRole; readonly error: EngineErrorData }[];
}

/** What went wrong, in words a user can act on. */
export type EngineErrorKind =
    | "noModel"
    /** An `hf:` model that is configured but not (completely) downloaded; found by the extension. */
    | "modelNotDownloaded"
    /** A model setting that is neither a path nor a valid `hf:` reference; found by the extension. */
    | "invalidModelReference"
    | "fileMissing"
    | "notAFile"
    | "unreadable"
    | "notGguf"
    | "truncated"
    /** The GGUF header holds values no real model has (hostile or corrupt): counts, sizes or types out of range. */
    | "corruptModel"
    /** The engine process died while loading this file: Hearth will not load it again by itself. */
    | "crashedLoading"
    /** The loaded model's file changed or vanished on disk: the model was unloaded before llama.cpp read it. */
    | "modelFileChanged"
    | "unsupportedArchitecture"
    | "backendUnavailable"
    | "outOfMemory"
    | "insufficientMemory"
    /** llama.cpp refused to load the file (after Hearth's own checks passed). */
    | "loadFailed"
    | "notInitialized"
    | "cancelled"
    | "noFimTokens"
    | "noModelLoaded"
    | "contextOverflow"
    /** A request whose parameters do not match the protocol (a bug in the caller, or a hostile one). */
    | "badRequest"
    /** Input larger than Hearth bounds its work to (a document, a conversation). */
    | "tooLarge"
    /** The request did not finish within its deadline. */
    | "timedOut"
    /** The engine process stopped while the request was pending; Hearth restarts it. */
    | "engineCrashed"
    /** The engine process stopped answering (hung or stopped); Hearth killed and restarts it. */
    | "engineUnresponsive"
    /** A server engine could not be reached (refused, no such host, TLS, no answer in time). */
    | "serverUnreachable"
    /** A server engine refused the API key (401/403): set one with "Hearth: Set API Key…". */
    | "serverUnauthorized"
    /** A server engine does not know the model or the endpoint (404). */
    | "serverNotFound"
    /** A server engine answered with an error of its own (4xx/5xx other than the above). */
    | "serverFailed"
    /** A server engine's answer broke its protocol (not JSON, malformed SSE, too large). */
    | "serverBadResponse"
    /** A bug in Hearth: the detail says what, for a report. */
    | "internal";

export interface EngineErrorData {
    readonly kind: EngineErrorKind;
    /** The file the error is about, when there is one. */
    readonly path?: string;
    /** Technical detail for the log. */
    readonly detail: string;
    /** For `insufficientMemory`: the estimate that refused the load. */
    readonly memory?: MemoryFit;
    /** For the `server*` kinds: the server and the role it serves. */
    readonly server?: { readonly kind: ServerKind; readonly url: string; readonly role?: EngineRole; readonly status?: number };
}

/** JSON-RPC error code used for every `EngineErrorData` error. */
export const engineErrorCode = -32001;

export type LoadStage = "backend" | "model" | "context";

export interface LoadProgressParams {
    readonly stage: LoadStage;
    /** 0..1 */
    readonly progress: number;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

interface LogParams {
    readonly level: LogLevel;
    readonly message: string;
}

export interface SidecarReadyParams {
    readonly pid: number;
    /** Milliseconds from process start to a listening connection. */
    readonly startupMs: number;
}

export namespace InitializeRequest {
    export const method = "hearth/initialize";
    export const type = new RequestType<InitializeParams, InitializeResult, EngineErrorData>(method);
}

export namespace LoadModelRequest {
    export const method = "hearth/loadModel";
    export const type = new RequestType<LoadModelParams, LoadModelResult, EngineErrorData>(method);
}

export namespace UnloadModelRequest {
    export const method = "hearth/unloadModel";
    export const type = new RequestType0<void, EngineErrorData>(method);
}

export namespace ShutdownRequest {
    export const method = "hearth/shutdown";
    export const type = new RequestType0<void, void>(method);
}

export namespace SidecarReadyNotification {
    export const method = "hearth/sidecarReady";
    export const type = new NotificationType<SidecarReadyParams>(method);
}

export namespace LoadProgressNotification {
    export const method = "hearth/loadProgress";
    export const type = new NotificationType<LoadProgressParams>(method);
}

export namespace LogNotification {
    export const method = "hearth/log";
    export const type = new NotificationType<LogParams>(method);
}

/** Answered at once by a live sidecar: the extension's heartbeat (a hung or stopped one is restarted). */
export namespace PingRequest {
    export const method = "hearth/ping";
    export const type = new RequestType0<PingResult, void>(method);
}

interface PingResult {
    readonly pid: number;
}

export interface ModelFileChangedParams {
    /** The loaded file that changed or vanished. */
    readonly path: string;
    /** What changed, in words. */
    readonly detail: string;
}

/** A loaded model's file changed on disk: the sidecar unloaded the model (llama.cpp maps the file; reading a cut one kills the process). */
export namespace ModelFileChangedNotification {
    export const method = "hearth/modelFileChanged";
    export const type = new NotificationType<ModelFileChangedParams>(method);
}
