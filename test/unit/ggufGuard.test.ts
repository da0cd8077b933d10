import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { EngineError } from "../../src/sidecar/engineError";
import { checkGgufStructure, ggufGuardLimits, type GgufGuardReport, type GgufGuardWork } from "../../src/sidecar/ggufGuard";
import { tensorByteSize } from "../../src/sidecar/ggmlTypeSizes";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { encodeGguf, hostileBase, hostileModels, parseGguf, raw, writeHostileBase, type RawGguf } from "../fixtures/gguf/hostileModels";

const KiB = 1024;
const MiB = 1024 * KiB;

async function guard(file: string): Promise<GgufGuardReport> {
    return checkGgufStructure(file, (await stat(file)).size);
}

/** The guard's error for a file it must refuse, and the work it did to refuse it. */
async function refusal(file: string): Promise<{ error: EngineError; work: GgufGuardWork }> {
    const work: GgufGuardWork = { bytesRead: -1, reads: -1, valuesScanned: -1 };
    try {
        const report = await checkGgufStructure(file, (await stat(file)).size, work);
        assert.fail(`the guard passed ${path.basename(file)}: ${JSON.stringify(report)}`);
    } catch (error) {
        if (!(error instanceof EngineError)) throw error;
        return { error, work };
    }
}

