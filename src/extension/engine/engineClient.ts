import { CancellationTokenSource, Emitter, ResponseError, type CancellationToken, type Event } from "vscode-jsonrpc/node";
import type { ChatParams, ChatPartialResult, ChatResult } from "../../protocol/chatProtocol";
import type { CompleteParams, CompleteResult, CompletionPartialResult, WarmParams, WarmResult } from "../../protocol/completionProtocol";
import type { EngineErrorData, InitializeResult, LogLevel } from "../../protocol/engineProtocol";
import type { EngineSettings, EngineState } from "./engineState";
import { RestartPolicy } from "./restartPolicy";
import { describeExit, isEngineErrorData, SidecarProcess, type LivenessOptions, type SidecarExit, type Streamed } from "./sidecarProcess";

interface EngineClientOptions {
    readonly sidecarScript: string;
    readonly log: (level: LogLevel, message: string) => void;
    readonly env?: NodeJS.ProcessEnv;
    readonly restartPolicy?: RestartPolicy;
    /** Injected clock, for tests of the restart timing. */
    readonly now?: () => number;
    /** Heartbeat and deadlines (tests shorten them). */
    readonly liveness?: Partial<LivenessOptions>;
}

/**
 * The engine as seen from the extension: starts the sidecar, initializes the backend,
 * loads the configured model, and brings it all back after a crash (with backoff, and
 * not after too many crashes). Plain Node, so the engine tests drive this very code.
 */
export class EngineClient {
    private sidecar: SidecarProcess | undefined;
    private backend: InitializeResult | undefined;
    private settings: EngineSettings | undefined;
    private currentState: EngineState = { kind: "starting" };
    private readonly stateEmitter = new Emitter<EngineState>();
    private readonly policy: RestartPolicy;
    private readonly now: () => number;
    /** Bumped by every launch and stop: callbacks of older sidecars see they are stale. */
    private generation = 0;
    private restartTimer: NodeJS.Timeout | undefined;
    private loadCancellation: CancellationTokenSource | undefined;
    private disposed = false;
    /**
     * Files the engine crashed while loading: never loaded again by themselves (that would crash it
     * again, and again). Cleared when the user restarts the engine or chooses other files.
     */
    private readonly crashedFiles = new Set<string>();
    /** The files the load in progress reads, to blame the right one for a crash. */
    private loadingFiles: readonly string[] = [];

    constructor(private readonly options: EngineClientOptions) {
        this.policy = options.restartPolicy ?? new RestartPolicy();
        this.now = options.now ?? Date.now;
    }

    readonly onDidChangeState: Event<EngineState> = this.stateEmitter.event;

    /**
     * An answer from the loaded model; rejects with a ResponseError. While it is generated, each part
     * (the answer so far) goes to `onPartialResult`, in order, until the request settles.
     */
    async chat(params: Streamed<ChatParams>, token: CancellationToken, onPartialResult?: (partial: ChatPartialResult) => void): Promise<ChatResult> {
        return this.readySidecar().chat(params, token, this.ofThisGeneration(onPartialResult));
    }

    /** Whether the loaded model can complete code (ready, with FIM tokens). */
    get canComplete(): boolean {
        return this.currentState.kind === "ready" && this.currentState.load.model.fim !== null;
    }

    /**
     * A completion from the loaded model; rejects with a ResponseError (kind "cancelled" when
     * superseded). While it streams, each step (the suggestion so far) goes to `onPartialResult`, in order.
     */
    async complete(
        params: Streamed<CompleteParams>,
        token: CancellationToken,
        onPartialResult?: (partial: CompletionPartialResult) => void,
    ): Promise<CompleteResult> {
        return this.readySidecar().complete(params, token, this.ofThisGeneration(onPartialResult));
    }

    async warm(params: WarmParams, token: CancellationToken): Promise<WarmResult> {
        return this.readySidecar().warm(params, token);
    }

    /** `listener`, deaf once the sidecar it listens to is stale (stopped, crashed or replaced). */
    private ofThisGeneration<T>(listener: ((value: T) => void) | undefined): ((value: T) => void) | undefined {
        if (listener === undefined) return undefined;
        const generation = this.generation;
        return (value) => {
            if (generation === this.generation && !this.disposed) listener(value);
        };
    }

    private readySidecar(): SidecarProcess {
        const sidecar = this.sidecar;
        if (sidecar === undefined || sidecar.hasExited || this.currentState.kind !== "ready") {
            throw new ResponseError<EngineErrorData>(-32001, "The engine is not ready.", { kind: "noModelLoaded", detail: "The engine is not ready." });
        }
        return sidecar;
    }

