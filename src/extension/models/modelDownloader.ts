/**
 * Downloads one model file, safely enough to leave running on a laptop:
 *
 * - bytes go to `<destination>.partial`, described by `<destination>.partial.json`, and the
 *   destination only ever appears by renaming a partial that passed every check (size, GGUF
 *   header, published SHA-256), so nothing half-downloaded or damaged is ever loaded;
 * - a cancel, a lost connection or a VS Code restart keeps the partial, and the next call —
 *   made by whoever, knowing nothing of the first — resumes it with a range request, guarded
 *   by If-Range so bytes of two versions of a file are never mixed;
 * - a dropped or stalled connection is resumed automatically a few times before giving up;
 * - two deadlines keep a slow server from holding a download forever: an idle one that a
 *   trickle of bytes cannot defeat (too few bytes in a window counts as stalled), and an
 *   overall one for the whole call, retries included; both keep what arrived for a resume;
 * - redirects are followed here, not by fetch, so that one to another scheme (ftp:, file:…)
 *   is refused in words that say so, and credentials never follow a redirect to another origin;
 * - progress is reported with speed and time left, and errors say what to do (free space,
 *   fix permissions, set a token…), with what was downloaded kept wherever it is still good.
 *
 * Nothing is written anywhere but the destination, its .partial and its .partial.json.
 *
 * Why our own and not node-llama-cpp's `createModelDownloader` (ipull underneath): measured
 * against a loopback server (issue 14), 3.21.1's downloader checks neither size nor SHA-256 (a
 * same-length HTML page was saved as the model), resumes without If-Range (a changed file came
 * out as two versions spliced together), keeps nothing of a chunk under 5 MiB, has no stall or
 * trickle deadline (1 byte/s ran on), retries a redirect to file: or a 500 up to 150 times, sends
 * the Authorization header to the origin a redirect leads to, crashed its process on a full disk,
 * and resolves a cancelled download with the path of a file that does not exist. It would also
 * run only where node-llama-cpp may be imported (the sidecar). Each line above is behaviour this
 * file has and its tests assert.
 */
import { createHash, type Hash } from "node:crypto";
import { formatBytes, formatDuration } from "../../common/units";
import * as path from "node:path";
import { describeNetworkFailure, DownloadError, diskFullError, fileSystemFailure, type DownloadErrorKind } from "./downloadError";
import { nodeDownloadFileSystem, type DownloadFileSystem, type DownloadFileWriter } from "./downloadFileSystem";
import { isByteCount, parsePartialInfo, partialInfoPathFor, partialPathFor, serialisePartialInfo } from "./downloadPartialInfo";
import { ProgressMeter, type DownloadProgress } from "./downloadProgress";

export { DownloadError, type DownloadErrorKind } from "./downloadError";
export { nodeDownloadFileSystem, type DownloadFileSystem } from "./downloadFileSystem";
export { partialInfoPathFor, partialPathFor } from "./downloadPartialInfo";
export type { DownloadProgress } from "./downloadProgress";

export interface DownloadOptions {
    readonly url: string;
    /** The final, absolute path of the model file. */
    readonly destination: string;
    /** The published size; the download fails with sizeMismatch if the file is not exactly this. */
    readonly sizeBytes?: number;
    /** The published SHA-256 (64 hex digits); the download fails with checksumMismatch if it differs. */
    readonly sha256?: string;
    /** The model reference the file is for; kept in the .partial.json so the models list can name it. */
    readonly uri?: string;
    readonly signal?: AbortSignal;
    /** Called at most every `progressIntervalMs` while bytes arrive, and once more at the end. */
    readonly onProgress?: (progress: DownloadProgress) => void;
    /**
     * How many times in a row a dropped, stalled or refused connection (or a 5xx answer) is
     * retried, resuming from the partial, before the download fails with "network". The count
     * starts again whenever an attempt brings at least `stallMinBytes`, so a long download over
     * a flaky connection keeps going as long as it advances — and a trickle does not. Default 3.
     */
    readonly retries?: number;
    /** The wait before the first retry, doubled for each further one in a row (up to 16 times). Default 500 ms. */
    readonly retryDelayMs?: number;
    /**
     * The idle deadline's window: a connection that brings less than `stallMinBytes` in any
     * window this long is dropped and resumed (a retry). Default 60 s.
     */
    readonly stallTimeoutMs?: number;
    /** The idle deadline's minimum: see `stallTimeoutMs`. Default 256 KiB. */
    readonly stallMinBytes?: number;
    /**
     * The overall deadline: the most this call may take, retries and their waits included,
     * before it fails with "network" (keeping what arrived). Default `defaultOverallTimeoutMs`
     * of the bytes still to download.
     */
    readonly overallTimeoutMs?: number;
    /** Default 100 ms. */
    readonly progressIntervalMs?: number;
    /** Where the file operations go; tests inject failures here. Default: the real file system. */
    readonly fileSystem?: DownloadFileSystem;
    /** Extra request headers (Authorization for a gated repository). */
    readonly headers?: Readonly<Record<string, string>>;
}

