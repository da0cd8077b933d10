import { fork, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import {
    CancellationToken,
    CancellationTokenSource,
    createMessageConnection,
    Emitter,
    IPCMessageReader,
    IPCMessageWriter,
    ResponseError,
    type Disposable,
    type Event,
    type MessageConnection,
    type ProgressToken,
} from "vscode-jsonrpc/node";
import {
    engineErrorCode,
    InitializeRequest,
    LoadModelRequest,
    LoadProgressNotification,
    LogNotification,
    ModelFileChangedNotification,
    PingRequest,
    ShutdownRequest,
    SidecarReadyNotification,
    UnloadModelRequest,
    type InitializeParams,
    type InitializeResult,
    type LoadModelParams,
    type LoadModelResult,
    type EngineErrorData,
    type EngineErrorKind,
    type LoadProgressParams,
    type LogLevel,
    type ModelFileChangedParams,
    type SidecarReadyParams,
} from "../../protocol/engineProtocol";
import { ChatRequest, type ChatParams, type ChatPartialResult, type ChatResult } from "../../protocol/chatProtocol";
import {
    CompleteRequest,
    WarmRequest,
    type CompleteParams,
    type CompleteResult,
    type CompletionPartialResult,
    type WarmParams,
    type WarmResult,
} from "../../protocol/completionProtocol";

export interface SidecarExit {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
}

interface SidecarProcessOptions {
    /** The bundled sidecar script (dist/sidecar.mjs). */
    readonly script: string;
    readonly log: (level: LogLevel, message: string) => void;
    readonly env?: NodeJS.ProcessEnv;
    /** How long the process may take to open its connection. */
    readonly readyTimeoutMs?: number;
    readonly liveness?: Partial<LivenessOptions>;
}

/** How the extension tells a hung or stopped sidecar from a busy one. */
export interface LivenessOptions {
    /** A ping goes out this often (the sidecar answers it from its event loop, between any two slices of work). */
    readonly heartbeatMs: number;
    /** A ping unanswered this long means the process is hung or stopped: it is killed and restarted like a crashed one. */
    readonly unresponsiveMs: number;
    /** A completion may take its own time budget plus this long before it is given up. */
    readonly completionGraceMs: number;
    /** A warm-up, initialize or unload is given up after this long. */
    readonly requestMs: number;
    /**
     * A chat answer is given up when no part of it arrives for this long: generous, since a long
     * prompt on a slow machine evaluates for minutes before the first part (the heartbeat, not
     * this, tells a hung engine).
     */
    readonly chatIdleMs: number;
}

const defaultLiveness: LivenessOptions = { heartbeatMs: 5_000, unresponsiveMs: 20_000, completionGraceMs: 15_000, requestMs: 120_000, chatIdleMs: 300_000 };

/**
 * One sidecar process and its JSON-RPC connection. Plain Node (no `vscode`), so the
 * engine tests drive exactly what the extension runs.
 */
export class SidecarProcess {
    readonly ready: Promise<SidecarReadyParams>;
    private readonly child: ChildProcess;
    private readonly connection: MessageConnection;
    private readonly exitEmitter = new Emitter<SidecarExit>();
    private readonly progressEmitter = new Emitter<LoadProgressParams>();
    private readonly modelFileChangedEmitter = new Emitter<ModelFileChangedParams>();
    private exitInfo: SidecarExit | undefined;
    /** Set when the heartbeat killed the process: pending requests then end as engineUnresponsive. */
    private unresponsive = false;
    private heartbeat: NodeJS.Timeout | undefined;
    private readonly liveness: LivenessOptions;
    /** The last partialResultToken handed out: each streaming request gets a token of its own on this connection. */
    private lastPartialResultToken = 0;
    readonly exited: Promise<SidecarExit>;

    constructor(private readonly options: SidecarProcessOptions) {
        const started = Date.now();
        this.liveness = { ...defaultLiveness, ...options.liveness };
        this.child = fork(options.script, [], {
            // Never inherit the extension host's inspector or loader flags.
            execArgv: [],
            stdio: ["ignore", "pipe", "pipe", "ipc"],
            env: { ...process.env, ...options.env },
        });
        this.pipeOutput();
        this.exited = new Promise((resolve) => {
            this.child.once("exit", (code, signal) => {
                this.exitInfo = { code, signal };
                clearInterval(this.heartbeat);
                this.connection.dispose();
                this.exitEmitter.fire(this.exitInfo);
                resolve(this.exitInfo);
            });
        });
        this.child.once("error", (error) => options.log("error", `Sidecar process error: ${error.message}`));

        this.connection = createMessageConnection(new IPCMessageReader(this.child), new IPCMessageWriter(this.child));
        this.connection.onNotification(LogNotification.type, ({ level, message }) => {
            options.log(level, message);
        });
        this.connection.onNotification(LoadProgressNotification.type, (params) => {
            this.progressEmitter.fire(params);
        });
        this.connection.onNotification(ModelFileChangedNotification.type, (params) => {
            this.modelFileChangedEmitter.fire(params);
        });
        this.ready = new Promise<SidecarReadyParams>((resolve, reject) => {
            const readyTimeout = options.readyTimeoutMs ?? 30_000;
            const timeout = setTimeout(() => reject(new Error(`The sidecar did not start within ${readyTimeout / 1000} s.`)), readyTimeout);
            this.connection.onNotification(SidecarReadyNotification.type, (params) => {
                clearTimeout(timeout);
                options.log("info", `Sidecar ${params.pid} up in ${Date.now() - started} ms (process start to connection ${params.startupMs} ms).`);
                resolve(params);
            });
            void this.exited.then((exit) => {
                clearTimeout(timeout);
                reject(new Error(`The sidecar exited before it was ready (${describeExit(exit)}).`));
            });
        });
        this.ready.catch(() => undefined); // observed by callers; never an unhandled rejection
        this.connection.listen();
        this.ready.then(
            () => this.startHeartbeat(),
            () => undefined,
        );
    }

    /**
     * Pings the sidecar; when a ping stays unanswered for `unresponsiveMs` the process is hung (a
     * native call that never returns, or SIGSTOP): it is killed, and the exit handlers restart it.
     */
    private startHeartbeat(): void {
        let outstandingSince: number | undefined;
        this.heartbeat = setInterval(
            () => {
                if (this.exitInfo !== undefined) return;
                const now = Date.now();
                if (outstandingSince !== undefined) {
                    if (now - outstandingSince < this.liveness.unresponsiveMs) return;
                    this.options.log(
                        "error",
                        `The engine process did not answer for ${Math.round((now - outstandingSince) / 1000)} s: it is hung or stopped. Killing it to restart it.`,
                    );
                    this.unresponsive = true;
                    this.kill();
                    return;
                }
                outstandingSince = now;
                this.connection.sendRequest(PingRequest.type).then(
                    () => (outstandingSince = undefined),
                    () => undefined, // the exit handler speaks for a dead process
                );
            },
            Math.min(this.liveness.heartbeatMs, this.liveness.unresponsiveMs),
        );
        this.heartbeat.unref();
    }

    /** Whether the heartbeat found the process hung (and killed it). */
    get wasUnresponsive(): boolean {
        return this.unresponsive;
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    get hasExited(): boolean {
        return this.exitInfo !== undefined;
    }

    readonly onExit: Event<SidecarExit> = this.exitEmitter.event;
    readonly onProgress: Event<LoadProgressParams> = this.progressEmitter.event;
    readonly onModelFileChanged: Event<ModelFileChangedParams> = this.modelFileChangedEmitter.event;

    initialize(params: InitializeParams): Promise<InitializeResult> {
        return this.request(
            "Starting the backend",
            (token) => this.connection.sendRequest(InitializeRequest.type, params, token),
            CancellationToken.None,
            this.liveness.requestMs,
        );
    }

    /** No deadline: a large model may load for minutes; the heartbeat tells a hung load from a slow one. */
    loadModel(params: LoadModelParams, token: CancellationToken): Promise<LoadModelResult> {
        return this.request("Loading the model", (linked) => this.connection.sendRequest(LoadModelRequest.type, params, linked), token);
    }

    /**
     * A completion; with `onPartialResult`, the suggestion streams to it, each step in order, until the
     * request settles (through a progress token of this request's own, see partialResultToken).
     */
    complete(
        params: Streamed<CompleteParams>,
        token: CancellationToken,
        onPartialResult?: (partial: CompletionPartialResult) => void,
    ): Promise<CompleteResult> {
        const partialResultToken = this.nextPartialResultToken();
        return this.request(
            "A completion",
            (linked) => this.connection.sendRequest(CompleteRequest.type, { ...params, partialResultToken }, linked),
            token,
            params.budget.maxMs + this.liveness.completionGraceMs,
            () => this.connection.onProgress(CompleteRequest.partialResult, partialResultToken, (partial) => onPartialResult?.(partial)),
        );
    }

    /** A chat answer, streaming to `onPartialResult` (each part in order) until it settles; each part renews its idle deadline. */
    chat(params: Streamed<ChatParams>, token: CancellationToken, onPartialResult?: (partial: ChatPartialResult) => void): Promise<ChatResult> {
        const partialResultToken = this.nextPartialResultToken();
        return this.request(
            "A chat answer",
            (linked) => this.connection.sendRequest(ChatRequest.type, { ...params, partialResultToken }, linked),
            token,
            this.liveness.chatIdleMs,
            (renew) =>
                this.connection.onProgress(ChatRequest.partialResult, partialResultToken, (partial) => {
                    renew();
                    onPartialResult?.(partial);
                }),
        );
    }

    /** A token no other request on this connection has (vscode-jsonrpc allows one listener per token). */
    private nextPartialResultToken(): ProgressToken {
        return ++this.lastPartialResultToken;
    }

    warm(params: WarmParams, token: CancellationToken): Promise<WarmResult> {
        return this.request("Warming a prompt", (linked) => this.connection.sendRequest(WarmRequest.type, params, linked), token, this.liveness.requestMs);
    }

    unloadModel(): Promise<void> {
        return this.request(
            "Unloading the model",
            (token) => this.connection.sendRequest(UnloadModelRequest.type, token),
            CancellationToken.None,
            this.liveness.requestMs,
        );
    }

    /**
     * Sends a request with a deadline (`deadlineMs` from the start, renewed whenever `listen`'s
     * listener calls back): past it the request is cancelled in the sidecar and ends as `timedOut`. A
     * request pending when the process dies ends as `engineCrashed` (or `engineUnresponsive` when the
     * heartbeat killed it), never as the library's "connection got disposed". `listen` subscribes
     * before the request goes out, and its subscription is disposed when the request settles.
     */
    private async request<R>(
        what: string,
        send: (token: CancellationToken) => Promise<R>,
        token: CancellationToken,
        deadlineMs?: number,
        listen?: (renew: () => void) => Disposable,
    ): Promise<R> {
        const source = new CancellationTokenSource();
        const forward = token.onCancellationRequested(() => source.cancel());
        if (token.isCancellationRequested) source.cancel();
        let timer: NodeJS.Timeout | undefined;
        let expire = (): void => undefined; // set at once by the executor below
        const deadline = new Promise<never>((_, reject) => {
            expire = () => {
                source.cancel();
                reject(engineFailure("timedOut", `${what} did not finish within ${Math.round((deadlineMs ?? 0) / 1000)} s.`));
            };
        });
        deadline.catch(() => undefined);
        const arm = (): void => {
            clearTimeout(timer);
            if (deadlineMs !== undefined) timer = setTimeout(expire, deadlineMs);
        };
        arm();
        const listening = listen?.(arm);
        try {
            return await Promise.race([send(source.token), deadline]);
        } catch (error) {
            throw await this.explain(error);
        } finally {
            clearTimeout(timer);
            listening?.dispose();
            forward.dispose();
            source.dispose();
        }
    }

    /** A request's failure in Hearth's terms: the sidecar's own errors as they are; a dead connection as the process's fate. */
    private async explain(error: unknown): Promise<unknown> {
        if (error instanceof ResponseError && isEngineErrorData(error.data)) return error;
        // The connection can close a moment before the exit event: give the exit a moment to arrive.
        const exit =
            this.exitInfo ?? (await Promise.race([this.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref())]));
        if (exit === undefined) return engineFailure("internal", `The engine connection failed: ${error instanceof Error ? error.message : String(error)}`);
        return this.unresponsive
            ? engineFailure("engineUnresponsive", "it stopped answering and was restarted")
            : engineFailure("engineCrashed", `the engine process ${describeExit(exit)}`);
    }

    /** Asks the sidecar to free the model and exit; kills it if it does not within `graceMs`. */
    async shutdown(graceMs = 3000): Promise<SidecarExit> {
        if (this.exitInfo !== undefined) return this.exitInfo;
        const timer = setTimeout(() => this.kill(), graceMs);
        try {
            await Promise.race([this.connection.sendRequest(ShutdownRequest.type), this.exited]);
        } catch {
            this.kill();
        }
        const exit = await this.exited;
        clearTimeout(timer);
        return exit;
    }

    kill(): void {
        if (this.exitInfo === undefined) this.child.kill("SIGKILL");
    }

    private pipeOutput(): void {
        // Anything written to stdout/stderr (native crash messages above all) goes to the log.
        const { stdout, stderr } = this.child;
        if (stdout) createInterface({ input: stdout }).on("line", (line) => this.options.log("info", `sidecar: ${line}`));
        if (stderr) createInterface({ input: stderr }).on("line", (line) => this.options.log("warn", `sidecar: ${line}`));
    }
}

/**
 * A streaming request's params as callers give them: the progress token is the connection's to
 * choose (unique on it), so any token a caller's params carry is replaced.
 */
export type Streamed<P extends { readonly partialResultToken?: ProgressToken }> = Omit<P, "partialResultToken">;

function engineFailure(kind: EngineErrorKind, detail: string): ResponseError<EngineErrorData> {
    return new ResponseError<EngineErrorData>(engineErrorCode, detail, { kind, detail });
}

export function isEngineErrorData(value: unknown): value is EngineErrorData {
    return (
        typeof value === "object" &&
        value !== null &&
        typeof (value as { kind?: unknown }).kind === "string" &&
        typeof (value as { detail?: unknown }).detail === "string"
    );
}

export function describeExit(exit: SidecarExit): string {
    return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code ?? "unknown"}`;
}
