import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile, mkdir, readdir } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { serialisePartialInfo } from "../../../src/extension/models/downloadPartialInfo";
import { ProgressMeter } from "../../../src/extension/models/downloadProgress";
import {
    downloadModel,
    ggufHeaderProblem,
    nodeDownloadFileSystem,
    partialInfoPathFor,
    partialPathFor,
    type DownloadFileSystem,
    type DownloadOptions,
    type DownloadProgress,
} from "../../../src/extension/models/modelDownloader";
import { writeNotGguf, writeTinyModel } from "../../fixtures/gguf";
import { ModelServer } from "../../fixtures/modelServer";
import { downloadError } from "./downloadAssertions";
import { formatBytes } from "../../../src/common/units";

async function sizeOf(file: string): Promise<number | undefined> {
    return stat(file).then(
        (info) => info.size,
        () => undefined,
    );
}

function sha256(bytes: Uint8Array): string {
    return createHash("sha256").update(bytes).digest("hex");
}

/** Records progress and lets a test wait until a byte count is on disk. */
class ProgressLog {
    readonly events: DownloadProgress[] = [];
    private waiters: { readonly bytes: number; readonly resolve: () => void }[] = [];

    readonly onProgress = (progress: DownloadProgress): void => {
        this.events.push(progress);
        this.waiters = this.waiters.filter((waiter) => {
            if (progress.receivedBytes < waiter.bytes) return true;
            waiter.resolve();
            return false;
        });
    };

    reached(bytes: number): Promise<void> {
        if (this.events.some((event) => event.receivedBytes >= bytes)) return Promise.resolve();
        return new Promise<void>((resolve) => this.waiters.push({ bytes, resolve }));
    }
}

/** The real file system, except that writes fail with `code` once `afterBytes` bytes were written. */
function failingWrites(code: string, afterBytes: number): DownloadFileSystem {
    let written = 0;
    return {
        ...nodeDownloadFileSystem,
        open: async (file, mode) => {
            const real = await nodeDownloadFileSystem.open(file, mode);
            return {
                ...real,
                write: async (chunk) => {
                    const room = Math.max(0, afterBytes - written);
                    if (chunk.length <= room) {
                        await real.write(chunk);
                        written += chunk.length;
                        return;
                    }
                    if (room > 0) await real.write(chunk.subarray(0, room)); // a disk fills up mid-chunk
                    written += room;
                    throw Object.assign(new Error(`${code}: simulated failure, write`), { code, syscall: "write", path: file });
                },
            };
        },
    };
}

