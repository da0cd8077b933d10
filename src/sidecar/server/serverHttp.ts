/**
 * The sidecar's HTTP to server engines (llama.cpp's llama-server, Ollama, OpenAI-compatible
 * servers such as vLLM): one JSON answer, or a stream of JSON values (SSE or NDJSON), with the
 * API key, time limits, bounded retries and bounded reads. Every failure is an `EngineError` of a
 * `server*` kind (or `badRequest`, `timedOut`, `cancelled`) that says which server, which setting
 * to check, and never the API key.
 *
 * Node's global fetch (undici) does the HTTP. Its quirks, handled here: a network failure is a
 * TypeError "fetch failed" with the system error in `cause` (sometimes an AggregateError's
 * `errors`); an abort rejects with an AbortError whatever the reason, so the reason is kept
 * here; some ports ("bad ports", as browsers block) are refused before connecting; a header value
 * it refuses is echoed in its error (so the key is checked before fetch sees it).
 */
import { errorCode } from "../../common/errors";
import { formatBytes, formatDuration } from "../../common/units";
import type { EngineErrorData, EngineErrorKind, EngineRole, ServerEndpoint, ServerKind } from "../../protocol/engineProtocol";
import { EngineError } from "../engineError";

export interface ServerCall {
    /** url, apiKey (`Authorization: Bearer <key>` when set), kind (for errors) */
    readonly endpoint: ServerEndpoint;
    /** Goes into `EngineError.server.role`, and picks the setting messages name. */
    readonly role: EngineRole;
    /** e.g. "/completion", "/v1/chat/completions", "/api/generate": joined to endpoint.url without doubling slashes. */
    readonly path: string;
    /** JSON body: POST; no body: GET. */
    readonly body?: unknown;
    /** Abort => the HTTP request is aborted (connection closed) and the call rejects with EngineError("cancelled"). */
    readonly signal: AbortSignal;
    /** No response headers within this => EngineError("timedOut"); default 10_000 */
    readonly headersTimeoutMs?: number;
    /** No body bytes for this long (after the headers) => EngineError("timedOut"); default 30_000 */
    readonly idleTimeoutMs?: number;
    /**
     * Retries with exponential backoff (about 250 ms, 500 ms, 1 s, with jitter; honour Retry-After up to 5 s) for
     * connection failures and 429/502/503/504 answered before any body was consumed; default 0. Never retries after abort.
     */
    readonly retries?: number;
    /** Largest whole body (requestJson) or single line/event (streamJson); default 4 MiB for bodies, 1 MiB for a line */
    readonly maxBytes?: number;
}

/** The whole JSON body of a 2xx answer. */
export async function requestJson(call: ServerCall): Promise<unknown> {
    const exchange = new Exchange(call);
    try {
        await exchange.open("application/json");
        return await exchange.readJson(call.maxBytes ?? defaultBodyBytes);
    } finally {
        exchange.dispose();
    }
}

/**
 * The JSON values of a streamed answer, in order: "sse" = Server-Sent Events (`data: <json>` lines, events separated by blank lines,
 * `data: [DONE]` ends the stream, comment lines starting with ":" and `event:`/`id:` fields ignored, multi-line data joined with "\n");
 * "ndjson" = one JSON value per line (Ollama). Ending the iteration early (break/return) or aborting closes the connection.
 *
 * The request starts at the first `next()`. A JSON error object in the stream (`{"error": …}`, llama.cpp's `error:` field, an
 * `event: error`) ends it with `serverFailed`; a stream that ends without `[DONE]` just ends.
 */
export async function* streamJson(call: ServerCall, format: "sse" | "ndjson"): AsyncGenerator<unknown, void, undefined> {
    const exchange = new Exchange(call);
    try {
        await exchange.open(format === "sse" ? "text/event-stream" : "application/x-ndjson");
        const maxLine = call.maxBytes ?? defaultLineBytes;
        const lines = new LineSplitter(maxLine, () => exchange.errors.badResponse(`sent a line longer than ${formatBytes(maxLine)} in its stream`));
        const parser = format === "sse" ? new SseParser(exchange.errors, maxLine, exchange.status) : new NdjsonParser(exchange.errors, exchange.status);
        for (;;) {
            const chunk = await exchange.read();
            const batch = chunk === undefined ? lines.end() : lines.push(chunk);
            for (const line of batch) {
                const item = parser.line(line);
                if (item === "done") return;
                if (item !== undefined) yield item.value;
            }
            if (chunk === undefined) {
                const last = parser.end();
                if (last !== undefined && last !== "done") yield last.value;
                return;
            }
        }
    } finally {
        exchange.dispose();
    }
}