export interface DownloadResult {
    readonly path: string;
    readonly sizeBytes: number;
    /** SHA-256 of the complete file, lower-case hex. */
    readonly sha256: string;
    /** Bytes that were already on disk when this call started (0 for a fresh download). */
    readonly resumedFromBytes: number;
    /** Whether the file matched a published checksum (false when none was known). */
    readonly checksumVerified: boolean;
}

/**
 * The idle deadline: at least 256 KiB in any 60 s, 4.3 KiB/s on average. A slow but real
 * connection of 64 KiB/s brings 3.75 MiB in a window, fifteen times that, and passes even when
 * it pauses for 56 s of the 60; a server trickling bytes slower than that is cut off, whatever
 * its pace. (A connection that sends nothing at all is cut off after one window, as before.)
 */
export const defaultStallTimeoutMs = 60_000;
export const defaultStallMinBytes = 256 * 1024;
/**
 * The overall deadline: the time the bytes still to download take at 32 KiB/s, half the pace of
 * a slow but real connection, and never less than 6 hours. A 4 GiB model gets 36 hours; a
 * server that passes the idle check at, say, 5 KiB/s cannot hold a download for weeks.
 */
const overallFloorBytesPerSecond = 32 * 1024;
const minimumOverallTimeoutMs = 6 * 60 * 60_000;

/** The default overall deadline for a download with `bytesToGo` still to download (unknown: undefined). */
export function defaultOverallTimeoutMs(bytesToGo: number | undefined): number {
    return Math.max(minimumOverallTimeoutMs, ((bytesToGo ?? 0) / overallFloorBytesPerSecond) * 1000);
}

const downloadsInProgress = new Set<string>();

/** Whether this process is downloading to `destination` right now (a models view can refuse to delete it). */
export function isDownloadInProgress(destination: string): boolean {
    return downloadsInProgress.has(path.resolve(destination));
}

/**
 * Downloads `url` to `destination`, resuming a partial download of the same file if there is
 * one, and checks it before putting it in place. Throws DownloadError.
 */
export async function downloadModel(options: DownloadOptions): Promise<DownloadResult> {
    if (!path.isAbsolute(options.destination)) throw new Error(`downloadModel needs an absolute destination, not "${options.destination}"`);
    const destination = path.resolve(options.destination);
    if (downloadsInProgress.has(destination)) {
        throw new DownloadError(
            "alreadyDownloading",
            `${path.basename(destination)} is already being downloaded: wait for that download to finish, or cancel it first.`,
            { path: destination },
        );
    }
    downloadsInProgress.add(destination);
    try {
        return await new ModelDownload(options, destination).run();
    } finally {
        downloadsInProgress.delete(destination);
    }
}

/** What the first bytes of a GGUF file are: the magic and a version llama.cpp reads. */
const ggufMagic = Buffer.from("GGUF", "ascii");
const supportedGgufVersions: ReadonlySet<number> = new Set([2, 3]);
/** Bytes kept from the start of the file: enough to check the header and to quote in an error. */
const headBytes = 64;

/**
 * Why the first bytes of a file are not the start of a GGUF model llama.cpp can read, or
 * undefined when they are.
 */
export function ggufHeaderProblem(head: Uint8Array): string | undefined {
    const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
    if (bytes.length < 8 || !bytes.subarray(0, 4).equals(ggufMagic)) {
        const text = bytes.toString("latin1");
        if (text.startsWith("version https://git-lfs")) return "the server sent a Git LFS pointer instead of the file";
        if (/^\s*</.test(text)) return "the server sent a web page instead of the file";
        if (bytes.length === 0) return "the file is empty";
        return `it starts with ${JSON.stringify(text.slice(0, 16))} instead of "GGUF"`;
    }
    const version = bytes.readUInt32LE(4);
    if (!supportedGgufVersions.has(version)) return `it is GGUF version ${version}, and llama.cpp reads versions 2 and 3`;
    return undefined;
}

/** A failure worth another attempt: the connection, not the file or the disk. */
class RetryableFailure extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
    }
}

/** A connection dropped by the idle deadline: retried like any other, but its message says why. */
class IdleStall extends RetryableFailure {
    constructor(
        readonly windowBytes: number,
        readonly windowMs: number,
        readonly minBytes: number,
    ) {
        super(`only ${formatBytes(windowBytes)} arrived in ${formatDuration(windowMs)}`);
    }
}

/** Bytes that fail a check of the file: the download is garbage and gets deleted. */
class Rejection extends Error {
    constructor(
        readonly kind: Extract<DownloadErrorKind, "notGguf" | "sizeMismatch" | "checksumMismatch">,
        problem: string,
    ) {
        super(problem);
    }
}

type AttemptOutcome = "complete" | "startOver";

const retryableStatuses: ReadonlySet<number> = new Set([500, 502, 503, 504]);
const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** As many as fetch follows. */
const maxRedirects = 20;
/** Headers that must not follow a redirect to another origin (as fetch drops them). */
const credentialHeaders: ReadonlySet<string> = new Set(["authorization", "cookie", "proxy-authorization"]);

