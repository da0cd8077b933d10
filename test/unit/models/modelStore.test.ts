import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { ResolvedDownload } from "../../../src/extension/models/huggingFace";
import { partialInfoPathFor, partialPathFor } from "../../../src/extension/models/modelDownloader";
import { parseModelReference, type HuggingFaceReference } from "../../../src/extension/models/modelReference";
import { ensureDownloaded, ModelStore, safeSegment } from "../../../src/extension/models/modelStore";
import { writeTinyModel } from "../../fixtures/gguf";
import { ModelServer, sha256 } from "../../fixtures/modelServer";
import { downloadError } from "./downloadAssertions";

function hfReference(raw: string): HuggingFaceReference {
    const reference = parseModelReference(raw);
    assert.ok(reference.kind !== "file", raw);
    return reference;
}

async function exists(file: string): Promise<boolean> {
    return stat(file).then(
        () => true,
        () => false,
    );
}

/** Every file under `dir`, relative and "/"-separated, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
        .sort();
}

describe("the models folder", function () {
    let dir: string;
    let server: ModelServer;
    let model: Buffer;
    let other: Buffer;
    let run = 0;
    /** A fresh temporary folder per test, holding nothing but `models/`. */
    let home: string;
    let store: ModelStore;

    before(async function () {
        dir = await mkdtemp(path.join(os.tmpdir(), "hearth-store-"));
        await writeTinyModel(path.join(dir, "tiny.gguf"));
        await writeTinyModel(path.join(dir, "other.gguf"), { seed: 2 });
        model = await readFile(path.join(dir, "tiny.gguf"));
        other = await readFile(path.join(dir, "other.gguf"));
        assert.notEqual(sha256(model), sha256(other));
        server = await ModelServer.start();
        server.addFile({ owner: "org", repo: "Tiny-GGUF", path: "tiny-F16.gguf", body: model });
        server.addFile({ owner: "org", repo: "Tiny-GGUF", path: "quants/tiny-Q8_0.gguf", body: other });
        server.addFile({ owner: "org", repo: "Tiny-GGUF", path: "tampered.gguf", body: model, publishedSha256: sha256(other) });
        server.addFile({ owner: "org", repo: "Tiny-GGUF", path: "half/tiny.gguf", body: model });
        server.addManifest({ owner: "org", repo: "Tiny-GGUF", tag: "F16", rfilename: "tiny-F16.gguf", size: model.length, blobId: `sha256:${sha256(model)}` });
        server.addManifest({ owner: "org", repo: "Tiny-GGUF", tag: "Q8_0", rfilename: "quants/tiny-Q8_0.gguf", size: other.length });
    });

    beforeEach(async function () {
        home = path.join(dir, `home-${++run}`);
        await mkdir(home);
        store = new ModelStore(path.join(home, "models"));
    });

    afterEach(function () {
        server.reset();
    });

    after(async function () {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    });

    const endpoint = (): string => server.url;

    it("lays files out by owner, repository and path, every name made safe, always inside the root", function () {
        const at = (owner: string, repo: string, file: string, branch = "main"): string =>
            path.relative(store.root, store.destinationFor({ owner, repo, file, branch })).split(path.sep).join("/");
        assert.equal(at("org", "Tiny-GGUF", "tiny.gguf"), "hf/org/Tiny-GGUF/tiny.gguf");
        assert.equal(at("org", "Tiny-GGUF", "sub dir/tiny.gguf", "refs/pr/1"), "hf/org/Tiny-GGUF@refs%2Fpr%2F1/sub%20dir/tiny.gguf");
        assert.equal(at("org", "r", "con.gguf"), "hf/org/r/%63on.gguf");
        assert.equal(at("org", "r", "a:b*c?.gguf"), "hf/org/r/a%3Ab%2Ac%3F.gguf");
        // Even a reference no parser would let through cannot step out.
        assert.equal(at("..", "..", "../../x.gguf"), "hf/%2E%2E/%2E%2E/%2E%2E/%2E%2E/x.gguf");
        assert.equal(safeSegment("name."), "name%2E");
        assert.equal(safeSegment("100%"), "100%25");
        assert.notEqual(safeSegment("a b"), safeSegment("a%20b"), "different names stay different");
    });

    it("downloads a quantisation tag once, records it, and finds it afterwards without the network", async function () {
        const reference = hfReference("hf:org/Tiny-GGUF:f16");
        const resolvedSeen: ResolvedDownload[] = [];
        const first = await ensureDownloaded(store, reference, {
            endpoint: endpoint(),
            progressIntervalMs: 0,
            onResolved: (resolved) => resolvedSeen.push(resolved),
        });
        const expectedPath = path.join(store.root, "hf", "org", "Tiny-GGUF", "tiny-F16.gguf");
        assert.deepEqual(
            { path: first.path, downloaded: first.downloaded, checksumVerified: first.checksumVerified, sha256: first.sha256, sizeBytes: first.sizeBytes },
            { path: expectedPath, downloaded: true, checksumVerified: true, sha256: sha256(model), sizeBytes: model.length },
        );
        assert.equal(resolvedSeen[0]?.uri, "hf:org/Tiny-GGUF:F16");
        assert.ok((await readFile(first.path)).equals(model));
        assert.equal(await store.find(reference), expectedPath);

        const requests = server.requests.length;
        const again = await ensureDownloaded(new ModelStore(store.root), reference, { endpoint: "http://127.0.0.1:9" });
        assert.deepEqual([again.path, again.downloaded, again.checksumVerified], [expectedPath, false, true]);
        assert.equal(server.requests.length, requests, "no request: the index knew the file");
    });

    it("downloads a file reference with its checksum from the tree API, and without one when the API is missing", async function () {
        const withChecksum = await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/tiny-F16.gguf"), { endpoint: endpoint() });
        assert.equal(withChecksum.checksumVerified, true);
        server.knobs.treeStatus = 404;
        const notes: string[] = [];
        const without = await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/quants/tiny-Q8_0.gguf"), {
            endpoint: endpoint(),
            onResolved: (resolved) => notes.push(resolved.checksumNote ?? ""),
        });
        assert.deepEqual([without.downloaded, without.checksumVerified], [true, false]);
        assert.match(notes[0], /HTTP 404/);
        assert.ok((await readFile(without.path)).equals(other));
        assert.equal(await store.find(hfReference("hf:org/Tiny-GGUF/quants/tiny-Q8_0.gguf")), without.path);
    });

    it("deletes a download whose published checksum does not match, leaving nothing to load", async function () {
        const reference = hfReference("hf:org/Tiny-GGUF/tampered.gguf");
        await downloadError(ensureDownloaded(store, reference, { endpoint: endpoint() }), "checksumMismatch");
        assert.equal(await store.find(reference), undefined);
        assert.deepEqual(await store.list(), []);
        assert.deepEqual(await store.partials(), []);
        assert.deepEqual(await readdir(store.root).catch(() => []), [], "not even an empty folder");
    });

    it("keeps a cancelled download as a partial that is never found as a model, and resumes it after a restart", async function () {
        const reference = hfReference("hf:org/Tiny-GGUF:F16");
        const gate = server.gate(64 * 1024);
        const controller = new AbortController();
        let reached!: () => void;
        const halfWay = new Promise<void>((resolve) => (reached = resolve));
        const download = ensureDownloaded(store, reference, {
            endpoint: endpoint(),
            signal: controller.signal,
            progressIntervalMs: 0,
            onProgress: (progress) => {
                if (progress.receivedBytes >= 64 * 1024) reached();
            },
        });
        await gate.reached;
        await halfWay;
        controller.abort();
        await downloadError(download, "cancelled");
        gate.open();

        const destination = store.destinationFor({ owner: "org", repo: "Tiny-GGUF", branch: "main", file: "tiny-F16.gguf" });
        assert.equal(await store.find(reference), undefined, "a partial download is not a model");
        assert.equal(await store.find(hfReference("hf:org/Tiny-GGUF/tiny-F16.gguf")), undefined);
        assert.equal(await exists(destination), false);
        assert.deepEqual(await store.list(), []);
        assert.deepEqual(await store.partials(), [{ path: destination, uri: "hf:org/Tiny-GGUF:F16", receivedBytes: 64 * 1024, totalBytes: model.length }]);

        // VS Code restarts: new objects, the same folder.
        const restarted = new ModelStore(store.root);
        const result = await ensureDownloaded(restarted, reference, { endpoint: endpoint() });
        assert.deepEqual([result.downloaded, result.resumedFromBytes, result.checksumVerified], [true, 64 * 1024, true]);
        assert.equal(server.fileRequests.at(-1)?.range, `bytes=${64 * 1024}-`);
        assert.deepEqual(await restarted.partials(), []);
        assert.ok((await readFile(result.path)).equals(model));
    });

    it("shares one file between a quantisation tag and the file's own reference", async function () {
        const byFile = await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/tiny-F16.gguf"), { endpoint: endpoint() });
        const downloads = server.fileRequests.length;
        const byTag = await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF:F16"), { endpoint: endpoint() });
        assert.deepEqual([byTag.path, byTag.downloaded, byTag.checksumVerified], [byFile.path, false, true]);
        assert.equal(server.fileRequests.length, downloads, "the file was not downloaded twice");
        const [listed] = await store.list();
        assert.deepEqual([...listed.uris].sort(), ["hf:org/Tiny-GGUF/tiny-F16.gguf", "hf:org/Tiny-GGUF:F16"]);
    });

    it("lists models and partial downloads with their sizes, and counts the disk they use", async function () {
        const a = await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF:F16"), { endpoint: endpoint() });
        const b = await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/quants/tiny-Q8_0.gguf"), { endpoint: endpoint() });
        const partialDestination = store.destinationFor({ owner: "org", repo: "Other", branch: "main", file: "half.gguf" });
        await mkdir(path.dirname(partialDestination), { recursive: true });
        await writeFile(partialPathFor(partialDestination), Buffer.alloc(1000));

        const listed = await store.list();
        assert.deepEqual(
            listed.map((entry) => [entry.path, entry.fileName, entry.sizeBytes, entry.uri, entry.checksumVerified]),
            [
                [a.path, "tiny-F16.gguf", model.length, "hf:org/Tiny-GGUF:F16", true],
                [b.path, "tiny-Q8_0.gguf", other.length, "hf:org/Tiny-GGUF/quants/tiny-Q8_0.gguf", true],
            ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        );
        assert.ok(listed.every((entry) => entry.downloadedAt !== undefined && !Number.isNaN(Date.parse(entry.downloadedAt))));
        assert.deepEqual(await store.partials(), [{ path: partialDestination, receivedBytes: 1000 }]);

        const index = (await stat(path.join(store.root, "index.json"))).size;
        assert.equal(await store.usage(), model.length + other.length + 1000 + index);
    });

    it("deletes a model with its index entries and empty folders, and a partial download with its description", async function () {
        const reference = hfReference("hf:org/Tiny-GGUF:Q8_0");
        const kept = await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF:F16"), { endpoint: endpoint() });
        const removed = await ensureDownloaded(store, reference, { endpoint: endpoint() });
        await store.delete(removed.path);
        assert.equal(await exists(removed.path), false);
        assert.equal(await exists(path.dirname(removed.path)), false, "its emptied folder went too");
        assert.equal(await store.find(reference), undefined, "its index entry went too");
        assert.equal(await exists(kept.path), true);
        assert.equal(await store.find(hfReference("hf:org/Tiny-GGUF:F16")), kept.path);

        const half = store.destinationFor({ owner: "org", repo: "Half", branch: "main", file: "half.gguf" });
        await mkdir(path.dirname(half), { recursive: true });
        await writeFile(partialPathFor(half), "x");
        await writeFile(partialInfoPathFor(half), "{}");
        await store.delete(partialPathFor(half));
        assert.deepEqual(await store.partials(), []);
        assert.equal(await exists(path.join(store.root, "hf", "org", "Half")), false);

        await store.delete(kept.path);
        assert.deepEqual(await filesUnder(store.root), ["index.json"]);
        assert.deepEqual(JSON.parse(await readFile(path.join(store.root, "index.json"), "utf8")), { version: 1, models: {} });
        assert.equal(await exists(store.root), true, "the root itself stays");
    });

    it("refuses to delete anything outside the models folder", async function () {
        const outside = path.join(home, "precious.gguf");
        await writeFile(outside, "keep me");
        await mkdir(store.root, { recursive: true });
        for (const target of [outside, path.join(store.root, "..", "precious.gguf"), store.root, path.join(store.root, "hf", "..", "..", "precious.gguf")]) {
            await assert.rejects(store.delete(target), /only deletes files in its models folder|not a model file/, target);
        }
        assert.equal(await readFile(outside, "utf8"), "keep me");
    });

    it("forgets a damaged index instead of failing", async function () {
        await mkdir(store.root, { recursive: true });
        await writeFile(path.join(store.root, "index.json"), "{ not json");
        assert.equal(await store.find(hfReference("hf:org/Tiny-GGUF:F16")), undefined);
        const result = await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF:F16"), { endpoint: endpoint() });
        assert.equal(await store.find(hfReference("hf:org/Tiny-GGUF:F16")), result.path);
    });

    it("touches nothing outside the models folder", async function () {
        await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF:F16"), { endpoint: endpoint(), progressIntervalMs: 0 });
        server.knobs.redirectToCdn = true;
        await ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/quants/tiny-Q8_0.gguf"), { endpoint: endpoint() });
        server.reset();
        await downloadError(ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/tampered.gguf"), { endpoint: endpoint() }), "checksumMismatch");
        await downloadError(ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/absent.gguf"), { endpoint: endpoint() }), "notFound");
        await downloadError(ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/tiny-F16.gguf#dev"), { endpoint: endpoint() }), "notFound");
        const gate = server.gate(16 * 1024);
        const controller = new AbortController();
        let reached!: () => void;
        const arrived = new Promise<void>((resolve) => (reached = resolve));
        const cancelled = ensureDownloaded(store, hfReference("hf:org/Tiny-GGUF/half/tiny.gguf"), {
            endpoint: endpoint(),
            signal: controller.signal,
            progressIntervalMs: 0,
            onProgress: (progress) => {
                if (progress.receivedBytes >= 16 * 1024) reached();
            },
        });
        await gate.reached;
        await arrived;
        controller.abort();
        await downloadError(cancelled, "cancelled");
        gate.open();

        assert.deepEqual(await readdir(home), ["models"]);
        assert.deepEqual(await filesUnder(store.root), [
            "hf/org/Tiny-GGUF/half/tiny.gguf.partial",
            "hf/org/Tiny-GGUF/half/tiny.gguf.partial.json",
            "hf/org/Tiny-GGUF/quants/tiny-Q8_0.gguf",
            "hf/org/Tiny-GGUF/tiny-F16.gguf",
            "index.json",
        ]);
        const folders = (await readdir(store.root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isDirectory());
        for (const folder of folders) {
            const inside = path.join(folder.parentPath, folder.name);
            assert.notDeepEqual(await readdir(inside), [], `${inside} is not left empty`);
        }
    });
});