/** The server's origin + path for messages, e.g. "http://gpu-box:8080" — no credentials, no query. */
export function describeServer(endpoint: ServerEndpoint): string {
    const url = parseUrl(endpoint.url);
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) return describeUnparsedUrl(endpoint.url);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

const defaultBodyBytes = 4 * 1024 * 1024;
const defaultLineBytes = 1024 * 1024;
const defaultHeadersTimeoutMs = 10_000;
const defaultIdleTimeoutMs = 30_000;
/** Of an error answer's body, only this much is read: its message is all Hearth wants. */
const errorBodyBytes = 64 * 1024;
const retryStatuses = new Set([429, 502, 503, 504]);
const firstBackoffMs = 250;
const maxRetryDelayMs = 5_000;
/** How much of a server's own words a message quotes. */
const quotedChars = 200;
/** How much of an answer that broke the protocol a message quotes. */
const offendingChars = 120;

const serverNames: Record<ServerKind, string> = { "llama.cpp": "llama.cpp server", ollama: "Ollama server", openai: "OpenAI-compatible server" };
const urlSettings: Record<EngineRole, string> = { completion: "hearth.completions.serverUrl", chat: "hearth.chat.serverUrl" };
const setApiKeyCommand = '"Hearth: Set API Key…"';

/** The system errors a connection fails with, in words. */
const causeWords: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "no such host",
    EAI_AGAIN: "the host name could not be looked up",
    EAI_FAIL: "the host name could not be looked up",
    ECONNRESET: "connection reset",
    EPIPE: "connection reset",
    ECONNABORTED: "connection aborted",
    ETIMEDOUT: "connection timed out",
    UND_ERR_CONNECT_TIMEOUT: "connection timed out",
    EHOSTUNREACH: "host unreachable",
    EHOSTDOWN: "host down",
    ENETUNREACH: "network unreachable",
    ENETDOWN: "network down",
    EADDRNOTAVAIL: "address not available",
    EACCES: "connection not permitted",
    EPERM: "connection not permitted",
    UND_ERR_SOCKET: "the connection closed",
    UND_ERR_CLOSED: "the connection closed",
    ERR_SSL_WRONG_VERSION_NUMBER: "TLS failed: is it a plain http:// server?",
    ERR_SSL_PACKET_LENGTH_TOO_LONG: "TLS failed: is it a plain http:// server?",
    DEPTH_ZERO_SELF_SIGNED_CERT: "TLS failed: the certificate is self-signed",
    SELF_SIGNED_CERT_IN_CHAIN: "TLS failed: a certificate in the chain is self-signed",
    CERT_HAS_EXPIRED: "TLS failed: the certificate has expired",
    CERT_NOT_YET_VALID: "TLS failed: the certificate is not valid yet",
    ERR_TLS_CERT_ALTNAME_INVALID: "TLS failed: the certificate is for another host name",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS failed: the certificate cannot be verified",
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "TLS failed: the certificate cannot be verified",
    UNABLE_TO_GET_ISSUER_CERT: "TLS failed: the certificate cannot be verified",
};

type Stop = { readonly kind: "cancelled" } | { readonly kind: "timedOut"; readonly ms: number };

/** The errors of one call, each naming the server and the role; the API key is taken out of every message. */
class ServerErrors {
    private readonly server: NonNullable<EngineErrorData["server"]>;
    /** "llama.cpp server at http://host:8080" */
    readonly label: string;
    readonly setting: string;
    readonly serverName: string;

    constructor(private readonly call: ServerCall) {
        const url = this.redact(describeServer(call.endpoint));
        this.server = { kind: call.endpoint.kind, url, role: call.role };
        this.serverName = serverNames[call.endpoint.kind] ?? "server";
        this.label = `${this.serverName} at ${url}`;
        this.setting = urlSettings[call.role] ?? "the server URL setting";
    }

