import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { DownloadError } from "../../../src/extension/models/downloadError";
import { huggingFaceFileUrl, resolveHuggingFace } from "../../../src/extension/models/huggingFace";
import { parseModelReference, type HuggingFaceReference } from "../../../src/extension/models/modelReference";
import { ModelServer, sha256 } from "../../fixtures/modelServer";

function hfReference(raw: string): HuggingFaceReference {
    const reference = parseModelReference(raw);
    assert.ok(reference.kind !== "file", raw);
    return reference;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

async function rejectsWith(promise: Promise<unknown>, kind: DownloadError["kind"], message: RegExp): Promise<DownloadError> {
    let caught: unknown;
    try {
        await promise;
    } catch (error) {
        caught = error;
    }
    assert.ok(caught instanceof DownloadError, `expected a DownloadError, got ${String(caught)}`);
    assert.equal(caught.kind, kind, caught.message);
    assert.match(caught.message, message);
    return caught;
}

describe("resolving Hugging Face references", function () {
    let server: ModelServer;
    const model = Buffer.from("GGUF\u0003\u0000\u0000\u0000 a stand-in for a model; resolving never downloads it");
    const other = Buffer.from("GGUF\u0003\u0000\u0000\u0000 another file");

    before(async function () {
        server = await ModelServer.start();
        server.addFile({ owner: "org", repo: "Model-GGUF", path: "model-Q4_K_M.gguf", body: model });
        server.addFile({ owner: "org", repo: "Model-GGUF", path: "model-Q8_0.gguf", body: other });
        server.addFile({ owner: "org", repo: "Model-GGUF", path: "sub dir/model-F16.gguf", body: other, branch: "refs/pr/1" });
        server.addFile({ owner: "org", repo: "Model-GGUF", path: "small.gguf", body: other, lfs: false });
        server.addManifest({
            owner: "org",
            repo: "Model-GGUF",
            tag: "Q4_K_M",
            rfilename: "model-Q4_K_M.gguf",
            size: model.length,
            blobId: `sha256:${sha256(model)}`,
        });
        server.addManifest({ owner: "org", repo: "Model-GGUF", tag: "latest", rfilename: "model-Q8_0.gguf", size: other.length });
        server.addManifest({ owner: "org", repo: "Model-GGUF", tag: "Q2_K", rfilename: "split/model-Q2_K-00001-of-00003.gguf", size: 10 });
        server.addManifest({ owner: "org", repo: "Model-GGUF", tag: "evil", rfilename: "../../outside.gguf" });
    });

    afterEach(function () {
        server.reset();
    });

    after(async function () {
        await server.close();
    });

    it("resolves a quantisation tag through the manifest API, with the checksum from its blobId", async function () {
        const resolved = await resolveHuggingFace(hfReference("hf:org/Model-GGUF:q4_k_m"), { endpoint: server.url });
        assert.deepEqual(resolved, {
            uri: "hf:org/Model-GGUF:Q4_K_M",
            owner: "org",
            repo: "Model-GGUF",
            branch: "main",
            file: "model-Q4_K_M.gguf",
            url: `${server.url}/org/Model-GGUF/resolve/main/model-Q4_K_M.gguf?download=true`,
            sizeBytes: model.length,
            sha256: sha256(model),
        });
        assert.deepEqual(
            server.requests.map((request) => [request.url, request.userAgent]),
            [["/v2/org/Model-GGUF/manifests/Q4_K_M", "llama-cpp"]],
        );
        assert.equal(server.requests[0].authorization, undefined, "no token, no Authorization header");
    });

    it("takes the checksum from the tree API when the manifest has no blobId", async function () {
        const resolved = await resolveHuggingFace(hfReference("hf:org/Model-GGUF"), { endpoint: `${server.url}/` });
        assert.equal(resolved.file, "model-Q8_0.gguf");
        assert.equal(resolved.sha256, sha256(other));
        assert.equal(resolved.sizeBytes, other.length);
        assert.deepEqual(
            server.requests.map((request) => request.url),
            ["/v2/org/Model-GGUF/manifests/latest", "/api/models/org/Model-GGUF/tree/main"],
        );
    });

    it("says plainly when a quantisation does not exist", async function () {
        await rejectsWith(
            resolveHuggingFace(hfReference("hf:org/Model-GGUF:Q3_K_S"), { endpoint: server.url }),
            "notFound",
            /no quantisation "Q3_K_S" in org\/Model-GGUF.*check the repository name and the tag/,
        );
        await rejectsWith(resolveHuggingFace(hfReference("hf:org/Missing"), { endpoint: server.url }), "notFound", /no default quantisation in org\/Missing/);
    });

    it("refuses split models, and file names from the server that would leave the models folder", async function () {
        await rejectsWith(
            resolveHuggingFace(hfReference("hf:org/Model-GGUF:Q2_K"), { endpoint: server.url }),
            "invalidReference",
            /split into 3 files.*cannot download yet/,
        );
        await rejectsWith(resolveHuggingFace(hfReference("hf:org/Model-GGUF:evil"), { endpoint: server.url }), "invalidReference", /unusable file.*"\.\."/);
    });

    it("says the repository may be gated when the Hub refuses access, and sends the token when there is one", async function () {
        server.knobs.manifestStatus = 401;
        await rejectsWith(
            resolveHuggingFace(hfReference("hf:org/Model-GGUF:Q4_K_M"), { endpoint: server.url, token: "hf_secret" }),
            "httpError",
            /gated or private.*access token/,
        );
        assert.equal(server.requests[0].authorization, "Bearer hf_secret");
    });

    it("resolves a file reference, with size and SHA-256 of its LFS object from the tree API", async function () {
        const resolved = await resolveHuggingFace(hfReference("hf:org/Model-GGUF/model-Q4_K_M.gguf"), { endpoint: server.url });
        assert.equal(resolved.url, `${server.url}/org/Model-GGUF/resolve/main/model-Q4_K_M.gguf?download=true`);
        assert.equal(resolved.sha256, sha256(model));
        assert.equal(resolved.sizeBytes, model.length, "the LFS object's size, not the pointer's");
        assert.equal(resolved.checksumNote, undefined);
    });

    it("encodes branch and path segments, and lists the file's folder on that branch", async function () {
        const resolved = await resolveHuggingFace(hfReference("hf:org/Model-GGUF/sub dir/model-F16.gguf#refs/pr/1"), { endpoint: server.url });
        assert.equal(resolved.url, `${server.url}/org/Model-GGUF/resolve/refs%2Fpr%2F1/sub%20dir/model-F16.gguf?download=true`);
        assert.equal(resolved.url, huggingFaceFileUrl(server.url, "org", "Model-GGUF", "refs/pr/1", "sub dir/model-F16.gguf"));
        assert.deepEqual(
            server.requests.map((request) => request.url),
            ["/api/models/org/Model-GGUF/tree/refs%2Fpr%2F1/sub%20dir"],
        );
        assert.equal(resolved.sha256, sha256(other));
    });

    it("follows the tree API's pages", async function () {
        server.knobs.treePageSize = 1;
        const resolved = await resolveHuggingFace(hfReference("hf:org/Model-GGUF/small.gguf"), { endpoint: server.url });
        assert.equal(resolved.sizeBytes, other.length);
        assert.ok(server.requests.length >= 2, "more than one page was read");
        assert.match(server.requests[1].url, /cursor=/);
    });

    it("resolves without a checksum, and says why, when the tree API is missing or the file is not in Git LFS", async function () {
        server.knobs.treeStatus = 404;
        const withoutApi = await resolveHuggingFace(hfReference("hf:org/Model-GGUF/model-Q4_K_M.gguf"), { endpoint: server.url });
        assert.equal(withoutApi.sha256, undefined);
        assert.equal(withoutApi.sizeBytes, undefined);
        assert.match(withoutApi.checksumNote ?? "", /HTTP 404.*checked for size and format only/);
        server.reset();
        const notLfs = await resolveHuggingFace(hfReference("hf:org/Model-GGUF/small.gguf"), { endpoint: server.url });
        assert.equal(notLfs.sha256, undefined);
        assert.equal(notLfs.sizeBytes, other.length);
        assert.match(notLfs.checksumNote ?? "", /not stored with Git LFS/);
        const unlisted = await resolveHuggingFace(hfReference("hf:org/Model-GGUF/absent.gguf"), { endpoint: server.url });
        assert.match(unlisted.checksumNote ?? "", /does not list absent\.gguf/);
    });

    it("says what to check when the endpoint cannot be reached, or is not an address", async function () {
        const endpoint = `http://127.0.0.1:${await closedPort()}`;
        await rejectsWith(
            resolveHuggingFace(hfReference("hf:org/Model-GGUF:Q4_K_M"), { endpoint }),
            "network",
            /Could not reach http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*hearth\.models\.huggingFaceEndpoint setting/,
        );
        await rejectsWith(
            resolveHuggingFace(hfReference("hf:org/Model-GGUF:Q4_K_M"), { endpoint: "ftp://mirror" }),
            "invalidReference",
            /hearth\.models\.huggingFaceEndpoint setting/,
        );
    });

    it("stops when cancelled", async function () {
        const controller = new AbortController();
        controller.abort();
        await rejectsWith(
            resolveHuggingFace(hfReference("hf:org/Model-GGUF:Q4_K_M"), { endpoint: server.url, signal: controller.signal }),
            "cancelled",
            /cancelled/,
        );
        const file = await rejectsWith(
            resolveHuggingFace(hfReference("hf:org/Model-GGUF/model-Q4_K_M.gguf"), { endpoint: server.url, signal: controller.signal }),
            "cancelled",
            /cancelled/,
        );
        assert.equal(file.kind, "cancelled", "a cancel is not mistaken for a missing tree API");
    });
});