    get state(): EngineState {
        return this.currentState;
    }

    get sidecarPid(): number | undefined {
        return this.sidecar?.hasExited === false ? this.sidecar.pid : undefined;
    }

    /** Starts a fresh sidecar with these settings (stopping any running one). A deliberate start tries every file again. */
    async start(settings: EngineSettings): Promise<void> {
        this.settings = settings;
        this.policy.reset();
        this.crashedFiles.clear();
        await this.stopSidecar();
        await this.launch();
    }

    /** Applies new settings: a new backend needs a new process, the rest only a reload. */
    async applySettings(settings: EngineSettings): Promise<void> {
        const previous = this.settings;
        this.settings = settings;
        if (previous === undefined || previous.gpu !== settings.gpu || this.backend === undefined || this.sidecar?.hasExited !== false) {
            await this.start(settings);
            return;
        }
        await this.loadModel(this.generation);
    }

    /**
     * Starts with settings still being worked out; if they cannot be (a bug, a failing file system),
     * the engine says so instead of staying at "starting".
     */
    async startWith(settings: () => Promise<EngineSettings>): Promise<void> {
        let resolved: EngineSettings;
        try {
            resolved = await settings();
        } catch (error) {
            this.options.log("error", `Could not read the engine settings: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
            this.setState({
                kind: "error",
                error: { kind: "internal", detail: `Hearth could not read its engine settings: ${error instanceof Error ? error.message : String(error)}.` },
            });
            return;
        }
        await this.start(resolved);
    }

    /** Restarts on the user's request: the crash count starts afresh. */
    async restart(): Promise<void> {
        if (this.settings === undefined) throw new Error("The engine has not been started.");
        await this.start(this.settings);
    }

    async stop(): Promise<void> {
        await this.stopSidecar();
        this.setState({ kind: "stopped", reason: "The engine was stopped." });
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        await this.stopSidecar();
        this.stateEmitter.dispose();
    }

    private async launch(): Promise<void> {
        const settings = this.settings;
        if (settings === undefined || this.disposed) return;
        const generation = ++this.generation;
        this.setState({ kind: "starting" });
        const sidecar = new SidecarProcess({
            script: this.options.sidecarScript,
            log: this.options.log,
            env: this.options.env,
            liveness: this.options.liveness,
        });
        this.sidecar = sidecar;
        this.backend = undefined;
        sidecar.onExit((exit) => this.onSidecarExit(generation, exit));
        sidecar.onModelFileChanged(({ path, detail }) => {
            if (generation !== this.generation) return;
            this.options.log("warn", `The model file ${path} changed on disk (${detail}); the engine unloaded it.`);
            this.setState({
                kind: "error",
                ...(this.backend === undefined ? {} : { backend: this.backend }),
                error: { kind: "modelFileChanged", path, detail },
            });
        });
        sidecar.onProgress(({ stage, progress }) => {
            const state = this.currentState;
            if (generation === this.generation && state.kind === "loading") this.setState({ ...state, stage, progress });
        });
        try {
            await sidecar.ready;
            const backend = await sidecar.initialize({ gpu: settings.gpu });
            if (generation !== this.generation) return;
            this.backend = backend;
            this.options.log(
                "info",
                `Backend: ${backend.backend}${backend.gpuDevices.length > 0 ? ` (${backend.gpuDevices.join(", ")})` : ""}, ${backend.cpuMathCores} math cores, llama.cpp ${backend.llamaCppRelease}, loaded in ${backend.backendLoadMs} ms.`,
            );
        } catch (error) {
            if (generation !== this.generation || sidecar.hasExited) return; // the exit handler takes over
            this.setState({ kind: "error", error: toErrorData(error) });
            return;
        }
        await this.loadModel(generation);
    }

    /** Whether a file of these settings crashed the engine while loading: then it is not loaded again by itself. */
    private crashedFileOf(settings: EngineSettings): string | undefined {
        return [settings.modelPath, settings.chatModelPath].find((path): path is string => path !== undefined && this.crashedFiles.has(path));
    }

    private async loadModel(generation: number): Promise<void> {
        const settings = this.settings;
        const sidecar = this.sidecar;
        const backend = this.backend;
        if (settings === undefined || sidecar === undefined || backend === undefined || generation !== this.generation) return;

        this.loadCancellation?.cancel();
        const cancellation = new CancellationTokenSource();
        this.loadCancellation = cancellation;
        if (settings.unavailable !== undefined) {
            await sidecar.unloadModel().catch(() => undefined);
            if (cancellation.token.isCancellationRequested) return;
            this.setState({ kind: "error", backend, error: settings.unavailable });
            return;
        }
        const servedRoles = (settings.servers?.completion !== undefined ? 1 : 0) + (settings.servers?.chat !== undefined ? 1 : 0);
        if (settings.modelPath.trim() === "" && servedRoles === 0) {
            await sidecar.unloadModel().catch(() => undefined);
            if (cancellation.token.isCancellationRequested) return;
            this.setState({ kind: "error", backend, error: { kind: "noModel", detail: "No model file is configured." } });
            return;
        }
        const crashed = this.crashedFileOf(settings);
        if (crashed !== undefined) {
            await sidecar.unloadModel().catch(() => undefined);
            if (cancellation.token.isCancellationRequested) return;
            this.setState({
                kind: "error",
                backend,
                error: { kind: "crashedLoading", path: crashed, detail: "The engine process crashed while loading this file." },
            });
            return;
        }
        this.setState({ kind: "loading", modelPath: settings.modelPath, stage: "model", progress: 0, backend });
        this.loadingFiles = [settings.modelPath, ...(settings.chatModelPath === undefined ? [] : [settings.chatModelPath])].filter((path) => path !== "");
        try {
            const load = await sidecar.loadModel(
                {
                    modelPath: settings.modelPath,
                    ...(settings.chatModelPath !== undefined && settings.chatModelPath !== settings.modelPath ? { chatModelPath: settings.chatModelPath } : {}),
                    threads: settings.threads,
                    contextSize: settings.contextSize,
                    ...(settings.ignoreMemoryFit === true ? { ignoreMemoryFit: true } : {}),
                    ...(servedRoles > 0 ? { servers: settings.servers } : {}),
                },
                cancellation.token,
            );
            if (cancellation.token.isCancellationRequested || generation !== this.generation) return;
            this.setState({ kind: "ready", backend, load });
        } catch (error) {
            if (cancellation.token.isCancellationRequested || generation !== this.generation || sidecar.hasExited) return;
            const data = toErrorData(error);
            if (data.kind === "cancelled") return;
            this.setState({ kind: "error", backend, error: data });
        } finally {
            if (this.loadCancellation === cancellation) this.loadCancellation = undefined;
            if (generation === this.generation) this.loadingFiles = [];
            cancellation.dispose();
        }
    }

    private onSidecarExit(generation: number, exit: SidecarExit): void {
        if (generation !== this.generation || this.disposed) return; // a deliberate stop
        this.generation++;
        const unresponsive = this.sidecar?.wasUnresponsive === true;
        this.sidecar = undefined;
        this.backend = undefined;
        // A crash while loading blames the file(s) being loaded: the restart will not load them again.
        if (this.currentState.kind === "loading") for (const file of this.loadingFiles) this.crashedFiles.add(file);
        this.loadingFiles = [];
        const reason = unresponsive
            ? "The engine process stopped answering, so Hearth killed it."
            : `The engine process stopped unexpectedly (${describeExit(exit)}).`;
        const decision = this.policy.recordCrash(this.now());
        if (decision.action === "giveUp") {
            this.options.log("error", `${reason} It crashed ${decision.crashesInWindow} times within 3 minutes: not restarting it.`);
            this.setState({
                kind: "stopped",
                reason: `The engine crashed ${decision.crashesInWindow} times within 3 minutes, so Hearth stopped restarting it.`,
            });
            return;
        }
        this.options.log("warn", `${reason} Restarting in ${decision.delayMs} ms (crash ${decision.crashesInWindow} within 3 minutes).`);
        this.setState({ kind: "restarting", delayMs: decision.delayMs, crashesInWindow: decision.crashesInWindow, reason });
        const expected = this.generation;
        this.restartTimer = setTimeout(() => {
            this.restartTimer = undefined;
            if (expected === this.generation) void this.launch();
        }, decision.delayMs);
    }

    private async stopSidecar(): Promise<void> {
        this.generation++;
        if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
        this.restartTimer = undefined;
        this.loadCancellation?.cancel();
        const sidecar = this.sidecar;
        this.sidecar = undefined;
        this.backend = undefined;
        if (sidecar !== undefined) await sidecar.shutdown();
    }

    private setState(state: EngineState): void {
        this.currentState = state;
        if (!this.disposed) this.stateEmitter.fire(state);
    }
}

/** Any failure as EngineErrorData: the engine's own errors as they are; anything else is a bug of ours. */
function toErrorData(error: unknown): EngineErrorData {
    if (error instanceof ResponseError && isEngineErrorData(error.data)) return error.data;
    return { kind: "internal", detail: error instanceof Error ? error.message : String(error) };
}
