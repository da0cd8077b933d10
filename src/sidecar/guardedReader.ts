import type { DataCallback, Disposable, Event, Message, MessageReader, PartialMessageInfo } from "vscode-jsonrpc/node";

/** What the guard let through and what it dropped, for the log and the reliability tests. */
interface GuardCounts {
    passed: number;
    dropped: number;
}

/**
 * Stands between the IPC channel and vscode-jsonrpc: a message that is not a JSON-RPC 2.0 object
 * of a known shape never reaches the connection. vscode-jsonrpc trusts `$/cancelRequest`'s
 * params (an `id` of null or an object throws inside its reader callback, which would take the
 * whole process down), so a cancel whose id is not a number or a string is dropped here.
 */
export class GuardedMessageReader implements MessageReader {
    readonly counts: GuardCounts = { passed: 0, dropped: 0 };

    /**
     * `answer` replies to a dropped message that has a request's id, so its sender is not left
     * waiting: JSON-RPC's "invalid request" error.
     */
    constructor(
        private readonly inner: MessageReader,
        private readonly onDropped: (why: string) => void,
        private readonly answer: (id: number | string, why: string) => void = () => undefined,
    ) {}

    get onError(): Event<Error> {
        return this.inner.onError;
    }

    get onClose(): Event<void> {
        return this.inner.onClose;
    }

    get onPartialMessage(): Event<PartialMessageInfo> {
        return this.inner.onPartialMessage;
    }

    listen(callback: DataCallback): Disposable {
        return this.inner.listen((message) => {
            const problem = problemOf(message);
            if (problem !== undefined) {
                this.counts.dropped++;
                this.onDropped(problem);
                const id = (message as { id?: unknown } | null)?.id;
                const method = (message as { method?: unknown } | null)?.method;
                if (typeof method === "string" && isId(id)) this.answer(id, problem);
                return;
            }
            this.counts.passed++;
            try {
                callback(message);
            } catch (error) {
                // The library threw on a message it accepted: drop it rather than the process.
                this.counts.dropped++;
                this.onDropped(`the connection could not handle a message: ${error instanceof Error ? error.message : String(error)}`);
            }
        });
    }

    dispose(): void {
        this.inner.dispose();
    }
}

/** Why a message must not reach the connection, or undefined when it may. */
function problemOf(message: unknown): string | undefined {
    if (typeof message !== "object" || message === null || Array.isArray(message)) return "not a JSON-RPC message object";
    const record = message as Partial<Record<keyof Message | "method" | "id" | "params", unknown>>;
    if (record.jsonrpc !== "2.0") return "not JSON-RPC 2.0";
    const { method, id, params } = record;
    if (method !== undefined && typeof method !== "string") return "a method that is not a string";
    if (id !== undefined && id !== null && !isId(id)) return "an id that is neither a number nor a string";
    if (params !== undefined && params !== null && typeof params !== "object") return "params that are neither an object nor an array";
    if (method === "$/cancelRequest") {
        const cancelled = typeof params === "object" && params !== null && !Array.isArray(params) ? (params as { id?: unknown }).id : undefined;
        if (!isId(cancelled)) return "a $/cancelRequest whose id is neither a number nor a string";
    }
    return undefined;
}

function isId(value: unknown): value is number | string {
    return (typeof value === "number" && Number.isFinite(value)) || typeof value === "string";
}