class ModelDownload {
    private readonly fs: DownloadFileSystem;
    private readonly partial: string;
    private readonly infoPath: string;
    private readonly dir: string;
    private readonly name: string;
    private readonly host: string;
    private readonly meter: ProgressMeter;
    private readonly retries: number;
    private readonly retryDelayMs: number;
    private readonly stallTimeoutMs: number;
    private readonly stallMinBytes: number;
    private readonly publishedSha256: string | undefined;
    /** When this call started (performance.now()): the overall deadline counts from here. */
    private readonly startedAt = performance.now();
    /** Bytes that arrived in this call, whatever became of them: for the overall deadline's message. */
    private arrivedBytes = 0;

    private hash: Hash = createHash("sha256");
    private head = Buffer.alloc(0);
    private headChecked = false;
    /** Bytes in the partial file, all of them hashed. */
    private received = 0;
    private resumedFromBytes = 0;
    /** The size the complete file must have, from the caller or a previous session. */
    private expectedSize: number | undefined;
    private expectedSha256: string | undefined;
    /** The complete file's size as best known: expected, or what the server said. */
    private totalBytes: number | undefined;
    private validators: { readonly etag?: string; readonly lastModified?: string } = {};
    private startOvers = 0;

    constructor(
        private readonly options: DownloadOptions,
        private readonly destination: string,
    ) {
        this.fs = options.fileSystem ?? nodeDownloadFileSystem;
        this.partial = partialPathFor(destination);
        this.infoPath = partialInfoPathFor(destination);
        this.dir = path.dirname(destination);
        this.name = path.basename(destination);
        this.host = hostOf(options.url);
        this.meter = new ProgressMeter(options.onProgress, { intervalMs: options.progressIntervalMs ?? 100 });
        this.retries = Math.max(0, options.retries ?? 3);
        this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 500);
        this.stallTimeoutMs = Math.max(1, options.stallTimeoutMs ?? defaultStallTimeoutMs);
        this.stallMinBytes = Math.max(1, options.stallMinBytes ?? defaultStallMinBytes);
        this.publishedSha256 = normaliseSha256(options.sha256);
        const sizeBytes: unknown = options.sizeBytes;
        if (sizeBytes !== undefined && !isByteCount(sizeBytes)) {
            throw new Error(`downloadModel: sizeBytes must be a whole number of bytes, not ${JSON.stringify(sizeBytes)}`);
        }
        this.resetExpectations();
    }

    async run(): Promise<DownloadResult> {
        this.checkUrl();
        this.throwIfCancelled();
        await this.loadPartial();
        if (this.expectedSize !== undefined && this.received === this.expectedSize) return this.finish();

        let retriesLeft = this.retries;
        let retriesInARow = 0;
        for (;;) {
            this.throwIfCancelled();
            if (this.overallMsLeft() <= 0) throw this.overallDeadlinePassed();
            const before = this.arrivedBytes;
            try {
                if ((await this.attempt()) === "complete") return await this.finish();
            } catch (error) {
                // Deleted only now, with the partial file closed (Windows cannot delete an open file).
                if (error instanceof Rejection) throw await this.rejected(error.kind, error.message);
                if (!(error instanceof RetryableFailure)) throw error;
                // It advanced: the connection is flaky, not gone. Less than the idle deadline's
                // minimum is no advance: a server trickling bytes must not get retries forever.
                if (this.arrivedBytes - before >= this.stallMinBytes) {
                    retriesLeft = this.retries;
                    retriesInARow = 0;
                }
                if (retriesLeft === 0) throw this.gaveUp(error, retriesInARow);
                retriesLeft--;
                retriesInARow++;
                // The overall deadline cuts the wait short; the loop's first check then ends the download.
                await this.wait(Math.min(this.retryDelayMs * 2 ** Math.min(retriesInARow - 1, 4), Math.max(0, this.overallMsLeft())));
            }
        }
    }

    // ---------- the partial file ----------

    /** Adopts the partial download left by an earlier session if it is of this file; else clears it. */
    private async loadPartial(): Promise<void> {
        const size = await this.disk(() => this.fs.size(this.partial), this.partial, "to read");
        const info = parsePartialInfo(await this.disk(() => this.fs.readText(this.infoPath), this.infoPath, "to read"));
        if (size === undefined || size === 0 || info === undefined) {
            await this.discardPartial();
            return;
        }
        const sha256 = info.sha256 === undefined ? undefined : sha256Hex(info.sha256);
        if (info.sha256 !== undefined && sha256 === undefined) {
            await this.discardPartial(); // a damaged description: the bytes cannot be trusted either
            return;
        }
        const sameUrl = info.url === this.options.url;
        const sameChecksum = this.publishedSha256 !== undefined && sha256 === this.publishedSha256;
        const conflicting =
            (this.publishedSha256 !== undefined && sha256 !== undefined && sha256 !== this.publishedSha256) ||
            (this.options.sizeBytes !== undefined && info.totalBytes !== undefined && info.totalBytes !== this.options.sizeBytes);
        const expectedSize = this.options.sizeBytes ?? info.totalBytes;
        if (conflicting || !(sameUrl || sameChecksum) || (expectedSize !== undefined && size > expectedSize)) {
            await this.discardPartial(); // another file, or another version of it
            return;
        }
        this.expectedSize = expectedSize;
        this.totalBytes = expectedSize;
        this.expectedSha256 = this.publishedSha256 ?? sha256;
        // Validators belong to the server that gave them.
        this.validators = sameUrl ? { etag: info.etag, lastModified: info.lastModified } : {};
        for await (const chunk of this.readPartial()) this.take(chunk);
        this.resumedFromBytes = this.received;
    }

    private readPartial(): AsyncIterable<Uint8Array> {
        const read = this.fs.read(this.partial);
        const context = { path: this.partial, destination: this.destination, partialBytes: 0, doing: "to read" };
        return {
            [Symbol.asyncIterator]: () => {
                const iterator = read[Symbol.asyncIterator]();
                return {
                    next: async () => {
                        try {
                            return await iterator.next();
                        } catch (error) {
                            throw fileSystemFailure(error, context);
                        }
                    },
                    return: async () => (await iterator.return?.()) ?? { done: true, value: undefined },
                };
            },
        };
    }

    /** Counts, hashes and remembers the start of bytes that are now in the partial file. */
    private take(chunk: Uint8Array): void {
        this.hash.update(chunk);
        this.received += chunk.length;
        if (this.head.length < headBytes) {
            this.head = Buffer.concat([this.head, chunk.subarray(0, headBytes - this.head.length)]);
        }
    }

    /** Forgets every byte: the partial is emptied by the next open for writing. */
    private startFromZero(): void {
        this.hash = createHash("sha256");
        this.head = Buffer.alloc(0);
        this.headChecked = false;
        this.received = 0;
        this.resumedFromBytes = 0;
        this.validators = {};
        this.resetExpectations();
    }

    /** Back to what the caller said, dropping what a previous session's .partial.json said. */
    private resetExpectations(): void {
        this.expectedSize = this.options.sizeBytes;
        this.totalBytes = this.options.sizeBytes;
        this.expectedSha256 = this.publishedSha256;
    }

    private async discardPartial(): Promise<void> {
        await this.disk(() => this.fs.remove(this.partial), this.partial, "to delete");
        await this.disk(() => this.fs.remove(this.infoPath), this.infoPath, "to delete");
    }

    private async writeInfo(): Promise<void> {
        const info = serialisePartialInfo({
            version: 1,
            url: this.options.url,
            ...(this.options.uri !== undefined ? { uri: this.options.uri } : {}),
            ...(this.validators.etag !== undefined ? { etag: this.validators.etag } : {}),
            ...(this.validators.lastModified !== undefined ? { lastModified: this.validators.lastModified } : {}),
            ...(this.totalBytes !== undefined ? { totalBytes: this.totalBytes } : {}),
            ...(this.expectedSha256 !== undefined ? { sha256: this.expectedSha256 } : {}),
            updatedAt: new Date().toISOString(),
        });
        await this.disk(() => this.fs.writeText(this.infoPath, info), this.infoPath, "to write");
    }

    // ---------- one request ----------

    private async attempt(): Promise<AttemptOutcome> {
        const controller = new AbortController();
        const onAbort = (): void => controller.abort();
        this.options.signal?.addEventListener("abort", onAbort, { once: true });
        const watchdog = new AttemptWatchdog(
            { windowMs: this.stallTimeoutMs, minBytes: this.stallMinBytes },
            () => this.overallMsLeft(),
            () => controller.abort(),
        );
        const connectionFailure = (error: unknown): Error => {
            if (this.options.signal?.aborted === true) return this.cancelled();
            const expiry = watchdog.expiry;
            if (expiry?.deadline === "overall") return this.overallDeadlinePassed();
            if (expiry?.deadline === "idle") return new IdleStall(expiry.windowBytes, this.stallTimeoutMs, this.stallMinBytes);
            return new RetryableFailure(describeNetworkFailure(error));
        };
        let writer: DownloadFileWriter | undefined;
        try {
            let response: Response;
            try {
                response = await this.request(controller.signal);
            } catch (error) {
                throw error instanceof DownloadError ? error : connectionFailure(error);
            }
            const accepted = await this.accept(response);
            if (accepted !== "body") return accepted;
            await this.checkFreeSpace();
            // Only now, with a file to write: a failed request leaves no empty folders behind.
            await this.disk(() => this.fs.mkdir(this.dir), this.dir, "to create the folder");
            await this.writeInfo();
            const opened = await this.disk(() => this.fs.open(this.partial, this.received === 0 ? "truncate" : "append"), this.partial, "to open");
            writer = opened;
            this.meter.restart(this.received);
            this.meter.update(this.received, this.totalBytes, this.resumedFromBytes);
            const reader = response.body?.getReader();
            for (;;) {
                let chunk: Awaited<ReturnType<NonNullable<typeof reader>["read"]>>;
                try {
                    chunk = reader === undefined ? { done: true, value: undefined } : await reader.read();
                } catch (error) {
                    throw connectionFailure(error);
                }
                if (chunk.done) break;
                const bytes = chunk.value as Uint8Array;
                watchdog.arrived(bytes.length);
                this.arrivedBytes += bytes.length;
                await this.append(opened, bytes);
            }
            if (this.totalBytes !== undefined && this.received < this.totalBytes) {
                throw new RetryableFailure(`the connection closed after ${formatBytes(this.received)} of ${formatBytes(this.totalBytes)}`);
            }
            await this.disk(() => opened.sync(), this.partial, "to write");
            return "complete";
        } finally {
            watchdog.stop();
            this.options.signal?.removeEventListener("abort", onAbort);
            controller.abort(); // releases a body nobody will read (after an error); harmless after the end
            if (writer !== undefined) await writer.close().catch(() => undefined);
        }
    }

    /**
     * Requests the file, following redirects here rather than in fetch: fetch refuses one to
     * another scheme in the words of a network failure (which would then be retried), where
     * the user needs to hear what the server did. As fetch does, it keeps Range and If-Range
     * and drops credentials when a redirect leaves the origin (a Hub token is not the CDN's).
     */
    private async request(signal: AbortSignal): Promise<Response> {
        let url = new URL(this.options.url);
        let headers = this.requestHeaders();
        for (let redirects = 0; ; redirects++) {
            const response = await fetch(url, { headers, signal, redirect: "manual" });
            const next = redirectTarget(response, url);
            // Not a redirect, or one without a usable Location: accept() says what it is.
            if (next === undefined) return response;
            await response.body?.cancel().catch(() => undefined); // frees the connection
            if (next.protocol !== "https:" && next.protocol !== "http:") throw this.refusedRedirect(url, next, response.status);
            if (redirects >= maxRedirects) {
                throw new DownloadError(
                    "httpError",
                    `${url.host} redirected the download of ${this.name} more than ${maxRedirects} times, in a loop: check the hearth.models.huggingFaceEndpoint setting, or try again later.`,
                    { path: this.destination, url: this.options.url, status: response.status, partialBytes: this.received },
                );
            }
            if (next.origin !== url.origin) headers = withoutCredentials(headers);
            url = next;
        }
    }

    private refusedRedirect(from: URL, to: URL, status: number): DownloadError {
        return new DownloadError(
            "httpError",
            `${from.host} redirected the download of ${this.name} to ${withArticle(to.protocol)} URL (${describeRedirectTarget(to)}), which Hearth refuses to follow: ` +
                "it downloads models over https and http only. If the hearth.models.huggingFaceEndpoint setting points to a mirror, check that mirror " +
                "(or clear the setting to download from huggingface.co); otherwise download the file yourself and choose it with Hearth: Choose Model….",
            { path: this.destination, url: this.options.url, status, partialBytes: this.received },
        );
    }

    private requestHeaders(): Record<string, string> {
        // Identity: a compressed body would not match the sizes, ranges and checksum of the file.
        const headers: Record<string, string> = { ...this.options.headers, "Accept-Encoding": "identity" };
        if (this.received > 0) {
            headers.Range = `bytes=${this.received}-`;
            // If-Range needs a strong validator: a weak ETag would make every answer a full 200.
            const { etag, lastModified } = this.validators;
            const validator = etag !== undefined && !etag.startsWith("W/") ? etag : lastModified;
            if (validator !== undefined) headers["If-Range"] = validator;
        }
        return headers;
    }

    /**
     * Decides what to do with a response: read its body ("body"), verify the partial as it is
     * ("complete"), or make a new request from zero ("startOver"). Throws for errors.
     */
    private async accept(response: Response): Promise<"body" | AttemptOutcome> {
        const { status } = response;
        if (status === 206) {
            const range = parseContentRange(response.headers.get("content-range"));
            if (range === undefined || range.start !== this.received) return this.startOver("the server sent another range than the one asked for");
            const validators = validatorsOf(response);
            if (validators.etag !== undefined || validators.lastModified !== undefined) this.validators = validators;
            return this.acceptTotal(range.total);
        }
        if (status === 200) {
            // Asked for a range but got the whole file: it changed since (If-Range), or the
            // server does not do ranges. Either way, start again from zero with this body.
            if (this.received > 0) this.startFromZero();
            this.validators = validatorsOf(response);
            return this.acceptTotal(contentLength(response));
        }
        if (status === 416 && this.received > 0) {
            // Nothing after byte N: the partial may well be the whole file.
            const total = parseUnsatisfiedRangeTotal(response.headers.get("content-range"));
            if (total === undefined || total === this.received) {
                this.totalBytes = total ?? this.totalBytes;
                return "complete";
            }
            return this.startOver("the partial download is longer than the file");
        }
        throw this.httpFailure(response);
    }

    private async acceptTotal(serverTotal: number | undefined): Promise<"body" | AttemptOutcome> {
        if (serverTotal !== undefined && this.expectedSize !== undefined && serverTotal !== this.expectedSize) {
            if (this.options.sizeBytes === undefined) return this.startOver("the file changed on the server");
            throw new Rejection(
                "sizeMismatch",
                `the server sends ${serverTotal} bytes, but the published size is ${this.options.sizeBytes} bytes (the file may have changed since it was looked up)`,
            );
        }
        this.totalBytes = this.expectedSize ?? serverTotal;
        return "body";
    }

    private async startOver(reason: string): Promise<AttemptOutcome> {
        if (++this.startOvers > 2) {
            throw new DownloadError(
                "httpError",
                `${this.host} does not answer range requests for ${this.name} consistently (${reason}): try the download again later.`,
                { path: this.destination, url: this.options.url },
            );
        }
        await this.discardPartial();
        this.startFromZero();
        return "startOver";
    }

    private httpFailure(response: Response): Error {
        const { status } = response;
        const details = { path: this.destination, url: this.options.url, status, partialBytes: this.received };
        if (status === 404) {
            return new DownloadError(
                "notFound",
                `${this.options.url} was not found (HTTP 404): check the reference — owner, repository, branch and file name must match the repository exactly.`,
                details,
            );
        }
        if (status === 401 || status === 403) {
            return new DownloadError(
                "httpError",
                `${this.host} refused to send ${this.name} (HTTP ${status}): the repository may be gated or private. Accept its terms on the model's page and set a Hugging Face access token, then try again.`,
                details,
            );
        }
        if (status === 429) {
            return new DownloadError("httpError", `${this.host} is limiting downloads (HTTP 429): wait a few minutes, then resume the download.`, details);
        }
        if (retryableStatuses.has(status)) return new RetryableFailure(`${this.host} answered HTTP ${status} ${response.statusText}`.trim(), status);
        return new DownloadError(
            "httpError",
            `${this.host} answered HTTP ${status} ${response.statusText} for ${this.options.url}: check the reference, or try again later.`.replace(
                / {2}/g,
                " ",
            ),
            details,
        );
    }

    private async checkFreeSpace(): Promise<void> {
        if (this.totalBytes === undefined) return;
        const needed = this.totalBytes - this.received;
        const free = await this.fs.freeBytes(this.dir).catch(() => undefined);
        if (free !== undefined && free < needed) {
            throw diskFullError(this.dir, needed, { path: this.destination, partialBytes: this.received });
        }
    }

    /** Writes a chunk to the partial file, then counts and hashes it; stops at the first bad sign. */
    private async append(writer: DownloadFileWriter, chunk: Uint8Array): Promise<void> {
        if (chunk.length === 0) return;
        if (this.totalBytes !== undefined && this.received + chunk.length > this.totalBytes) {
            throw new Rejection("sizeMismatch", `the server sent more than the ${this.totalBytes} bytes it should have`);
        }
        try {
            await writer.write(chunk);
        } catch (error) {
            const kept = (await this.fs.size(this.partial).catch(() => undefined)) ?? this.received;
            const needed = this.totalBytes === undefined ? undefined : this.totalBytes - kept;
            throw fileSystemFailure(error, {
                path: this.partial,
                destination: this.destination,
                bytesStillNeeded: needed,
                partialBytes: kept,
                doing: "to write",
            });
        }
        this.take(chunk);
        if (!this.headChecked && this.head.length >= 8) this.checkHead();
        this.meter.update(this.received, this.totalBytes, this.resumedFromBytes);
    }

    /** As soon as the first bytes are in: an HTML page or an LFS pointer need not be downloaded to the end. */
    private checkHead(): void {
        this.headChecked = true;
        const problem = ggufHeaderProblem(this.head);
        if (problem !== undefined) throw new Rejection("notGguf", problem);
    }

    // ---------- the end ----------

    private async finish(): Promise<DownloadResult> {
        this.meter.update(this.received, this.totalBytes, this.resumedFromBytes, true);
        const expected = this.expectedSize ?? this.totalBytes;
        if (expected !== undefined && this.received !== expected) {
            throw await this.rejected("sizeMismatch", `it has ${this.received} bytes instead of ${expected}`);
        }
        const headProblem = ggufHeaderProblem(this.head);
        if (headProblem !== undefined) throw await this.rejected("notGguf", headProblem);
        const sha256 = this.hash.digest("hex");
        if (this.expectedSha256 !== undefined && sha256 !== this.expectedSha256) {
            throw await this.rejected("checksumMismatch", `its SHA-256 is ${sha256}, but the published one is ${this.expectedSha256}`);
        }
        await this.disk(() => this.fs.rename(this.partial, this.destination), this.destination, "to move the finished download to");
        await this.disk(() => this.fs.remove(this.infoPath), this.infoPath, "to delete");
        return {
            path: this.destination,
            sizeBytes: this.received,
            sha256,
            resumedFromBytes: this.resumedFromBytes,
            checksumVerified: this.expectedSha256 !== undefined,
        };
    }

    /** Deletes a download that failed a check (it is garbage) and says so. */
    private async rejected(kind: Rejection["kind"], problem: string): Promise<DownloadError> {
        await this.discardPartial();
        const what = {
            notGguf: `is not a GGUF model: ${problem}. Check that the reference names a .gguf model file`,
            sizeMismatch: `is damaged: ${problem}. Download it again`,
            checksumMismatch: `is damaged: ${problem}. Download it again; if this keeps happening, ${this.host} serves another file than the one published`,
        }[kind];
        return new DownloadError(kind, `The download of ${this.name} ${what}. The downloaded data was deleted.`, {
            path: this.destination,
            url: this.options.url,
        });
    }

    // ---------- helpers ----------

    private checkUrl(): void {
        let protocol: string;
        try {
            protocol = new URL(this.options.url).protocol;
        } catch {
            protocol = "";
        }
        if (protocol !== "https:" && protocol !== "http:") {
            throw new DownloadError(
                "invalidReference",
                `"${this.options.url}" is not an http(s) address to download a model from: check the reference or the Hugging Face endpoint setting.`,
                { path: this.destination },
            );
        }
    }

    private throwIfCancelled(): void {
        if (this.options.signal?.aborted === true) throw this.cancelled();
    }

    private cancelled(): DownloadError {
        const kept = this.received > 0 ? `; the ${formatBytes(this.received)} downloaded so far are kept, and the download resumes from there` : "";
        return new DownloadError("cancelled", `The download of ${this.name} was cancelled${kept}.`, {
            path: this.destination,
            partialBytes: this.received,
            url: this.options.url,
        });
    }

    private gaveUp(failure: RetryableFailure, retried: number): DownloadError {
        const kept = this.received > 0 ? ` The ${formatBytes(this.received)} downloaded so far are kept: resume the download when the connection is back.` : "";
        const details = { path: this.destination, partialBytes: this.received, url: this.options.url, status: failure.status, cause: failure };
        const also = retried === 0 ? "" : `, also after ${retried} ${retried === 1 ? "retry" : "retries"}`;
        if (failure instanceof IdleStall) {
            return new DownloadError(
                "network",
                `The download of ${this.name} from ${this.host} stalled: only ${formatBytes(failure.windowBytes)} arrived in the last ${formatDuration(failure.windowMs)}, ` +
                    `less than the ${formatBytes(failure.minBytes)} the idle deadline asks for${also}. ${this.keptSoFar()} ` +
                    "Check the connection, or the mirror if the hearth.models.huggingFaceEndpoint setting points to one, then resume the download.",
                { ...details, deadline: "idle" },
            );
        }
        if (failure.status !== undefined) {
            return new DownloadError("httpError", `${failure.message}${also}, so ${this.name} could not be downloaded: try again later.${kept}`, details);
        }
        return new DownloadError(
            "network",
            `The download of ${this.name} from ${this.host} failed (${failure.message})${also}. Check the connection.${kept}`,
            details,
        );
    }

    /** How long until the overall deadline (negative once it has passed). */
    private overallMsLeft(): number {
        const limit =
            this.options.overallTimeoutMs ?? defaultOverallTimeoutMs(this.totalBytes === undefined ? undefined : this.totalBytes - this.resumedFromBytes);
        return this.startedAt + limit - performance.now();
    }

    private overallDeadlinePassed(): DownloadError {
        const ran = formatDuration(performance.now() - this.startedAt);
        return new DownloadError(
            "network",
            `The download of ${this.name} from ${this.host} passed its overall deadline: in ${ran}, ${formatBytes(this.arrivedBytes)} arrived. ${this.keptSoFar()} ` +
                "Resume the download to continue; if it stays this slow, check the connection, or the mirror if the hearth.models.huggingFaceEndpoint setting points to one.",
            { path: this.destination, partialBytes: this.received, url: this.options.url, deadline: "overall" },
        );
    }

    /** "The 1.2 GB of 4.1 GB downloaded so far are kept." */
    private keptSoFar(): string {
        if (this.received === 0) return "Nothing was kept.";
        const of = this.totalBytes === undefined ? "" : ` of ${formatBytes(this.totalBytes)}`;
        return `The ${formatBytes(this.received)}${of} downloaded so far are kept.`;
    }

    /** Waits before a retry; a cancel ends the wait at once. */
    private wait(ms: number): Promise<void> {
        const signal = this.options.signal;
        return new Promise<void>((resolve, reject) => {
            const onAbort = (): void => {
                clearTimeout(timer);
                reject(this.cancelled());
            };
            const timer = setTimeout(() => {
                signal?.removeEventListener("abort", onAbort);
                resolve();
            }, ms);
            signal?.addEventListener("abort", onAbort, { once: true });
        });
    }

    /** Runs a file operation, turning its failure into a DownloadError that says what to do. */
    private async disk<T>(operation: () => Promise<T>, file: string, doing: string): Promise<T> {
        try {
            return await operation();
        } catch (error) {
            const needed = this.totalBytes === undefined ? undefined : this.totalBytes - this.received;
            throw fileSystemFailure(error, { path: file, destination: this.destination, bytesStillNeeded: needed, partialBytes: this.received, doing });
        }
    }
}

