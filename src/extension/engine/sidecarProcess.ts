import { fork, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import {
    CancellationToken,
    createMessageConnection,
    Emitter,
    IPCMessageReader,
    IPCMessageWriter,
    type Event,
    type MessageConnection,
} from "vscode-jsonrpc/node";
import {
    InitializeRequest,
    LoadModelRequest,
    LoadProgressNotification,
    LogNotification,
    ShutdownRequest,
    SidecarReadyNotification,
    UnloadModelRequest,
    type InitializeParams,
    type InitializeResult,
    type LoadModelParams,
    type LoadModelResult,
    type LoadProgressParams,
    type LogLevel,
    type SidecarReadyParams,
} from "../../protocol/engineProtocol";
import { ChatProgressNotification, ChatRequest, type ChatParams, type ChatProgressParams, type ChatResult } from "../../protocol/chatProtocol";
import {
    CompleteRequest,
    CompletionProgressNotification,
    WarmRequest,
    type CompleteParams,
    type CompleteResult,
    type CompletionProgressParams,
    type WarmParams,
    type WarmResult,
} from "../../protocol/completionProtocol";

export interface SidecarExit {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
}

export interface SidecarProcessOptions {
    /** The bundled sidecar script (dist/sidecar.mjs). */
    readonly script: string;
    readonly log: (level: LogLevel, message: string) => void;
    readonly env?: NodeJS.ProcessEnv;
    /** How long the process may take to open its connection. */
    readonly readyTimeoutMs?: number;
}

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
    private readonly completionProgressEmitter = new Emitter<CompletionProgressParams>();
    private readonly chatProgressEmitter = new Emitter<ChatProgressParams>();
    private exitInfo: SidecarExit | undefined;
    readonly exited: Promise<SidecarExit>;

    constructor(private readonly options: SidecarProcessOptions) {
        const started = Date.now();
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
        this.connection.onNotification(CompletionProgressNotification.type, (params) => {
            this.completionProgressEmitter.fire(params);
        });
        this.connection.onNotification(ChatProgressNotification.type, (params) => {
            this.chatProgressEmitter.fire(params);
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
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    get hasExited(): boolean {
        return this.exitInfo !== undefined;
    }

    readonly onExit: Event<SidecarExit> = this.exitEmitter.event;
    readonly onProgress: Event<LoadProgressParams> = this.progressEmitter.event;
    readonly onCompletionProgress: Event<CompletionProgressParams> = this.completionProgressEmitter.event;
    readonly onChatProgress: Event<ChatProgressParams> = this.chatProgressEmitter.event;

    initialize(params: InitializeParams): Promise<InitializeResult> {
        return this.connection.sendRequest(InitializeRequest.type, params);
    }

    loadModel(params: LoadModelParams, token: CancellationToken): Promise<LoadModelResult> {
        return this.connection.sendRequest(LoadModelRequest.type, params, token);
    }

    complete(params: CompleteParams, token: CancellationToken): Promise<CompleteResult> {
        return this.connection.sendRequest(CompleteRequest.type, params, token);
    }

    chat(params: ChatParams, token: CancellationToken): Promise<ChatResult> {
        return this.connection.sendRequest(ChatRequest.type, params, token);
    }

    warm(params: WarmParams, token: CancellationToken): Promise<WarmResult> {
        return this.connection.sendRequest(WarmRequest.type, params, token);
    }

    unloadModel(): Promise<void> {
        return this.connection.sendRequest(UnloadModelRequest.type);
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

export function describeExit(exit: SidecarExit): string {
    return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code ?? "unknown"}`;
}