    make(kind: EngineErrorKind, message: string, status?: number): EngineError {
        return new EngineError(kind, this.redact(message), undefined, undefined, status === undefined ? this.server : { ...this.server, status });
    }

    /** `The llama.cpp server at … <what>.` as serverBadResponse. */
    badResponse(what: string, status?: number): EngineError {
        return this.make("serverBadResponse", `The ${this.label} ${what}.`, status);
    }

    /** The path the call asked for, for messages. */
    get path(): string {
        return clean(this.call.path.split("?")[0] ?? "", offendingChars);
    }

    private redact(text: string): string {
        let result = text;
        for (const key of new Set([this.call.endpoint.apiKey, this.call.endpoint.apiKey?.trim()])) {
            if (key !== undefined && key.length >= 4) result = result.split(key).join("***");
        }
        return result;
    }
}

/**
 * One call's HTTP exchange: its attempts, their time limits and the caller's abort, and the body of
 * the answer it settled on. `dispose` (always, in a finally) closes what is still open.
 */
class Exchange {
    readonly errors: ServerErrors;
    private controller: AbortController | undefined;
    private response: Response | undefined;
    private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    /** The answer's body was read to its end (the connection may be reused). */
    private finished = false;
    private stopped: Stop | undefined;
    /** Ends a pending backoff early. */
    private wake: (() => void) | undefined;
    private readonly onAbort = (): void => this.stop({ kind: "cancelled" });

    constructor(private readonly call: ServerCall) {
        this.errors = new ServerErrors(call);
        if (call.signal.aborted) this.stopped = { kind: "cancelled" };
        else call.signal.addEventListener("abort", this.onAbort, { once: true });
    }

    /** The HTTP status of the answer the exchange settled on. */
    get status(): number | undefined {
        return this.response?.status;
    }

    /** Sends the request (again, on the failures worth retrying) until a 2xx answer's headers arrive. */
    async open(accept: string): Promise<void> {
        this.throwIfStopped();
        const url = requestUrl(this.call, this.errors);
        const init = requestInit(this.call, this.errors, accept);
        const retries = Math.max(0, Math.floor(this.call.retries ?? 0));
        for (let attempt = 0; ; attempt++) {
            try {
                await this.send(url, init);
            } catch (error) {
                if (error instanceof EngineError && error.kind === "serverUnreachable" && attempt < retries) {
                    await this.sleep(backoffMs(attempt));
                    continue;
                }
                throw error;
            }
            const response = this.response as Response;
            if (response.ok) return;
            if (retryStatuses.has(response.status) && attempt < retries) {
                const delay = retryAfterMs(response.headers.get("retry-after")) ?? backoffMs(attempt);
                this.discard();
                await this.sleep(delay);
                continue;
            }
            throw await this.statusError(response);
        }
    }

    /** The next chunk of the body; undefined at its end. */
    async read(): Promise<Uint8Array | undefined> {
        if (this.reader === undefined || this.finished) return undefined;
        this.throwIfStopped();
        const ms = this.call.idleTimeoutMs ?? defaultIdleTimeoutMs;
        const timer = setTimeout(() => this.stop({ kind: "timedOut", ms }), ms);
        try {
            const result = await this.reader.read();
            if (result.done) {
                this.finished = true;
                return undefined;
            }
            return result.value;
        } catch (error) {
            throw this.stoppedError() ?? this.connectionError(error, "during");
        } finally {
            clearTimeout(timer);
        }
    }

    /** The whole body as JSON, refused past `limit` bytes. */
    async readJson(limit: number): Promise<unknown> {
        const tooLarge = (): EngineError => this.errors.badResponse(`sent an answer larger than ${formatBytes(limit)}`, this.status);
        const declared = Number(this.response?.headers.get("content-length") ?? Number.NaN);
        if (Number.isFinite(declared) && declared > limit) throw tooLarge();
        const text = await this.readText(limit, tooLarge);
        if (text.trim() === "") throw this.errors.badResponse("sent an empty answer where JSON was expected", this.status);
        try {
            return JSON.parse(text) as unknown;
        } catch {
            throw this.errors.badResponse(
                `sent an answer that is not JSON (${quote(text)}): is "${this.errors.setting}" the URL of a ${this.errors.serverName}?`,
                this.status,
            );
        }
    }

