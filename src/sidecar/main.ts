/**
 * The sidecar process: forked by the extension, it owns node-llama-cpp and answers
 * requests over IPC. It never imports `vscode`.
 */
import {
    CancellationToken,
    createMessageConnection,
    ErrorCodes,
    IPCMessageReader,
    IPCMessageWriter,
    ResponseError,
    type ProgressToken,
    type ProgressType,
    type RequestParam,
    type ResponseMessage,
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
    type EngineErrorData,
    type LogLevel,
} from "../protocol/engineProtocol";
import { ChatRequest } from "../protocol/chatProtocol";
import { CompleteRequest, WarmRequest } from "../protocol/completionProtocol";
import { Engine } from "./engine";
import { EngineError, errorMessage } from "./engineError";
import { GuardedMessageReader } from "./guardedReader";
import {
    checkConversation,
    checkDocument,
    chatParamsSchema,
    completeParamsSchema,
    initializeParamsSchema,
    loadModelParamsSchema,
    validated,
    warmParamsSchema,
} from "./requestSchemas";
import type { SidecarLog } from "./sidecarLog";

if (process.send === undefined) {
    process.stderr.write("The Hearth sidecar must be started by the extension (it talks over an IPC channel).\n");
    process.exit(2);
}

const writer = new IPCMessageWriter(process);
const reader = new GuardedMessageReader(
    new IPCMessageReader(process),
    (why) => log.log("warn", `Ignored a message from the extension: ${why}.`),
    (id, why) =>
        void writer
            .write({ jsonrpc: "2.0", id, error: { code: ErrorCodes.InvalidRequest, message: `Invalid request: ${why}.` } } as ResponseMessage)
            .catch(() => undefined),
);
const connection = createMessageConnection(reader, writer);
const log: SidecarLog = {
    log: (level: LogLevel, message: string) => void connection.sendNotification(LogNotification.type, { level, message }).catch(() => undefined),
};
const progressThrottle = new Map<string, number>();
const engine = new Engine(
    log,
    (stage, progress) => {
        // At most one notification per percent and stage: loads report thousands of steps.
        const percent = Math.floor(progress * 100);
        if (progressThrottle.get(stage) === percent) return;
        progressThrottle.set(stage, percent);
        void connection.sendNotification(LoadProgressNotification.type, { stage, progress }).catch(() => undefined);
    },
    (changed) => void connection.sendNotification(ModelFileChangedNotification.type, changed).catch(() => undefined),
);

// Every handler validates its parameters before the engine sees them (requestSchemas.ts).
connection.onRequest(InitializeRequest.type, (params: unknown) =>
    respond(() => engine.initialize(validated(InitializeRequest.method, initializeParamsSchema, params))),
);
connection.onRequest(LoadModelRequest.type, (params: unknown, token) =>
    respond(() => engine.loadModel(validated(LoadModelRequest.method, loadModelParamsSchema, params), abortSignalOf(token))),
);
connection.onRequest(CompleteRequest.type, (raw: unknown, token) =>
    respond(() => {
        const params = validated(CompleteRequest.method, completeParamsSchema, raw);
        checkDocument(CompleteRequest.method, params);
        const stream = streamTo(CompleteRequest.partialResult, params.partialResultToken);
        return engine.complete(params, abortSignalOf(token), (suggestion) => stream({ text: suggestion.insertText, replaceEnd: suggestion.replaceEnd }));
    }),
);
connection.onRequest(ChatRequest.type, (raw: unknown, token) =>
    respond(() => {
        const params = validated(ChatRequest.method, chatParamsSchema, raw);
        checkConversation(params);
        const stream = streamTo(ChatRequest.partialResult, params.partialResultToken);
        return engine.chat(params, abortSignalOf(token), (text) => stream({ text }));
    }),
);
connection.onRequest(WarmRequest.type, (raw: unknown, token) =>
    respond(() => {
        const params = validated(WarmRequest.method, warmParamsSchema, raw);
        checkDocument(WarmRequest.method, params);
        return engine.warm(params, abortSignalOf(token));
    }),
);
connection.onRequest(UnloadModelRequest.type, () => respond(() => engine.unloadModel()));
connection.onRequest(PingRequest.type, () => ({ pid: process.pid }));
connection.onRequest(ShutdownRequest.type, async () => {
    await engine.dispose();
    setImmediate(() => process.exit(0));
});

// The extension went away (closed, crashed, or killed us): do not linger.
process.on("disconnect", () => process.exit(0));
process.on("uncaughtException", (error) => {
    log.log("error", `Sidecar crashed: ${error.stack ?? errorMessage(error)}`);
    setTimeout(() => process.exit(1), 100);
});
process.on("unhandledRejection", (reason) => log.log("error", `Unhandled rejection in the sidecar: ${errorMessage(reason)}`));

connection.listen();
void connection.sendNotification(SidecarReadyNotification.type, { pid: process.pid, startupMs: Math.round(performance.now()) });

async function respond<T>(work: () => Promise<T> | T): Promise<T | ResponseError<EngineErrorData>> {
    try {
        return await work();
    } catch (error) {
        // Anything that is not an EngineError is a bug of ours (or of a library): say so, with the stack in the log.
        const engineError = error instanceof EngineError ? error : new EngineError("internal", errorMessage(error));
        if (!(error instanceof EngineError)) log.log("error", `Internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        else if (engineError.kind !== "cancelled" && engineError.kind !== "noFimTokens")
            log.log("warn", `${engineError.kind}: ${engineError.message}${engineError.path ? ` (${engineError.path})` : ""}`);
        return new ResponseError(engineErrorCode, engineError.message, engineError.toData());
    }
}

/**
 * Sends a request's partial results as `$/progress` on the token its params carry (LSP's
 * partialResultToken); a request without one streams nothing. The extension listens on the token
 * while the request runs: parts for a token no one listens to any more are dropped on its side.
 */
function streamTo<T>(type: ProgressType<T>, token: ProgressToken | undefined): (value: RequestParam<T>) => void {
    if (token === undefined) return () => undefined;
    return (value) => void connection.sendProgress(type, token, value).catch(() => undefined);
}

function abortSignalOf(token: CancellationToken): AbortSignal {
    const controller = new AbortController();
    if (token.isCancellationRequested) controller.abort();
    else token.onCancellationRequested(() => controller.abort());
    return controller.signal;
}