describe("downloading a model", function () {
    let dir: string;
    let server: ModelServer;
    let model: Buffer;
    let url: string;
    let destination: string;
    let run = 0;
    const gateBytes = 64 * 1024;

    before(async function () {
        dir = await mkdtemp(path.join(os.tmpdir(), "hearth-download-"));
        const source = path.join(dir, "source");
        await mkdir(source);
        await writeTinyModel(path.join(source, "tiny.gguf"));
        model = await readFile(path.join(source, "tiny.gguf"));
        await writeNotGguf(path.join(source, "not-gguf.gguf"));
        server = await ModelServer.start();
        server.addFile({ owner: "org", repo: "Tiny-GGUF", path: "tiny-F16.gguf", body: model });
        server.addFile({ owner: "org", repo: "Tiny-GGUF", path: "not-gguf.gguf", body: await readFile(path.join(source, "not-gguf.gguf")) });
        server.addFile({
            owner: "org",
            repo: "Tiny-GGUF",
            path: "page.gguf",
            body: Buffer.from(`<!DOCTYPE html><html>${"<p>login</p>".repeat(100_000)}</html>`),
        });
        server.addFile({
            owner: "org",
            repo: "Tiny-GGUF",
            path: "old-version.gguf",
            body: Buffer.concat([Buffer.from("GGUF\u0001\u0000\u0000\u0000"), model.subarray(8)]),
        });
        url = server.fileUrl("org", "Tiny-GGUF", "tiny-F16.gguf");
        assert.ok(model.length > 4 * gateBytes, `the tiny model (${model.length} bytes) is big enough to stop half-way`);
    });

    beforeEach(function () {
        destination = path.join(dir, `run-${++run}`, "models", "hf", "org", "Tiny-GGUF", "tiny-F16.gguf");
    });

    afterEach(function () {
        server.reset();
    });

    after(async function () {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    });

    function options(overrides: Partial<DownloadOptions> = {}): DownloadOptions {
        return { url, destination, sizeBytes: model.length, sha256: sha256(model), retryDelayMs: 1, progressIntervalMs: 0, ...overrides };
    }

    async function assertComplete(): Promise<void> {
        assert.ok((await readFile(destination)).equals(model), "the file is byte for byte the served one");
        assert.equal(await sizeOf(partialPathFor(destination)), undefined, "no .partial left");
        assert.equal(await sizeOf(partialInfoPathFor(destination)), undefined, "no .partial.json left");
    }

    /** Starts a download, stops it once `gateBytes` are on disk, and checks what is kept. */
    async function cancelHalfWay(overrides: Partial<DownloadOptions> = {}): Promise<void> {
        const gate = server.gate(gateBytes);
        const progress = new ProgressLog();
        const controller = new AbortController();
        const download = downloadModel(options({ signal: controller.signal, onProgress: progress.onProgress, ...overrides }));
        await gate.reached;
        await progress.reached(gateBytes);
        controller.abort();
        const error = await downloadError(download, "cancelled");
        gate.open();
        assert.equal(error.partialBytes, gateBytes);
        assert.match(error.message, /cancelled; the 66 kB downloaded so far are kept/);
        assert.equal(await sizeOf(partialPathFor(destination)), gateBytes, "the partial keeps exactly what arrived");
        assert.equal(await sizeOf(destination), undefined, "nothing at the destination");
    }

    it("downloads, reporting steady progress, and checks the file", async function () {
        const progress = new ProgressLog();
        const result = await downloadModel(options({ onProgress: progress.onProgress }));
        assert.deepEqual(result, { path: destination, sizeBytes: model.length, sha256: sha256(model), resumedFromBytes: 0, checksumVerified: true });
        await assertComplete();

        const events = progress.events;
        assert.ok(events.length >= 3, `a first report, reports as bytes arrive and a last one (${events.length})`);
        for (let i = 1; i < events.length; i++) assert.ok(events[i].receivedBytes >= events[i - 1].receivedBytes, "received bytes never go back");
        for (const event of events) {
            assert.equal(event.totalBytes, model.length);
            assert.equal(event.resumedFromBytes, 0);
            if (event.receivedBytes > 0) assert.ok(event.bytesPerSecond > 0, "a speed once bytes arrive");
            if (event.secondsLeft !== undefined) assert.ok(event.secondsLeft >= 0);
        }
        const last = events[events.length - 1];
        assert.equal(last.receivedBytes, model.length);
        assert.equal(last.secondsLeft, 0);
        assert.equal(server.fileRequests.length, 1);
        assert.equal(server.fileRequests[0].acceptEncoding, "identity", "never a compressed body");
        assert.equal(server.fileRequests[0].range, undefined);
    });

    it("follows the Hub's redirect to its CDN, and resumes through it with the Range header kept", async function () {
        server.knobs.redirectToCdn = true;
        await cancelHalfWay();
        const result = await downloadModel(options());
        assert.equal(result.resumedFromBytes, gateBytes);
        await assertComplete();
        const statuses = server.requests.map((request) => [request.url.replace(/\?.*/, ""), request.status, request.range]);
        assert.deepEqual(
            statuses.map(([file, status]) => [String(file).startsWith("/cdn/") ? "cdn" : "hub", status]),
            [
                ["hub", 302],
                ["cdn", 200],
                ["hub", 302],
                ["cdn", 206],
            ],
        );
        assert.equal(server.requests[3].range, `bytes=${gateBytes}-`);
    });

    it("keeps a cancelled download and resumes it with a range request for the rest only", async function () {
        await cancelHalfWay();
        const info = JSON.parse(await readFile(partialInfoPathFor(destination), "utf8")) as {
            url: string;
            etag?: string;
            totalBytes?: number;
            sha256?: string;
        };
        assert.equal(info.url, url);
        assert.equal(info.totalBytes, model.length);
        assert.equal(info.sha256, sha256(model));
        assert.ok(info.etag !== undefined, "the version being downloaded is remembered");

        const progress = new ProgressLog();
        const result = await downloadModel(options({ onProgress: progress.onProgress }));
        assert.equal(result.resumedFromBytes, gateBytes);
        assert.equal(result.sha256, sha256(model), "the hash covers the resumed bytes too");
        await assertComplete();
        const resumed = server.fileRequests[1];
        assert.equal(resumed.range, `bytes=${gateBytes}-`);
        assert.equal(resumed.ifRange, info.etag);
        assert.equal(resumed.status, 206);
        assert.equal(resumed.bodyBytesSent, model.length - gateBytes, "only the rest is transferred");
        assert.equal(progress.events[0].receivedBytes, gateBytes);
        assert.ok(progress.events.every((event) => event.resumedFromBytes === gateBytes));
    });

    it("resumes after a restart from what the .partial.json says, checksum included", async function () {
        await cancelHalfWay();
        // A new session knows only the URL and where the file goes.
        const result = await downloadModel({ url, destination, retryDelayMs: 1 });
        assert.equal(result.resumedFromBytes, gateBytes);
        assert.equal(result.checksumVerified, true, "the published checksum came from the .partial.json");
        await assertComplete();
        assert.equal(server.fileRequests[1].range, `bytes=${gateBytes}-`);
    });

    it("starts again from zero when the file changed on the server since the partial download (If-Range)", async function () {
        await mkdir(path.dirname(destination), { recursive: true });
        await writeFile(partialPathFor(destination), Buffer.alloc(gateBytes, 7));
        await writeFile(
            partialInfoPathFor(destination),
            serialisePartialInfo({ version: 1, url, etag: '"an-older-version"', updatedAt: new Date().toISOString() }),
        );
        const result = await downloadModel(options({ sha256: undefined, sizeBytes: undefined }));
        assert.equal(result.resumedFromBytes, 0);
        await assertComplete();
        const request = server.fileRequests[0];
        assert.deepEqual([request.range, request.ifRange, request.status], [`bytes=${gateBytes}-`, '"an-older-version"', 200]);
    });

    it("starts again from zero when the server ignores ranges", async function () {
        await cancelHalfWay();
        server.knobs.ignoreRange = true;
        const result = await downloadModel(options());
        assert.equal(result.resumedFromBytes, 0);
        await assertComplete();
        assert.equal(server.fileRequests[1].status, 200);
    });

    it("treats a partial the server has nothing more for (416) as complete, and checks it", async function () {
        await mkdir(path.dirname(destination), { recursive: true });
        await writeFile(partialPathFor(destination), model);
        await writeFile(partialInfoPathFor(destination), serialisePartialInfo({ version: 1, url, updatedAt: new Date().toISOString() }));
        const result = await downloadModel(options({ sizeBytes: undefined }));
        assert.equal(result.resumedFromBytes, model.length);
        await assertComplete();
        assert.deepEqual(
            server.fileRequests.map((request) => [request.range, request.status, request.bodyBytesSent]),
            [[`bytes=${model.length}-`, 416, 0]],
        );
    });

    it("does not ask the server again for a partial that already has the published size", async function () {
        await mkdir(path.dirname(destination), { recursive: true });
        await writeFile(partialPathFor(destination), model);
        await writeFile(
            partialInfoPathFor(destination),
            serialisePartialInfo({ version: 1, url, totalBytes: model.length, updatedAt: new Date().toISOString() }),
        );
        const result = await downloadModel(options());
        assert.equal(result.checksumVerified, true);
        await assertComplete();
        assert.equal(server.requests.length, 0);
    });

    it("discards a partial download of another file", async function () {
        await mkdir(path.dirname(destination), { recursive: true });
        await writeFile(partialPathFor(destination), Buffer.alloc(gateBytes, 1));
        await writeFile(partialInfoPathFor(destination), serialisePartialInfo({ version: 1, url: `${url}&other`, updatedAt: new Date().toISOString() }));
        const result = await downloadModel(options());
        assert.equal(result.resumedFromBytes, 0);
        await assertComplete();
        assert.equal(server.fileRequests[0].range, undefined);
    });

    it("resumes by itself when the connection drops mid-way", async function () {
        server.knobs.dropAfter = (response) => (response < 2 ? 100_000 : undefined);
        const result = await downloadModel(options({ retries: 3 }));
        await assertComplete();
        assert.equal(result.resumedFromBytes, 0);
        const requests = server.fileRequests;
        assert.equal(requests.length, 3, "two drops, two automatic resumes");
        assert.equal(requests[0].range, undefined);
        // Each resume asks for what is missing: at most what was sent, as the client may lose what it had buffered.
        let sent = requests[0].bodyBytesSent;
        let previous = 0;
        for (const request of requests.slice(1)) {
            const from = Number(/^bytes=(\d+)-$/.exec(request.range ?? "")?.[1]);
            assert.ok(from > previous && from <= sent, `resumed from ${from}, after ${sent} bytes sent`);
            assert.equal(request.status, 206);
            sent = from + request.bodyBytesSent;
            previous = from;
        }
        assert.equal(requests[2].bodyBytesSent, model.length - previous, "the last response brought exactly the rest");
    });

    it("gives up after the retries, keeping what arrived, when the connection keeps failing", async function () {
        const kept = 50_000;
        const gate = server.gate(kept);
        server.knobs.dropAfter = (response) => (response === 0 ? kept : 0);
        const progress = new ProgressLog();
        const download = downloadModel(options({ retries: 2, onProgress: progress.onProgress }));
        await gate.reached;
        await progress.reached(kept); // the client has the bytes: now drop the connection
        gate.open();
        const error = await downloadError(download, "network");
        assert.equal(error.partialBytes, kept);
        assert.match(
            error.message,
            /^The download of tiny-F16\.gguf from 127\.0\.0\.1:\d+ failed \(.+\), also after 2 retries\. Check the connection\. The 50 kB downloaded so far are kept: resume the download when the connection is back\.$/,
        );
        assert.equal(await sizeOf(partialPathFor(destination)), kept);
        assert.equal(await sizeOf(destination), undefined);
        assert.equal(server.fileRequests.length, 3, "the first request, then two retries that brought nothing");
        assert.deepEqual(
            server.fileRequests.slice(1).map((request) => request.range),
            [`bytes=${kept}-`, `bytes=${kept}-`],
        );
    });

    it("drops a stalled connection and resumes", async function () {
        server.gate(32 * 1024); // never opened: the first response stalls there
        const result = await downloadModel(options({ stallTimeoutMs: 300 }));
        await assertComplete();
        assert.equal(result.resumedFromBytes, 0);
        assert.deepEqual(
            server.fileRequests.map((request) => request.range),
            [undefined, `bytes=${32 * 1024}-`],
        );
    });

    it("deletes a download whose checksum is wrong, and says so", async function () {
        const error = await downloadError(downloadModel(options({ sha256: "0".repeat(64) })), "checksumMismatch");
        assert.match(error.message, /is damaged: its SHA-256 is [0-9a-f]{64}, but the published one is 0{64}\. Download it again/);
        assert.equal(error.partialBytes, 0);
        for (const file of [destination, partialPathFor(destination), partialInfoPathFor(destination)]) assert.equal(await sizeOf(file), undefined, file);
    });

    it("deletes a download that is not a GGUF model", async function () {
        const notGgufUrl = server.fileUrl("org", "Tiny-GGUF", "not-gguf.gguf");
        const error = await downloadError(downloadModel({ url: notGgufUrl, destination, retryDelayMs: 1 }), "notGguf");
        assert.match(
            error.message,
            /is not a GGUF model: it starts with "This is not a GG" instead of "GGUF"\. Check that the reference names a \.gguf model file/,
        );
        for (const file of [destination, partialPathFor(destination), partialInfoPathFor(destination)]) assert.equal(await sizeOf(file), undefined, file);
    });

    it("stops a web page at its first bytes instead of downloading it all", async function () {
        server.gate(16 * 1024); // never opened: only a rejection at the first chunk ends this download
        const error = await downloadError(downloadModel({ url: server.fileUrl("org", "Tiny-GGUF", "page.gguf"), destination }), "notGguf");
        assert.match(error.message, /web page/);
        assert.equal(await sizeOf(partialPathFor(destination)), undefined);
    });

    it("refuses a GGUF version llama.cpp cannot read", async function () {
        const error = await downloadError(downloadModel({ url: server.fileUrl("org", "Tiny-GGUF", "old-version.gguf"), destination }), "notGguf");
        assert.match(error.message, /GGUF version 1, and llama\.cpp reads versions 2 and 3/);
    });

    it("deletes a download of another size than published", async function () {
        const error = await downloadError(downloadModel(options({ sizeBytes: model.length + 10 })), "sizeMismatch");
        assert.match(error.message, /published size is \d+ bytes/);
        assert.equal(await sizeOf(partialPathFor(destination)), undefined);
    });

    it("says a missing file was not found, and leaves nothing behind", async function () {
        const missing = server.fileUrl("org", "Tiny-GGUF", "absent.gguf");
        const error = await downloadError(downloadModel({ url: missing, destination }), "notFound");
        assert.equal(
            error.message,
            `${missing} was not found (HTTP 404): check the reference — owner, repository, branch and file name must match the repository exactly.`,
        );
        assert.equal(error.status, 404);
        assert.equal(await sizeOf(path.dirname(destination)), undefined, "not even a folder");
    });

    it("says a refused download may need a token, and retries server errors before giving up", async function () {
        server.knobs.fileStatus = 403;
        assert.match((await downloadError(downloadModel(options()), "httpError")).message, /HTTP 403.*gated or private.*access token/);
        server.reset();
        server.knobs.fileStatus = 503;
        const error = await downloadError(downloadModel(options({ retries: 1 })), "httpError");
        assert.equal(error.status, 503);
        assert.match(
            error.message,
            /^127\.0\.0\.1:\d+ answered HTTP 503 Service Unavailable, also after 1 retry, so tiny-F16\.gguf could not be downloaded: try again later\.$/,
        );
        assert.equal(server.fileRequests.length, 2);
    });

    it("reports a full disk plainly, keeps what was written, and resumes once there is space", async function () {
        const error = await downloadError(downloadModel(options({ fileSystem: failingWrites("ENOSPC", 100_000) })), "diskFull");
        assert.equal(error.partialBytes, 100_000);
        assert.equal(await sizeOf(partialPathFor(destination)), 100_000);
        assert.equal(
            error.message,
            `Not enough disk space in ${path.dirname(destination)}: the model needs ${formatBytes(model.length - 100_000)} more; free some space and resume the download — the 100 kB already downloaded are kept.`,
        );
        const result = await downloadModel(options());
        assert.equal(result.resumedFromBytes, 100_000);
        await assertComplete();
    });

    it("refuses to start when the disk has less space than the download needs", async function () {
        const fileSystem: DownloadFileSystem = { ...nodeDownloadFileSystem, freeBytes: () => Promise.resolve(1000) };
        const error = await downloadError(downloadModel(options({ fileSystem })), "diskFull");
        assert.match(error.message, /^Not enough disk space in .*: the model needs \d+(\.\d)? kB more; free some space and resume the download\.$/);
        assert.equal(error.partialBytes, 0);
        assert.equal(await sizeOf(partialPathFor(destination)), undefined);
    });

    it("names the folder it may not write in", async function () {
        const fileSystem: DownloadFileSystem = {
            ...nodeDownloadFileSystem,
            mkdir: (folder) => Promise.reject(Object.assign(new Error(`EACCES: permission denied, mkdir '${folder}'`), { code: "EACCES", path: folder })),
        };
        const error = await downloadError(downloadModel(options({ fileSystem })), "permissionDenied");
        assert.equal(
            error.message,
            `Hearth is not allowed to write in ${path.dirname(path.dirname(destination))} (EACCES): check that folder's permissions, or that the disk is not read-only, then try again.`,
        );
        const writes = await downloadError(downloadModel(options({ fileSystem: failingWrites("EROFS", 0) })), "permissionDenied");
        assert.match(writes.message, new RegExp(`not allowed to write in ${path.dirname(destination).replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")} \\(EROFS\\)`));
    });

    it("runs one download per file at a time", async function () {
        const gate = server.gate(16 * 1024);
        const first = downloadModel(options());
        await gate.reached;
        const error = await downloadError(downloadModel(options()), "alreadyDownloading");
        assert.match(error.message, /already being downloaded/);
        gate.open();
        await first;
        await assertComplete();
    });

    it("refuses addresses it cannot download from, and relative destinations", async function () {
        await downloadError(downloadModel(options({ url: "file:///etc/passwd" })), "invalidReference");
        await assert.rejects(downloadModel(options({ destination: "relative/model.gguf" })), /absolute destination/);
        assert.deepEqual(await readdir(dir).then((names) => names.filter((name) => name.startsWith("relative"))), []);
    });
});