    /** Closes what is still open: the body, the connection (unless the body was read to its end), the abort listener. */
    dispose(): void {
        this.call.signal.removeEventListener("abort", this.onAbort);
        this.wake?.();
        if (!this.finished) this.discard();
    }

    /** One attempt: the request, up to its answer's headers. */
    private async send(url: URL, init: RequestInit): Promise<void> {
        this.throwIfStopped();
        const controller = new AbortController();
        this.controller = controller;
        this.response = undefined;
        this.reader = undefined;
        this.finished = false;
        const ms = this.call.headersTimeoutMs ?? defaultHeadersTimeoutMs;
        const timer = setTimeout(() => this.stop({ kind: "timedOut", ms }), ms);
        try {
            const response = await fetch(url, { ...init, signal: controller.signal });
            this.response = response;
            if (response.body === null) this.finished = true;
            else this.reader = response.body.getReader();
        } catch (error) {
            throw this.stoppedError() ?? this.connectionError(error, "before");
        } finally {
            clearTimeout(timer);
        }
        this.throwIfStopped(); // a timer that fired as the headers came
    }

    /** Drops the current answer's body and closes its connection. */
    private discard(): void {
        this.reader?.cancel().catch(() => undefined);
        this.controller?.abort();
        this.reader = undefined;
        this.finished = true;
    }

    /** The body as text, up to `limit` bytes: past it, `tooLarge` is thrown (or, without it, the text is cut there). */
    private async readText(limit: number, tooLarge?: () => EngineError): Promise<string> {
        const chunks: Uint8Array[] = [];
        let total = 0;
        for (let chunk = await this.read(); chunk !== undefined; chunk = await this.read()) {
            if (total + chunk.length > limit) {
                if (tooLarge !== undefined) throw tooLarge();
                chunks.push(chunk.subarray(0, limit - total));
                break;
            }
            chunks.push(chunk);
            total += chunk.length;
        }
        return new TextDecoder().decode(Buffer.concat(chunks));
    }

    private async statusError(response: Response): Promise<EngineError> {
        const status = response.status;
        let body = "";
        try {
            body = await this.readText(Math.min(this.call.maxBytes ?? defaultBodyBytes, errorBodyBytes));
        } catch (error) {
            if (this.stopped?.kind === "cancelled") throw error; // else: the status says enough
        }
        const said = serverMessage(body);
        const quoted = said === "" ? "" : `: ${said}`;
        const { label, setting } = this.errors;
        if (status === 401 || status === 403) {
            if (!hasApiKey(this.call.endpoint)) {
                return this.errors.make(
                    "serverUnauthorized",
                    `The ${label} wants an API key (HTTP ${status}${quoted}) and no API key is set: set one with ${setApiKeyCommand}.`,
                    status,
                );
            }
            return this.errors.make(
                "serverUnauthorized",
                `The ${label} refused the API key (HTTP ${status}${quoted}): set the right one with ${setApiKeyCommand}.`,
                status,
            );
        }
        if (status === 404) {
            if (/\bmodel/i.test(said)) {
                const model = this.call.endpoint.model === "" ? "" : ` "${clean(this.call.endpoint.model, offendingChars)}"`;
                return this.errors.make("serverNotFound", `The ${label} does not have the model${model} (HTTP 404 for ${this.errors.path}${quoted}).`, status);
            }
            return this.errors.make(
                "serverNotFound",
                `The ${label} has no ${this.errors.path} (HTTP 404${quoted}): is it a ${this.errors.serverName}? Check "${setting}".`,
                status,
            );
        }
        if (status >= 300 && status < 400) {
            const location = response.headers.get("location");
            const target = location === null ? undefined : (parseUrl(location) ?? parseRelativeUrl(location, response.url));
            const to = target === undefined ? "" : ` to ${describeUnparsedUrl(target.href)}`;
            return this.errors.make("serverFailed", `The ${label} redirects${to} (HTTP ${status}): set "${setting}" to the server's own URL.`, status);
        }
        const statusText = clean(response.statusText, 60);
        const what = said !== "" ? `HTTP ${status}${quoted}` : `HTTP ${status}${statusText === "" ? "" : ` ${statusText}`}`;
        return this.errors.make("serverFailed", `The ${label} answered ${what}.`, status);
    }