/** The idle deadline: at least `minBytes` in any `windowMs`. */
interface IdleDeadline {
    readonly windowMs: number;
    readonly minBytes: number;
}

type Expiry = { readonly deadline: "overall" } | { readonly deadline: "idle"; readonly windowBytes: number };

/** Samples of the bytes that arrived, per idle window: the window slides by a quarter at a time. */
const samplesPerWindow = 4;
/** The longest a Node timer waits (a longer delay would fire at once). */
const maxTimerMs = 2 ** 31 - 1;

/**
 * Watches one attempt's deadlines and aborts its request when one passes, remembering which.
 * The idle one counts bytes over a sliding window instead of timing the silence since the last
 * byte: a server sending a byte now and then would re-arm such a timer forever.
 */
class AttemptWatchdog {
    expiry: Expiry | undefined;
    private arrivedBytes = 0;
    /** arrivedBytes at each of the last samplesPerWindow + 1 ticks, oldest first. */
    private readonly samples = [0];
    private readonly sampler: NodeJS.Timeout;
    private overall: NodeJS.Timeout | undefined;

    constructor(
        private readonly idle: IdleDeadline,
        private readonly overallMsLeft: () => number,
        private readonly abort: () => void,
    ) {
        this.sampler = setInterval(() => this.sample(), Math.max(1, idle.windowMs / samplesPerWindow));
        this.armOverall();
    }