describe("GGUF header check", function () {
    const header = (magic: string, version: number): Buffer => {
        const bytes = Buffer.alloc(8);
        bytes.write(magic, 0, "latin1");
        bytes.writeUInt32LE(version, 4);
        return bytes;
    };

    it("accepts versions 2 and 3", function () {
        assert.equal(ggufHeaderProblem(header("GGUF", 3)), undefined);
        assert.equal(ggufHeaderProblem(header("GGUF", 2)), undefined);
    });

    it("says what the bytes are instead", function () {
        assert.match(ggufHeaderProblem(header("GGUF", 1)) ?? "", /version 1/);
        assert.match(ggufHeaderProblem(Buffer.from("version https://git-lfs.github.com/spec/v1\noid sha256:")) ?? "", /Git LFS pointer/);
        assert.match(ggufHeaderProblem(Buffer.from("  <html>")) ?? "", /web page/);
        assert.match(ggufHeaderProblem(Buffer.alloc(0)) ?? "", /empty/);
        assert.match(ggufHeaderProblem(Buffer.from("GGU")) ?? "", /instead of "GGUF"/);
    });
});

describe("download progress", function () {
    it("reports at most once per interval, always the last time, with a recent speed and the time left", function () {
        let now = 0;
        const reports: DownloadProgress[] = [];
        const meter = new ProgressMeter((progress) => reports.push(progress), { intervalMs: 100, windowMs: 1000, now: () => now });
        meter.restart(1000);
        meter.update(1000, 11_000, 1000);
        for (let step = 1; step <= 10; step++) {
            now = step * 50;
            meter.update(1000 + step * 500, 11_000, 1000); // 10 KB/s
        }
        assert.deepEqual(
            reports.map((report) => report.receivedBytes),
            [1000, 2000, 3000, 4000, 5000, 6000],
        );
        assert.equal(reports[5].bytesPerSecond, 10_000);
        assert.equal(reports[5].secondsLeft, 0.5);
        now = 2000;
        meter.update(6000, 11_000, 1000, true); // a second and a half without a byte: the window's average falls
        assert.equal(reports.length, 7);
        assert.ok(reports[6].bytesPerSecond < 10_000);
        assert.equal(reports[6].resumedFromBytes, 1000);
    });

    it("has no speed and no time left before bytes arrive, or without a total", function () {
        const reports: DownloadProgress[] = [];
        const meter = new ProgressMeter((progress) => reports.push(progress), { intervalMs: 0, now: () => 5 });
        meter.restart(0);
        meter.update(0, undefined, 0);
        meter.update(10, undefined, 0);
        assert.deepEqual(reports[0], { receivedBytes: 0, totalBytes: undefined, bytesPerSecond: 0, secondsLeft: undefined, resumedFromBytes: 0 });
        assert.ok(reports[1].bytesPerSecond > 0, "bytes within one clock tick still count");
        assert.equal(reports[1].secondsLeft, undefined);
    });
});