    private async sleep(ms: number): Promise<void> {
        this.throwIfStopped();
        await new Promise<void>((resolve) => {
            const timer = setTimeout(() => finish(), ms);
            const finish = (): void => {
                clearTimeout(timer);
                this.wake = undefined;
                resolve();
            };
            this.wake = finish;
        });
        this.throwIfStopped();
    }

    private stop(reason: Stop): void {
        this.stopped ??= reason;
        this.controller?.abort();
        this.wake?.();
    }

    private throwIfStopped(): void {
        const error = this.stoppedError();
        if (error !== undefined) throw error;
    }

    private stoppedError(): EngineError | undefined {
        if (this.stopped === undefined) return undefined;
        if (this.stopped.kind === "cancelled") return this.errors.make("cancelled", `The request to the ${this.errors.label} was cancelled.`, this.status);
        return this.errors.make("timedOut", `The ${this.errors.label} sent nothing for ${formatDuration(this.stopped.ms)}.`, this.status);
    }

    /** A failure of the connection itself, before the answer's headers or during its body. */
    private connectionError(error: unknown, when: "before" | "during"): EngineError {
        const cause = systemCause(error);
        const code = errorCode(cause);
        if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
            return this.errors.make("timedOut", `The ${this.errors.label} sent nothing for too long (${code}).`, this.status);
        }
        const words = causeInWords(code, cause, error);
        if (when === "before") {
            return this.errors.make("serverUnreachable", `Could not reach the ${this.errors.label} (${words}). Is it running? Check "${this.errors.setting}".`);
        }
        return this.errors.make(
            "serverUnreachable",
            `The connection to the ${this.errors.label} broke during its answer (${words}). Is it still running?`,
            this.status,
        );
    }
}