describe("GGUF guard", function () {
    let dir: string;
    let fixtures: FixturePaths;

    before(async function () {
        this.timeout(60_000);
        dir = await mkdtemp(path.join(os.tmpdir(), "hearth-gguf-guard-"));
        fixtures = await ensureFixtures(path.join(dir, "fixtures"));
    });

    after(async function () {
        await rm(dir, { recursive: true, force: true });
    });

    describe("valid files pass", function () {
        it("passes the tiny model and reports its layout, reading only its header", async function () {
            const report = await guard(fixtures.tiny);
            const size = (await stat(fixtures.tiny)).size;
            assert.equal(report.version, 3);
            assert.equal(report.architecture, "qwen2");
            assert.equal(report.alignment, 32);
            assert.ok(report.tensorCount > 20, `tensors: ${report.tensorCount}`);
            assert.ok(report.tokenCount > 600, `tokens: ${report.tokenCount}`);
            assert.equal(report.dataEnd, size, "the tensors end where the file ends");
            assert.ok(report.dataOffset < size && report.dataOffset % 32 === 0);
            assert.ok(report.bytesRead <= report.dataOffset + 64 * KiB, `read ${report.bytesRead} bytes of a ${report.dataOffset}-byte header`);
            assert.ok(report.valuesScanned <= report.headerBytes);
        });

        it("passes every loadable fixture, and the unknown-architecture one (llama.cpp's to refuse)", async function () {
            for (const file of [
                fixtures.tinyNoFim,
                fixtures.tinyNoChatTemplate,
                fixtures.demo,
                fixtures.tinyChat,
                fixtures.scriptedCall,
                fixtures.unsupportedArch,
            ]) {
                await guard(file);
            }
        });

        it("passes the sparse oversized and long-context models without reading their data", async function () {
            for (const file of [fixtures.oversized, fixtures.longContext]) {
                const report = await guard(file);
                assert.equal(report.dataEnd, (await stat(file)).size);
                assert.ok(report.bytesRead < MiB, `${path.basename(file)}: read ${report.bytesRead} bytes`);
            }
        });

        it("re-encodes the tiny model byte for byte: the hostile files differ from a valid model in one thing", async function () {
            const file = path.join(dir, "base.gguf");
            await writeHostileBase(file);
            assert.deepEqual(await readFile(file), await readFile(fixtures.tiny));
        });

        it("passes a 150,000-token vocabulary quickly", async function () {
            const base = await hostileBase();
            const tokens = Array.from({ length: 150_000 }, (_, i) => `tok_${i.toString(36)}_${"x".repeat(i % 7)}`);
            const model: RawGguf = {
                ...base,
                kvs: base.kvs.map((kv) =>
                    kv.key === "tokenizer.ggml.tokens"
                        ? { key: kv.key, value: raw.strings(tokens) }
                        : kv.key === "tokenizer.ggml.token_type"
                          ? { key: kv.key, value: raw.i32s(tokens.map(() => 1)) }
                          : kv,
                ),
            };
            const file = path.join(dir, "vocab-150k.gguf");
            await writeFile(file, encodeGguf(model).bytes);
            const started = performance.now();
            const report = await guard(file);
            const ms = performance.now() - started;
            assert.equal(report.tokenCount, 150_000);
            assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
            assert.ok(report.bytesRead <= report.dataOffset + 64 * KiB);
            assert.ok(report.reads < report.bytesRead / (32 * KiB) + 10, `${report.reads} reads for ${report.bytesRead} bytes`);
        });

        it("accepts a zero-tensor first part of a split model, and head_count 0 for an attention-free architecture", async function () {
            const base = await hostileBase();
            const splitFile = path.join(dir, "split-first.gguf");
            await writeFile(
                splitFile,
                encodeGguf({ ...base, tensors: [], data: new Uint8Array(0), kvs: [...base.kvs, { key: "split.count", value: raw.u32(3) }] }).bytes,
            );
            assert.equal((await guard(splitFile)).tensorCount, 0);

            const mambaFile = path.join(dir, "mamba-like.gguf");
            const mamba: RawGguf = {
                ...base,
                kvs: base.kvs.map((kv) =>
                    kv.key === "general.architecture"
                        ? { key: kv.key, value: raw.string("mamba") }
                        : kv.key.startsWith("qwen2.")
                          ? {
                                key: kv.key.replace("qwen2.", "mamba."),
                                value: kv.key === "qwen2.attention.head_count" || kv.key === "qwen2.attention.head_count_kv" ? raw.u32(0) : kv.value,
                            }
                          : kv,
                ),
            };
            await writeFile(mambaFile, encodeGguf(mamba).bytes);
            assert.equal((await guard(mambaFile)).architecture, "mamba");
        });

        it("accepts layers without attention or feed-forward part (0 heads, 0 length) where the architecture has them, as DeciLM", async function () {
            const base = await hostileBase();
            const file = path.join(dir, "per-layer-heads.gguf");
            const kvs = base.kvs.map((kv) =>
                kv.key === "general.architecture"
                    ? { key: kv.key, value: raw.string("deci") }
                    : kv.key === "qwen2.attention.head_count"
                      ? { key: "deci.attention.head_count", value: raw.u32s([4, 0]) }
                      : kv.key === "qwen2.attention.head_count_kv"
                        ? { key: "deci.attention.head_count_kv", value: raw.u32s([2, 0]) }
                        : kv.key === "qwen2.feed_forward_length"
                          ? { key: "deci.feed_forward_length", value: raw.u32s([0, 128]) }
                          : kv.key.startsWith("qwen2.")
                            ? { key: kv.key.replace("qwen2.", "deci."), value: kv.value }
                            : kv,
            );
            await writeFile(file, encodeGguf({ ...base, kvs }).bytes);
            assert.equal((await guard(file)).architecture, "deci");
        });
    });

    describe("refuses every hostile kind with its own error, bounded work", function () {
        it("has at least 30 distinct kinds with unique names", function () {
            assert.ok(hostileModels.length >= 30, `${hostileModels.length} kinds`);
            assert.equal(new Set(hostileModels.map((model) => model.name)).size, hostileModels.length);
        });

        for (const hostile of hostileModels) {
            it(`${hostile.name}: ${hostile.expectedKind}`, async function () {
                const file = path.join(dir, `hostile-${hostile.name}.gguf`);
                await hostile.write(file);
                const size = (await stat(file)).size;
                const { error, work } = await refusal(file);
                await rm(file, { force: true });
                assert.equal(error.kind, hostile.expectedKind, `${hostile.description}: ${error.message}`);
                assert.equal(error.path, file);
                assert.match(error.message, hostile.expectedDetail);
                assert.doesNotMatch(error.message, /NaN|undefined|\[object|BigInt|RangeError/);
                // The work is bounded by the header it read, not by what the file claims.
                assert.ok(work.bytesRead >= 0 && work.bytesRead <= size, `read ${work.bytesRead} bytes of ${size}`);
                assert.ok(work.bytesRead <= 512 * KiB, `read ${work.bytesRead} bytes`);
                assert.ok(work.reads <= 16, `${work.reads} reads`);
                assert.ok(work.valuesScanned <= 5000, `${work.valuesScanned} values scanned`);
            });
        }
    });

    it("turns an error it did not foresee into corruptModel naming the file, and a vanished file into unreadable", async function () {
        const missing = path.join(dir, "missing.gguf");
        const gone = await checkGgufStructure(missing, 1000).catch((error: unknown) => error);
        assert.ok(gone instanceof EngineError && gone.kind === "unreadable" && gone.path === missing);
        // A file that shrank after its size was taken, cut inside the tensor infos: cut short, not a crash.
        const file = path.join(dir, "shrunk.gguf");
        const layout = encodeGguf(await hostileBase());
        await writeFile(file, layout.bytes.subarray(0, Math.floor((layout.tensorInfoStart + layout.headerEnd) / 2)));
        const shrunk = await checkGgufStructure(file, layout.bytes.length).catch((error: unknown) => error);
        assert.ok(shrunk instanceof EngineError && shrunk.kind === "truncated" && shrunk.path === file, String(shrunk));
    });

    it("names the limits it enforces", function () {
        assert.equal(ggufGuardLimits.maxLayers, 512);
        assert.equal(ggufGuardLimits.maxHeaderBytes, 256 * MiB);
    });

    it("never gives a NaN or unsafe tensor size", function () {
        assert.equal(tensorByteSize(4, [64, 64]), undefined, "a removed type");
        assert.equal(tensorByteSize(0, [Number.NaN]), undefined);
        assert.equal(tensorByteSize(0, [2n ** 40n, 2n ** 40n]), undefined);
        assert.equal(tensorByteSize(8, [64, 2]), 136);
        assert.equal(tensorByteSize(40, [64]), 36, "NVFP4");
    });

    it("parses what it encodes (the raw encoder round-trips)", async function () {
        const base = await hostileBase();
        const again = parseGguf(encodeGguf(base).bytes);
        assert.deepEqual(again.tensors, base.tensors);
        assert.deepEqual(
            again.kvs.map((kv) => kv.key),
            base.kvs.map((kv) => kv.key),
        );
    });
});