    arrived(bytes: number): void {
        this.arrivedBytes += bytes;
    }

    stop(): void {
        clearInterval(this.sampler);
        clearTimeout(this.overall);
    }

    private sample(): void {
        this.samples.push(this.arrivedBytes);
        if (this.samples.length <= samplesPerWindow) return; // not a whole window yet
        const windowBytes = this.arrivedBytes - this.samples[0];
        this.samples.shift();
        if (windowBytes < this.idle.minBytes) this.expire({ deadline: "idle", windowBytes });
    }

    /** The overall deadline may be weeks away, past what one timer can wait: it then waits again. */
    private armOverall(): void {
        const left = this.overallMsLeft();
        if (left <= 0) {
            this.expire({ deadline: "overall" });
            return;
        }
        this.overall = setTimeout(() => this.armOverall(), Math.min(left, maxTimerMs));
    }

    private expire(expiry: Expiry): void {
        if (this.expiry !== undefined) return;
        this.expiry = expiry;
        this.stop();
        this.abort();
    }
}

/** Where a redirect leads, resolved against the URL that answered it; undefined when it is not one. */
function redirectTarget(response: Response, from: URL): URL | undefined {
    const location = response.headers.get("location");
    if (!redirectStatuses.has(response.status) || location === null) return undefined;
    try {
        return new URL(location, from);
    } catch {
        return undefined;
    }
}