/** The request's URL: endpoint.url's path joined with call.path (a query in either is kept). */
function requestUrl(call: ServerCall, errors: ServerErrors): URL {
    const base = parseUrl(call.endpoint.url);
    const shape = `"${errors.setting}" must be an http:// or https:// URL such as http://localhost:8080`;
    if (base === undefined || (base.protocol !== "http:" && base.protocol !== "https:") || base.hostname === "") {
        throw errors.make("badRequest", `${quote(describeUnparsedUrl(call.endpoint.url))} is not a server URL: ${shape}.`);
    }
    if (base.username !== "" || base.password !== "") {
        throw errors.make(
            "badRequest",
            `The URL of the ${errors.label} holds a user name or password: ${shape}, and an API key is set with ${setApiKeyCommand}.`,
        );
    }
    const [path = "", query] = splitOnce(call.path, "?");
    const url = new URL(base.href);
    url.hash = "";
    url.pathname = `${base.pathname.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
    if (query !== undefined && query !== "") url.search = url.search === "" ? `?${query}` : `${url.search}&${query}`;
    return url;
}

function requestInit(call: ServerCall, errors: ServerErrors, accept: string): RequestInit {
    const headers: Record<string, string> = { accept };
    const key = call.endpoint.apiKey?.trim();
    if (key !== undefined && key !== "") {
        // fetch's error for a value it refuses quotes the value: the key is checked here, and never quoted
        if (!/^[\x20-\x7e]+$/.test(key)) {
            throw errors.make(
                "badRequest",
                `The API key for the ${errors.label} has characters an HTTP header cannot carry (line breaks, non-ASCII): set it again with ${setApiKeyCommand}.`,
            );
        }
        headers.authorization = `Bearer ${key}`;
    }
    if (call.body === undefined) return { method: "GET", headers, redirect: "manual" };
    let body: string;
    try {
        body = JSON.stringify(call.body);
    } catch (error) {
        throw errors.make("badRequest", `The request for the ${errors.label} cannot be sent as JSON: ${clean(String(error), offendingChars)}.`);
    }
    headers["content-type"] = "application/json";
    return { method: "POST", headers, body, redirect: "manual" };
}

function hasApiKey(endpoint: ServerEndpoint): boolean {
    return endpoint.apiKey !== undefined && endpoint.apiKey.trim() !== "";
}

/** About 250 ms, 500 ms, 1 s… with ±20 % jitter, at most 5 s. */
function backoffMs(attempt: number): number {
    return Math.min(maxRetryDelayMs, firstBackoffMs * 2 ** attempt * (0.8 + Math.random() * 0.4));
}

/** Retry-After (seconds or an HTTP date) in milliseconds, at most 5 s; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
    if (header === null || header.trim() === "") return undefined;
    const seconds = Number(header.trim());
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    if (Number.isNaN(ms)) return undefined;
    return Math.min(maxRetryDelayMs, Math.max(0, ms));
}

/** The system error under a fetch failure: undici wraps it in a TypeError's `cause`, sometimes in an AggregateError's `errors`. */
function systemCause(error: unknown): unknown {
    let cause: unknown = error instanceof Error && error.cause !== undefined ? error.cause : error;
    if (errorCode(cause) === undefined && cause instanceof AggregateError && cause.errors.length > 0) cause = cause.errors[0];
    return cause;
}

function causeInWords(code: string | undefined, cause: unknown, error: unknown): string {
    if (code !== undefined) {
        const words = causeWords[code];
        if (words !== undefined) return words;
        if (/SSL|TLS|CERT/.test(code)) return `TLS failed: ${code}`;
        return code;
    }
    const message = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
    if (message === "bad port") return "Node's fetch refuses this port, as browsers do: run the server on another port";
    return clean(message, offendingChars) || "unknown error";
}

/** The server's own message in an error answer: `{error:{message}}`, `{error:"…"}`, `{message}`, `{detail}`, else the text's start. */
function serverMessage(body: string): string {
    const text = body.trim();
    if (text === "") return "";
    try {
        const said = messageOf(JSON.parse(text));
        if (said !== undefined) return clean(said, quotedChars);
    } catch {
        // not JSON: the text itself
    }
    return clean(text, quotedChars);
}

function messageOf(value: unknown): string | undefined {
    if (typeof value === "string") return value;
    if (typeof value !== "object" || value === null) return undefined;
    const record = value as Record<string, unknown>;
    const error = record.error;
    if (typeof error === "string") return error;
    if (typeof error === "object" && error !== null) {
        const inner = (error as Record<string, unknown>).message;
        if (typeof inner === "string") return inner;
    }
    for (const key of ["message", "detail"]) {
        if (typeof record[key] === "string") return record[key];
    }
    return undefined;
}

/** A JSON value a stream sends in place of its next piece when generation failed. */
function isErrorObject(value: unknown): boolean {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const record = value as Record<string, unknown>;
    return (record.error !== undefined && record.error !== null && record.error !== false) || record.object === "error";
}

/** Text from a server, fit for a message: control and bidi characters gone, whitespace collapsed, at most `max` characters. */
function clean(text: string, max: number): string {
    const plain = text
        .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, " ")
        .replace(/\s+/g, " ")
        .trim();
    return plain.length <= max ? plain : `${plain.slice(0, max - 1)}…`;
}

function quote(text: string): string {
    return `"${clean(text, offendingChars)}"`;
}

/** A URL text that did not parse as http(s), without what may be credentials, a query or a fragment. */
function describeUnparsedUrl(text: string): string {
    const withoutQuery = text.trim().split(/[?#]/)[0] ?? "";
    const withoutCredentials = withoutQuery.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/]*@/i, "$1");
    return clean(withoutCredentials, offendingChars).replace(/\/+$/, "");
}

function parseUrl(text: string): URL | undefined {
    try {
        return new URL(text.trim());
    } catch {
        return undefined;
    }
}

function parseRelativeUrl(text: string, base: string): URL | undefined {
    try {
        return new URL(text, base);
    } catch {
        return undefined;
    }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
    const at = text.indexOf(separator);
    return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

/**
 * Splits a byte stream into lines at "\n" (a byte UTF-8 never uses inside a character, so a chunk may end anywhere),
 * decoding each whole line; a trailing "\r" is dropped. A line (or the unfinished one) longer than `max` bytes throws.
 */
class LineSplitter {
    private pending: Uint8Array[] = [];
    private pendingBytes = 0;
    private readonly decoder = new TextDecoder();

    constructor(
        private readonly max: number,
        private readonly tooLong: () => EngineError,
    ) {}

    push(chunk: Uint8Array): string[] {
        const lines: string[] = [];
        let start = 0;
        for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
            lines.push(this.take(chunk.subarray(start, end)));
            start = end + 1;
        }
        const rest = chunk.subarray(start);
        if (rest.length > 0) {
            if (this.pendingBytes + rest.length > this.max) throw this.tooLong();
            this.pending.push(rest.slice());
            this.pendingBytes += rest.length;
        }
        return lines;
    }

    /** The unfinished last line, at the stream's end. */
    end(): string[] {
        return this.pendingBytes === 0 ? [] : [this.take(new Uint8Array(0))];
    }

    private take(tail: Uint8Array): string {
        if (this.pendingBytes + tail.length > this.max) throw this.tooLong();
        const bytes = this.pending.length === 0 ? tail : Buffer.concat([...this.pending, tail]);
        this.pending = [];
        this.pendingBytes = 0;
        const line = this.decoder.decode(bytes);
        return line.endsWith("\r") ? line.slice(0, -1) : line;
    }
}

type StreamItem = { readonly value: unknown } | "done" | undefined;

interface StreamParser {
    line(line: string): StreamItem;
    /** At the stream's end: what the last lines left pending. */
    end(): StreamItem;
}

/** Server-Sent Events: each event's `data` (lines joined with "\n") as JSON; `[DONE]` ends; an `error` field or event fails. */
class SseParser implements StreamParser {
    private data: string[] = [];
    private dataChars = 0;
    private event = "";

    constructor(
        private readonly errors: ServerErrors,
        private readonly max: number,
        private readonly status: number | undefined,
    ) {}

    line(line: string): StreamItem {
        if (line === "") return this.dispatch();
        if (line.startsWith(":")) return undefined;
        const [field, raw = ""] = splitOnce(line, ":");
        const value = raw.startsWith(" ") ? raw.slice(1) : raw;
        if (field === "data") {
            this.dataChars += value.length + 1;
            if (this.dataChars > this.max) throw this.errors.badResponse(`sent an event larger than ${formatBytes(this.max)} in its stream`, this.status);
            this.data.push(value);
        } else if (field === "event") {
            this.event = value;
        } else if (field === "error") {
            // llama.cpp's server sends a failure as `error: {json}`
            throw streamFailure(this.errors, parseOrText(value), this.status);
        }
        return undefined;
    }

    end(): StreamItem {
        return this.dispatch();
    }

    private dispatch(): StreamItem {
        const data = this.data.join("\n");
        const event = this.event;
        const empty = this.data.length === 0;
        this.data = [];
        this.dataChars = 0;
        this.event = "";
        if (empty) return undefined;
        if (event === "error") throw streamFailure(this.errors, parseOrText(data), this.status);
        if (data.trim() === "[DONE]") return "done";
        let value: unknown;
        try {
            value = JSON.parse(data);
        } catch {
            throw this.errors.badResponse(`sent an event whose data is not JSON (${quote(data)})`, this.status);
        }
        if (isErrorObject(value)) throw streamFailure(this.errors, value, this.status);
        return { value };
    }
}

/** One JSON value per line; blank lines are skipped. */
class NdjsonParser implements StreamParser {
    constructor(
        private readonly errors: ServerErrors,
        private readonly status: number | undefined,
    ) {}

    line(line: string): StreamItem {
        if (line.trim() === "") return undefined;
        let value: unknown;
        try {
            value = JSON.parse(line);
        } catch {
            throw this.errors.badResponse(`sent a line that is not JSON (${quote(line)})`, this.status);
        }
        if (isErrorObject(value)) throw streamFailure(this.errors, value, this.status);
        return { value };
    }

    end(): StreamItem {
        return undefined;
    }
}

function parseOrText(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function streamFailure(errors: ServerErrors, value: unknown, status: number | undefined): EngineError {
    const said = clean(messageOf(value) ?? JSON.stringify(value) ?? "", quotedChars);
    return errors.make("serverFailed", `The ${errors.label} failed during its answer${said === "" ? "" : `: ${said}`}.`, status);
}
