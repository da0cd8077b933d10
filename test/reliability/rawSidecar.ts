import { fork, type ChildProcess } from "node:child_process";
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { SidecarReadyNotification } from "../../src/protocol/engineProtocol";
import { sidecarScript } from "../engine/engineHarness";

/** A raw response to a message sent with `sendRaw`. */
export interface RawResponse {
    readonly id: string | number;
    readonly result?: unknown;
    readonly error?: { readonly code: number; readonly message: string; readonly data?: { readonly kind?: string } };
}

/**
 * The real sidecar with two ways in: a well-behaved vscode-jsonrpc connection (as the extension
 * uses), and raw messages on the same IPC channel, which may be anything a hostile client sends.
 * Raw requests use ids no connection request has ("raw-…"), and their responses are collected here.
 */
export class RawSidecar {
    readonly child: ChildProcess;
    readonly connection: MessageConnection;
    readonly responses = new Map<string | number, RawResponse>();
    readonly logs: string[] = [];
    exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

    private constructor() {
        this.child = fork(sidecarScript, [], { execArgv: [], stdio: ["ignore", "pipe", "pipe", "ipc"] });
        this.child.once("exit", (code, signal) => (this.exit = { code, signal }));
        this.child.stderr?.on("data", (chunk: Buffer) => this.logs.push(`stderr: ${chunk.toString()}`));
        this.child.on("message", (message: unknown) => {
            const record = message as { id?: unknown };
            if (typeof record === "object" && record !== null && typeof record.id === "string" && record.id.startsWith("raw-")) {
                this.responses.set(record.id, message as RawResponse);
            }
        });
        // The library logs responses to ids it never sent (the raw ones): those are expected here.
        this.connection = createMessageConnection(new IPCMessageReader(this.child), new IPCMessageWriter(this.child), {
            error: (message) => this.logs.push(`connection: ${message}`),
            warn: () => undefined,
            info: () => undefined,
            log: () => undefined,
        });
        this.connection.onNotification("hearth/log", (params: { level: string; message: string }) => {
            this.logs.push(`[${params.level}] ${params.message}`);
        });
    }

    static async start(): Promise<RawSidecar> {
        const sidecar = new RawSidecar();
        const ready = new Promise<void>((resolve) => sidecar.connection.onNotification(SidecarReadyNotification.type, () => resolve()));
        sidecar.connection.listen();
        await ready;
        return sidecar;
    }

    get alive(): boolean {
        return this.exit === undefined && this.child.exitCode === null;
    }

    sendRaw(message: unknown): void {
        this.child.send(message as object);
    }

    /** Resolves once every id has a response (or rejects after `timeoutMs`). */
    async responsesFor(ids: readonly (string | number)[], timeoutMs = 60_000): Promise<RawResponse[]> {
        const started = Date.now();
        while (ids.some((id) => !this.responses.has(id))) {
            if (!this.alive) throw new Error(`The sidecar died (${JSON.stringify(this.exit)}): ${this.logs.slice(-5).join(" | ")}`);
            if (Date.now() - started > timeoutMs)
                throw new Error(
                    `No response to ${ids
                        .filter((id) => !this.responses.has(id))
                        .slice(0, 5)
                        .join(", ")} within ${timeoutMs} ms`,
                );
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return ids.map((id) => this.responses.get(id) as RawResponse);
    }

    async dispose(): Promise<void> {
        this.connection.dispose();
        if (this.alive) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill("SIGKILL");
            await exited;
        }
    }
}