/**
 * A refused redirect's target, for a message: its origin, or, for an address without a host
 * (file:, data:), its start — enough to recognise, never a whole data: URL.
 */
function describeRedirectTarget(url: URL): string {
    if (url.host !== "") return `${url.protocol}//${url.host}`;
    const comma = url.href.indexOf(",");
    const start = comma < 0 ? url.href : `${url.href.slice(0, comma + 1)}…`;
    return start.length > 80 ? `${start.slice(0, 79)}…` : start;
}

/** "an ftp:", "a file:": the article as the scheme is read, letter by letter when it has no vowel. */
function withArticle(scheme: string): string {
    const spelled = !/[aeiouy]/i.test(scheme.slice(1));
    const vowelSound = spelled ? /^[aefhilmnorsx]/i.test(scheme) : /^[aeiou]/i.test(scheme);
    return `${vowelSound ? "an" : "a"} ${scheme}`;
}

function withoutCredentials(headers: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).filter(([name]) => !credentialHeaders.has(name.toLowerCase())));
}

/** A caller's checksum, lower-case; a malformed one is a bug of the caller's. */
function normaliseSha256(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const hex = sha256Hex(value);
    if (hex === undefined) throw new Error(`downloadModel: "${value}" is not a SHA-256 checksum (64 hexadecimal digits)`);
    return hex;
}

