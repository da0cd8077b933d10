import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { GgufFileInfo } from "node-llama-cpp" with { "resolution-mode": "import" };
import {
    demoModelName,
    ensureFixtures,
    fimSpecialTokens,
    fixtureGeneratorVersion,
    unsupportedArchitecture,
    writeTinyModel,
    type FixturePaths,
} from "../fixtures/gguf";
import { encodeQ8_0, f32ToF16Bits, GgmlType, gguf, writeGguf } from "../fixtures/gguf/ggufWriter";
import { buildTokenizer, bytesToUnicode, chatMlChatTemplate, qwen25ChatTemplate } from "../fixtures/gguf/tokenizer";

/** node-llama-cpp is ESM-only; from CommonJS it loads through a dynamic import. */
async function readGgufFileInfo(file: string): Promise<GgufFileInfo> {
    const { readGgufFileInfo: read } = await import("node-llama-cpp");
    return read(file, { logWarnings: false });
}

/** Where the tensor data must end, from the tensor infos node-llama-cpp read. */
function expectedDataEnd(info: GgufFileInfo): number {
    const blocks: Readonly<Record<number, readonly [number, number]>> = { 0: [1, 4], 1: [1, 2], 8: [32, 34] };
    let end = 0;
    for (const tensor of info.tensorInfo ?? []) {
        const layout = blocks[tensor.ggmlType];
        assert.ok(layout !== undefined, `unexpected ggml type ${tensor.ggmlType} in ${tensor.name}`);
        const elements = tensor.dimensions.reduce<number>((product, dim) => product * Number(dim), 1);
        end = Math.max(end, Number(tensor.fileOffset) + (elements / layout[0]) * layout[1]);
    }
    return end;
}

async function fileSize(file: string): Promise<number> {
    return (await stat(file)).size;
}

