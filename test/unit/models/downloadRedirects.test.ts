import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { serialisePartialInfo } from "../../../src/extension/models/downloadPartialInfo";
import { downloadModel, partialInfoPathFor, partialPathFor, type DownloadOptions } from "../../../src/extension/models/modelDownloader";
import { downloadError } from "./downloadAssertions";
import { sha256 } from "../../fixtures/modelServer";
import { ggufLikeBody, PacedServer } from "./pacedServer";

async function sizeOf(file: string): Promise<number | undefined> {
    return stat(file).then(
        (info) => info.size,
        () => undefined,
    );
}

describe("download redirects", function () {
    let dir: string;
    let server: PacedServer;
    let model: Buffer;
    let destination: string;
    let run = 0;

    before(async function () {
        dir = await mkdtemp(path.join(os.tmpdir(), "hearth-redirects-"));
        model = ggufLikeBody(256 * 1024);
        server = await PacedServer.start(model);
    });

    beforeEach(function () {
        destination = path.join(dir, `run-${++run}`, "models", "tiny.gguf");
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
            ...overrides,
        };
    }

    function refusal(scheme: string, target: string): string {
        return (
            `${new URL(server.url).host} redirected the download of tiny.gguf to ${scheme} URL (${target}), which Hearth refuses to follow: ` +
            "it downloads models over https and http only. If the hearth.models.huggingFaceEndpoint setting points to a mirror, check that mirror " +
            "(or clear the setting to download from huggingface.co); otherwise download the file yourself and choose it with Hearth: Choose Model…."
        );
    }

    const refused: readonly (readonly [location: string, scheme: string, target: string])[] = [
        ["ftp://mirror.example.org/models/tiny.gguf", "an ftp:", "ftp://mirror.example.org"],
        ["file:///etc/passwd", "a file:", "file:///etc/passwd"],
        ["data:application/octet-stream;base64,R0dVRgMAAAA=", "a data:", "data:application/octet-stream;base64,…"],
    ];

    for (const [location, scheme, target] of refused) {
        it(`refuses a redirect to ${scheme.split(" ")[1]} in plain words, at once, leaving nothing behind`, async function () {
            server.redirect = () => location;
            const error = await downloadError(downloadModel(options({ retries: 3 })), "httpError");
            assert.equal(error.message, refusal(scheme, target));
            assert.equal(error.status, 302);
            assert.equal(error.partialBytes, 0);
            assert.equal(server.requests.length, 1, "not retried as if the connection had failed");
            assert.equal(await sizeOf(path.dirname(destination)), undefined, "not even a folder");
        });
    }

    it("names the server that redirected, after a redirect it followed, and keeps a partial download", async function () {
        const kept = 100_000;
        await mkdir(path.dirname(destination), { recursive: true });
        await writeFile(partialPathFor(destination), model.subarray(0, kept));
        await writeFile(
            partialInfoPathFor(destination),
            serialisePartialInfo({ version: 1, url: options().url, totalBytes: model.length, updatedAt: new Date().toISOString() }),
        );
        server.redirect = (requested) => (requested.startsWith("/tiny.gguf") ? "/cdn/tiny.gguf" : "ftp://cdn.example.net/tiny.gguf");
        const error = await downloadError(downloadModel(options()), "httpError");
        assert.equal(error.message, refusal("an ftp:", "ftp://cdn.example.net"));
        assert.equal(error.partialBytes, kept);
        assert.equal(await sizeOf(partialPathFor(destination)), kept, "the partial download is kept");
        assert.deepEqual(
            server.requests.map((request) => [request.path, request.range]),
            [
                ["/tiny.gguf", `bytes=${kept}-`],
                ["/cdn/tiny.gguf", `bytes=${kept}-`],
            ],
        );

        server.reset(); // the server is fixed
        const result = await downloadModel(options());
        assert.equal(result.resumedFromBytes, kept);
        assert.ok((await readFile(destination)).equals(model));
    });

    it("keeps credentials on a redirect within the origin and drops them on one to another origin, as fetch does", async function () {
        const other = await PacedServer.start(model);
        try {
            server.redirect = (requested) =>
                requested.startsWith("/tiny.gguf") ? "/cdn/tiny.gguf" : requested.startsWith("/cdn/") ? `${other.url}/blob` : undefined;
            await downloadModel(options({ headers: { Authorization: "Bearer hf_test" } }));
            assert.ok((await readFile(destination)).equals(model));
            assert.deepEqual(
                server.requests.map((request) => [request.path, request.authorization]),
                [
                    ["/tiny.gguf", "Bearer hf_test"],
                    ["/cdn/tiny.gguf", "Bearer hf_test"],
                ],
            );
            assert.deepEqual(
                other.requests.map((request) => [request.path, request.authorization, request.status]),
                [["/blob", undefined, 200]],
            );
        } finally {
            await other.close();
        }
    });

    it("gives up on a redirect loop at once, saying so", async function () {
        server.redirect = () => "/loop";
        const error = await downloadError(downloadModel(options({ retries: 3 })), "httpError");
        assert.match(
            error.message,
            /^127\.0\.0\.1:\d+ redirected the download of tiny\.gguf more than 20 times, in a loop: check the hearth\.models\.huggingFaceEndpoint setting, or try again later\.$/,
        );
        assert.equal(server.requests.length, 21, "the request and 20 redirects followed, not retried");
    });
});