/** "ABC…" or "sha256:abc…" as lower-case hex, or undefined when it is not a SHA-256. */
function sha256Hex(value: string): string | undefined {
    const hex = value
        .trim()
        .toLowerCase()
        .replace(/^sha256:/, "");
    return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function hostOf(url: string): string {
    try {
        return new URL(url).host;
    } catch {
        return url;
    }
}

function validatorsOf(response: Response): { readonly etag?: string; readonly lastModified?: string } {
    const etag = response.headers.get("etag") ?? undefined;
    const lastModified = response.headers.get("last-modified") ?? undefined;
    return { ...(etag !== undefined ? { etag } : {}), ...(lastModified !== undefined ? { lastModified } : {}) };
}

/** The body's length, unless it is compressed (then it says nothing about the file). */
function contentLength(response: Response): number | undefined {
    const encoding = response.headers.get("content-encoding");
    if (encoding !== null && encoding.toLowerCase() !== "identity") return undefined;
    const value = response.headers.get("content-length");
    if (value === null || !/^\d+$/.test(value.trim())) return undefined;
    return Number(value);
}

/** `bytes START-END/TOTAL` (TOTAL may be `*`). */
function parseContentRange(value: string | null): { readonly start: number; readonly total: number | undefined } | undefined {
    const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? "");
    if (match === null) return undefined;
    return { start: Number(match[1]), total: match[3] === "*" ? undefined : Number(match[3]) };
}

/** `bytes *\/TOTAL`, the Content-Range of a 416. */
function parseUnsatisfiedRangeTotal(value: string | null): number | undefined {
    const match = /^bytes\s+\*\/(\d+)$/i.exec(value?.trim() ?? "");
    return match === null ? undefined : Number(match[1]);
}
