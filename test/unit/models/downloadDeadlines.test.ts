import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import {
    defaultOverallTimeoutMs,
    defaultStallMinBytes,
    defaultStallTimeoutMs,
    downloadModel,
    partialInfoPathFor,
    partialPathFor,
    type DownloadOptions,
} from "../../../src/extension/models/modelDownloader";
import { downloadError } from "./downloadAssertions";
import { sha256 } from "../../fixtures/modelServer";
import { ggufLikeBody, PacedServer, type PacedRequest } from "./pacedServer";
import { formatBytes, formatDuration } from "../../../src/common/units";

async function sizeOf(file: string): Promise<number | undefined> {
    return stat(file).then(
        (info) => info.size,
        () => undefined,
    );
}

/** Where a request resumed from: the N of `bytes=N-`, or 0 for a request without Range. */
function rangeStart(request: PacedRequest): number {
    return request.range === undefined ? 0 : Number(/^bytes=(\d+)-$/.exec(request.range)?.[1]);
}

function escaped(text: string): string {
    return text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

const MiB = 1024 * 1024;

/**
 * The deadlines are made small here (a 200 ms idle window asking for 1 KB, an overall deadline
 * under 2 s), and the server's pace far from both, so the assertions are on what happened
 * (which deadline, how many requests, which bytes are kept), never on how long it took.
 */
describe("download deadlines", function () {
    let dir: string;
    let server: PacedServer;
    /** A GGUF header and 2 MiB of noise: the downloader checks the header, size and checksum only. */
    let model: Buffer;
    let destination: string;
    let run = 0;

    before(async function () {
        dir = await mkdtemp(path.join(os.tmpdir(), "hearth-deadlines-"));
        model = ggufLikeBody(2 * MiB);
        server = await PacedServer.start(model);
    });

    beforeEach(function () {
        destination = path.join(dir, `run-${++run}`, "tiny.gguf");
    });

    afterEach(function () {
        server.reset();
    });

    after(async function () {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    });

    function options(overrides: Partial<DownloadOptions> = {}): DownloadOptions {
        return {
            url: `${server.url}/tiny.gguf`,
            destination,
            sizeBytes: model.length,
            sha256: sha256(model),
            retryDelayMs: 1,
            progressIntervalMs: 0,
            stallTimeoutMs: 200,
            stallMinBytes: 1024,
            ...overrides,
        };
    }

    async function assertComplete(): Promise<void> {
        assert.ok((await readFile(destination)).equals(model), "the file is byte for byte the served one");
        assert.equal(await sizeOf(partialPathFor(destination)), undefined, "no .partial left");
        assert.equal(await sizeOf(partialInfoPathFor(destination)), undefined, "no .partial.json left");
    }

    /** Asserts the partial download is kept as the error says, and returns its size. */
    async function assertKept(partialBytes: number): Promise<number> {
        const kept = await sizeOf(partialPathFor(destination));
        assert.equal(kept, partialBytes, "the error says what the .partial holds");
        assert.ok(partialBytes > 0 && partialBytes < model.length, `some bytes, not all (${partialBytes})`);
        assert.ok((await sizeOf(partialInfoPathFor(destination))) !== undefined, "the .partial.json is kept for the resume");
        assert.equal(await sizeOf(destination), undefined, "nothing at the destination");
        return partialBytes;
    }

    /** Downloads again from a server that now sends at full speed, and checks it resumed at `kept`. */
    async function assertResumesFrom(kept: number): Promise<void> {
        server.reset();
        const result = await downloadModel(options());
        assert.equal(result.resumedFromBytes, kept);
        await assertComplete();
        assert.deepEqual(
            server.fileRequests.map((request) => [request.range, request.status, request.bodyBytesSent]),
            [[`bytes=${kept}-`, 206, model.length - kept]],
        );
    }

    it("ends a trickle with the idle-deadline error once the retries are spent, and keeps every byte for a resume", async function () {
        server.pace = () => ({ bytes: 1, everyMs: 5 }); // some 40 bytes a window, far under the 1 KB asked for
        const error = await downloadError(downloadModel(options({ retries: 2 })), "network");
        assert.equal(error.deadline, "idle");
        const kept = await assertKept(error.partialBytes);
        assert.match(
            error.message,
            new RegExp(
                "^The download of tiny\\.gguf from 127\\.0\\.0\\.1:\\d+ stalled: only \\d+ bytes arrived in the last 200 ms, less than the 1 kB the idle deadline asks for, also after 2 retries\\. " +
                    `The ${kept} bytes of ${escaped(formatBytes(model.length))} downloaded so far are kept\\. ` +
                    "Check the connection, or the mirror if the hearth\\.models\\.huggingFaceEndpoint setting points to one, then resume the download\\.$",
            ),
        );

        const requests = server.fileRequests;
        assert.equal(requests.length, 3, "the first request and two retries: trickled bytes are no progress that earns more retries");
        const starts = requests.map(rangeStart);
        for (let i = 1; i < starts.length; i++) {
            assert.ok(starts[i] > starts[i - 1], `each retry resumes after what the previous one brought (${starts.join(", ")})`);
            assert.ok(starts[i] - starts[i - 1] <= requests[i - 1].bodyBytesSent);
        }
        assert.ok(kept > starts[2] && kept < 3 * 1024, `no attempt brought the 1 KB minimum (${kept} bytes in all)`);

        await assertResumesFrom(kept);
    });

    it("drops a trickling connection and resumes at full speed, as after any stall", async function () {
        server.pace = (response) => (response === 0 ? { bytes: 1, everyMs: 5 } : undefined);
        const result = await downloadModel(options());
        await assertComplete();
        assert.equal(result.resumedFromBytes, 0);
        const [first, second] = server.fileRequests;
        assert.equal(server.fileRequests.length, 2);
        assert.equal(first.range, undefined);
        const from = rangeStart(second);
        assert.ok(from > 0 && from <= first.bodyBytesSent, `resumed from ${from}, after ${first.bodyBytesSent} bytes sent`);
        assert.equal(second.bodyBytesSent, model.length - from, "the retry brought exactly the rest");
    });

    it("ends a download that passes the idle check but cannot finish in time with the overall-deadline error, and resumes it later", async function () {
        server.pace = () => ({ bytes: 1024, everyMs: 10 }); // some 20 KB a window: never idle, and 2 MiB would take 20 s
        const error = await downloadError(downloadModel(options({ overallTimeoutMs: 800 })), "network");
        assert.equal(error.deadline, "overall");
        const kept = await assertKept(error.partialBytes);
        assert.match(
            error.message,
            new RegExp(
                `^The download of tiny\\.gguf from 127\\.0\\.0\\.1:\\d+ passed its overall deadline: in [^,]+, ${escaped(formatBytes(kept))} arrived\\. ` +
                    `The ${escaped(formatBytes(kept))} of ${escaped(formatBytes(model.length))} downloaded so far are kept\\. ` +
                    "Resume the download to continue; if it stays this slow, check the connection, or the mirror if the hearth\\.models\\.huggingFaceEndpoint setting points to one\\.$",
            ),
        );
        assert.equal(server.fileRequests.length, 1, "a passed overall deadline is not retried");
        assert.ok(kept <= server.fileRequests[0].bodyBytesSent);

        await assertResumesFrom(kept);
    });

    it("counts the overall deadline across retries, which go on as long as each attempt brings the idle minimum", async function () {
        server.pace = () => ({ bytes: 1024, everyMs: 20 });
        server.dropAfter = () => 3 * 1024; // every response: 3 KB, then the connection drops
        const error = await downloadError(downloadModel(options({ retries: 1, overallTimeoutMs: 1000 })), "network");
        assert.equal(error.deadline, "overall");
        const kept = await assertKept(error.partialBytes);
        const starts = server.fileRequests.map(rangeStart);
        assert.ok(starts.length >= 3, `more attempts than 1 + 1 retry, as each one advanced (${starts.length})`);
        for (let i = 1; i < starts.length; i++) assert.ok(starts[i] > starts[i - 1], `each attempt resumes after the previous one (${starts.join(", ")})`);
        assert.ok(kept >= starts[starts.length - 1]);
    });

    it("cuts the wait before a retry short when the overall deadline comes first", async function () {
        server.dropAfter = () => 64 * 1024;
        const error = await downloadError(downloadModel(options({ retryDelayMs: 600_000, overallTimeoutMs: 300 })), "network");
        assert.equal(error.deadline, "overall");
        assert.equal(server.fileRequests.length, 1, "no retry: the deadline passed during the wait before it");
        assert.equal(error.partialBytes, await sizeOf(partialPathFor(destination)));
    });

    it("by default never stalls nor times out a slow but real connection of 64 KiB/s, and cuts a trickle off", function () {
        const slow = 64 * 1024;
        assert.ok(slow * (defaultStallTimeoutMs / 1000) >= 10 * defaultStallMinBytes, "64 KiB/s brings ten times the idle minimum in a window");
        assert.ok(defaultStallMinBytes > 6 * 1024, "one byte every ten seconds does not keep a connection alive, nor does 100 bytes/s");
        assert.ok(defaultStallMinBytes / (defaultStallTimeoutMs / 1000) > 100);
        for (const size of [1 * MiB, 500 * MiB, 4 * 1024 * MiB, 40 * 1024 * MiB]) {
            assert.ok(
                defaultOverallTimeoutMs(size) >= 2 * (size / slow) * 1000,
                `a ${formatBytes(size)} download at 64 KiB/s takes at most half the overall deadline`,
            );
        }
        assert.equal(defaultOverallTimeoutMs(undefined), 6 * 60 * 60_000, "six hours when the size is not known");
        assert.equal(defaultOverallTimeoutMs(1 * MiB), 6 * 60 * 60_000);
    });

    it("words the deadlines in the unit that reads best", function () {
        const durations = [250, 45_000, 90 * 60_000, 2.5 * 60 * 60_000, defaultOverallTimeoutMs(4 * 1024 * MiB)];
        assert.deepEqual(durations.map(formatDuration), ["250 ms", "45 s", "90 min", "2.5 h", "36 h"]);
    });
});