describe("GGUF test fixtures", function () {
    let dir: string;
    let fixtures: FixturePaths;

    before(async function () {
        this.timeout(30_000);
        dir = await mkdtemp(path.join(os.tmpdir(), "hearth-gguf-"));
        fixtures = await ensureFixtures(path.join(dir, "fixtures"));
    });

    after(async function () {
        await rm(dir, { recursive: true, force: true });
    });

    describe("writer", function () {
        it("writes metadata of every type, and node-llama-cpp reads it back", async function () {
            const file = path.join(dir, "types.gguf");
            await writeGguf(file, {
                metadata: [
                    ["general.architecture", gguf.string("test")],
                    ["t.u8", gguf.u8(200)],
                    ["t.i8", gguf.i8(-100)],
                    ["t.u16", gguf.u16(60_000)],
                    ["t.i16", gguf.i16(-30_000)],
                    ["t.u32", gguf.u32(4_000_000_000)],
                    ["t.i32", gguf.i32(-2_000_000_000)],
                    ["t.f32", gguf.f32(1.5)],
                    ["t.f64", gguf.f64(Math.PI)],
                    ["t.u64", gguf.u64(2n ** 60n)],
                    ["t.i64", gguf.i64(-5)],
                    ["t.bool", gguf.bool(true)],
                    ["t.str", gguf.string("héllo ✓")],
                    ["t.arr.i32", gguf.numbers("i32", [1, -2, 3])],
                    ["t.arr.f32", gguf.numbers("f32", [0.5, -1])],
                    ["t.arr.u64", gguf.bigints("u64", [1, 2n ** 60n])],
                    ["t.arr.bool", gguf.bools([true, false])],
                    ["t.arr.str", gguf.strings(["a", "", "ü"])],
                    ["t.arr.empty", gguf.strings([])],
                ],
                tensors: [
                    {
                        name: "a",
                        dims: [4, 2],
                        type: GgmlType.F32,
                        values: (out, start) =>
                            out.forEach((_, i) => {
                                out[i] = start + i;
                            }),
                    },
                    { name: "b", dims: [3], type: GgmlType.F16, values: (out) => out.fill(1) },
                    { name: "c", dims: [64, 2], type: GgmlType.Q8_0, values: (out) => out.fill(0.5) },
                ],
            });
            const info = await readGgufFileInfo(file);
            assert.equal(info.version, 3);
            assert.deepEqual(info.metadata, {
                general: { architecture: "test" },
                t: {
                    u8: 200,
                    i8: -100,
                    u16: 60_000,
                    i16: -30_000,
                    u32: 4_000_000_000,
                    i32: -2_000_000_000,
                    f32: 1.5,
                    f64: Math.PI,
                    u64: 2n ** 60n,
                    i64: -5n,
                    bool: true,
                    str: "héllo ✓",
                    arr: { i32: [1, -2, 3], f32: [0.5, -1], u64: [1n, 2n ** 60n], bool: [true, false], str: ["a", "", "ü"], empty: [] },
                },
            });
            assert.deepEqual(
                info.tensorInfo?.map(({ name, dimensions, ggmlType, offset }) => ({ name, dimensions, ggmlType, offset })),
                [
                    { name: "a", dimensions: [4, 2], ggmlType: GgmlType.F32, offset: 0 },
                    { name: "b", dimensions: [3], ggmlType: GgmlType.F16, offset: 32 }, // 32 bytes of F32, aligned to 32
                    { name: "c", dimensions: [64, 2], ggmlType: GgmlType.Q8_0, offset: 64 }, // 6 bytes of F16, padded to 32
                ],
            );
            assert.equal(Number(info.tensorInfo?.[0]?.fileOffset) % 32, 0);
            assert.equal(await fileSize(file), Number(info.tensorInfo?.[2]?.fileOffset) + 160); // 4 blocks of 34 bytes, padded
        });

        it("encodes F16 with round-to-nearest-even, and Q8_0 as ggml does", function () {
            assert.equal(f32ToF16Bits(1), 0x3c00);
            assert.equal(f32ToF16Bits(-2), 0xc000);
            assert.equal(f32ToF16Bits(65504), 0x7bff);
            assert.equal(f32ToF16Bits(1e6), 0x7c00); // overflow to inf
            assert.equal(f32ToF16Bits(2 ** -24), 0x0001); // smallest subnormal
            assert.equal(f32ToF16Bits(2 ** -26), 0); // underflow
            assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // tie, rounds to even
            assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie, rounds to even (up)

            const values = Float32Array.from({ length: 32 }, (_, i) => i - 16);
            const block = Buffer.from(encodeQ8_0(values));
            assert.equal(block.length, 34);
            assert.equal(block.readUInt16LE(0), f32ToF16Bits(16 / 127));
            assert.equal(block.readInt8(2), -127);
            assert.equal(block.readInt8(2 + 16), 0);
            assert.equal(block.readInt8(2 + 31), Math.round((15 * 127) / 16));
        });
    });

    describe("tokenizer", function () {
        it("has the 256 byte tokens, a few hundred merges, unique tokens and control special tokens", function () {
            const tokenizer = buildTokenizer();
            assert.deepEqual(tokenizer.tokens.slice(0, 256), bytesToUnicode());
            assert.equal(new Set(bytesToUnicode()).size, 256);
            assert.ok(tokenizer.merges.length >= 200, `only ${tokenizer.merges.length} merges`);
            assert.equal(new Set(tokenizer.tokens).size, tokenizer.tokens.length);
            const tokens = new Set(tokenizer.tokens);
            for (const merge of tokenizer.merges) {
                assert.ok(tokens.has(merge.replace(" ", "")), `merge ${merge} makes no token`);
            }
            assert.ok(tokens.has("Ġreturn") && tokens.has("ĠĠĠĠ"), "common code words and indentation are tokens");
            for (const [text, id] of tokenizer.specialIds) {
                assert.equal(tokenizer.tokens[id], text);
                assert.equal(tokenizer.tokenTypes[id], 3);
            }
        });

        it("is the same every time", function () {
            assert.deepEqual(buildTokenizer().tokens, buildTokenizer({ chatTemplate: false }).tokens);
        });
    });

    describe("models", function () {
        it("tiny: qwen2 of the right shape, with our tokenizer, FIM ids and a ChatML template", async function () {
            const info = await readGgufFileInfo(fixtures.tiny);
            const tokenizer = buildTokenizer();
            assert.equal(info.metadata.general.architecture, "qwen2");
            assert.equal(info.tensorCount, 2 + 12 * 2 + 1); // embeddings, output norm, 12 per layer, untied output
            assert.deepEqual(info.architectureMetadata, {
                context_length: 4096,
                embedding_length: 64,
                block_count: 2,
                feed_forward_length: 128,
                attention: { head_count: 4, head_count_kv: 2, layer_norm_rms_epsilon: Math.fround(1e-6) },
                rope: { freq_base: 1_000_000 },
            });
            const ggml = info.metadata.tokenizer.ggml;
            assert.equal(ggml.model, "gpt2");
            assert.equal(ggml.pre, "qwen2");
            assert.deepEqual(ggml.tokens, tokenizer.tokens);
            assert.equal(ggml.merges?.length, tokenizer.merges.length);
            const id = (text: string): number => ggml.tokens.indexOf(text);
            assert.equal(ggml.fim_pre_token_id, id("<|fim_prefix|>"));
            assert.equal(ggml.fim_suf_token_id, id("<|fim_suffix|>"));
            assert.equal(ggml.fim_mid_token_id, id("<|fim_middle|>"));
            assert.equal(ggml.fim_pad_token_id, id("<|fim_pad|>"));
            assert.equal(ggml.fim_rep_token_id, id("<|repo_name|>"));
            assert.equal(ggml.fim_sep_token_id, id("<|file_sep|>"));
            assert.equal(ggml.eos_token_id, id("<|endoftext|>"));
            assert.equal(ggml.eot_token_id, id("<|im_end|>"));
            assert.equal(ggml.add_bos_token, false);
            assert.equal(info.metadata.tokenizer.chat_template, chatMlChatTemplate);
            assert.equal(await fileSize(fixtures.tiny), expectedDataEnd(info));
        });

        it("tinyNoFim has no FIM tokens at all (llama.cpp finds them by text), tinyNoChatTemplate no template", async function () {
            const noFim = await readGgufFileInfo(fixtures.tinyNoFim);
            for (const token of fimSpecialTokens) assert.ok(!noFim.metadata.tokenizer.ggml.tokens.includes(token), token);
            assert.equal(noFim.metadata.tokenizer.ggml.fim_pre_token_id, undefined);
            assert.equal(noFim.metadata.tokenizer.chat_template, chatMlChatTemplate);

            const noTemplate = await readGgufFileInfo(fixtures.tinyNoChatTemplate);
            assert.equal(noTemplate.metadata.tokenizer.chat_template, undefined);
            assert.ok(noTemplate.metadata.tokenizer.ggml.tokens.includes("<|fim_prefix|>"));
        });

        it("can carry Qwen2.5's own chat template", async function () {
            const file = path.join(dir, "qwen25-template.gguf");
            await writeTinyModel(file, { chatTemplate: "qwen2.5" });
            assert.equal((await readGgufFileInfo(file)).metadata.tokenizer.chat_template, qwen25ChatTemplate);
        });

        it("demo is marked as the demo model", async function () {
            const info = await readGgufFileInfo(fixtures.demo);
            assert.equal(info.metadata.general.name, demoModelName);
            assert.deepEqual((info.metadata as unknown as { hearth: unknown }).hearth, { demo_model: true });
            const tiny = await readGgufFileInfo(fixtures.tiny);
            assert.equal((tiny.metadata as unknown as { hearth?: unknown }).hearth, undefined);
        });

        it("the same seed writes identical bytes, another seed other weights", async function () {
            const [a, b, c] = ["a", "b", "c"].map((name) => path.join(dir, `seed-${name}.gguf`));
            await writeTinyModel(a, { seed: 7 });
            await writeTinyModel(b, { seed: 7 });
            await writeTinyModel(c, { seed: 8 });
            const [bytesA, bytesB, bytesC] = await Promise.all([a, b, c].map((file) => readFile(file)));
            assert.ok(bytesA.equals(bytesB));
            assert.equal(bytesA.length, bytesC.length);
            assert.ok(!bytesA.equals(bytesC));
        });

        it("unsupportedArch is well-formed GGUF of an unknown architecture", async function () {
            const info = await readGgufFileInfo(fixtures.unsupportedArch);
            assert.equal(info.metadata.general.architecture, unsupportedArchitecture);
            assert.ok(info.tensorCount > 0);
            assert.equal(await fileSize(fixtures.unsupportedArch), expectedDataEnd(info));
        });
    });

    describe("broken files", function () {
        it("notGguf and empty are rejected by readGgufFileInfo (bad magic)", async function () {
            await assert.rejects(readGgufFileInfo(fixtures.notGguf), /Invalid GGUF magic/);
            await assert.rejects(readGgufFileInfo(fixtures.empty), /Invalid GGUF magic/);
            assert.equal(await fileSize(fixtures.empty), 0);
        });

        it("truncated parses, but its tensor data ends past the end of the file", async function () {
            const info = await readGgufFileInfo(fixtures.truncated);
            assert.equal(info.metadata.general.architecture, "qwen2");
            const size = await fileSize(fixtures.truncated);
            assert.ok(size > Number(info.tensorInfo?.[0]?.fileOffset), "cut inside the tensor data, not the header");
            assert.ok(expectedDataEnd(info) > size);
        });

        it("truncatedHeader: node-llama-cpp reads zeros past the end, so detect it by where the header ends", async function () {
            // node-llama-cpp 3.21's file reader does not fail at end of file: it returns zero bytes,
            // so the cut metadata "parses" into empty keys and tensor infos. Accept a future reader
            // that throws instead.
            const size = await fileSize(fixtures.truncatedHeader);
            let info: GgufFileInfo;
            try {
                info = await readGgufFileInfo(fixtures.truncatedHeader);
            } catch {
                return;
            }
            const headerEnd = Number(info.infoEndOffset);
            assert.ok(headerEnd > size, `header ends at ${headerEnd}, file is ${size} bytes`);
        });
    });

    describe("ensureFixtures", function () {
        it("returns absolute paths of files that exist", async function () {
            for (const [name, file] of Object.entries(fixtures)) {
                assert.ok(path.isAbsolute(file), name);
                await stat(file);
            }
        });

        it("reuses current files and rewrites stale or damaged ones", async function () {
            // Fixtures are renamed into place, so a rewritten file is a new inode.
            const inode = async (file: string): Promise<number> => (await stat(file)).ino;
            const fixtureDir = path.dirname(fixtures.tiny);
            const before = await inode(fixtures.tiny);
            await ensureFixtures(fixtureDir);
            assert.equal(await inode(fixtures.tiny), before, "an up-to-date fixture is not rewritten");

            await writeFile(fixtures.demo, "damaged");
            await ensureFixtures(fixtureDir);
            assert.equal((await readGgufFileInfo(fixtures.demo)).metadata.general.name, demoModelName);

            const manifestFile = path.join(fixtureDir, "fixtures.json");
            const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as { generatorVersion: number };
            assert.equal(manifest.generatorVersion, fixtureGeneratorVersion);
            await writeFile(manifestFile, JSON.stringify({ ...manifest, generatorVersion: -1 }));
            await ensureFixtures(fixtureDir);
            assert.notEqual(await inode(fixtures.tiny), before, "a stale generator version rewrites everything");
        });
    });
});
