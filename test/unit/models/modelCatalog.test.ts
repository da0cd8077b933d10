import assert from "node:assert/strict";
import {
    computeAllowanceBytes,
    estimatePairMemory,
    estimatePresetMemory,
    hearthMemoryDefaults,
    modelPresets,
    parseHfFileReference,
    presetById,
    presetByReference,
    recommendationMemoryFraction,
    recommendationTiers,
    recommendModels,
    type MachineMemory,
    type ModelPreset,
} from "../../../src/extension/models/modelCatalog";
import { formatBytes } from "../../../src/common/units";

const GiB = 1024 ** 3;

function preset(id: string): ModelPreset {
    const found = presetById(id);
    assert.ok(found, `no preset ${id}`);
    return found;
}

/** "1.5B" → 1.5 */
function billions(preset: ModelPreset): number {
    return Number(preset.parameters.replace(/B$/, ""));
}

describe("modelCatalog presets", () => {
    it("name one .gguf file each, as hf:owner/repo/file.gguf", () => {
        for (const p of modelPresets) {
            assert.match(p.reference, /^hf:[^/:#]+\/[^/:#]+\/[^:#]+\.gguf$/, p.id);
            const parsed = parseHfFileReference(p.reference);
            assert.ok(parsed, p.id);
            assert.ok(parsed.file.endsWith(".gguf"), p.id);
            assert.equal(`hf:${parsed.owner}/${parsed.repo}/${parsed.file}`, p.reference);
        }
    });

    it("have unique ids and unique references", () => {
        assert.equal(new Set(modelPresets.map((p) => p.id)).size, modelPresets.length);
        assert.equal(new Set(modelPresets.map((p) => p.reference.toLowerCase())).size, modelPresets.length);
    });

    it("offer both roles, each with sizes, a shape and one line of description", () => {
        for (const role of ["completion", "chat"] as const)
            assert.ok(
                modelPresets.some((p) => p.role === role),
                role,
            );
        for (const p of modelPresets) {
            assert.ok(Number.isInteger(p.downloadBytes) && p.downloadBytes > 100e6, p.id);
            for (const n of [p.shape.layers, p.shape.kvHeads, p.shape.headDim]) assert.ok(Number.isInteger(n) && n > 0, p.id);
            assert.ok(p.description.length > 0 && !p.description.includes("\n"), p.id);
            assert.ok(p.label.includes(p.parameters) && p.label.includes(p.quantization), p.id);
            assert.ok(p.reference.toLowerCase().includes(p.quantization.toLowerCase()), `${p.id}: file name names its quantisation`);
            // Base models complete (fill-in-the-middle); Instruct models chat.
            assert.equal(p.role === "chat", /instruct/i.test(p.reference), p.id);
        }
    });

    it("point each smaller alternative at an existing, smaller preset of the same role", () => {
        for (const p of modelPresets) {
            if (p.smallerAlternative === undefined) continue;
            const smaller = presetById(p.smallerAlternative);
            assert.ok(smaller, `${p.id} → ${p.smallerAlternative}`);
            assert.equal(smaller.role, p.role, p.id);
            assert.ok(smaller.downloadBytes < p.downloadBytes, `${p.id} → ${smaller.id}`);
        }
    });

    it("lead every preset but the smallest of its role down to that smallest one", () => {
        for (const role of ["completion", "chat"] as const) {
            const ofRole = modelPresets.filter((p) => p.role === role);
            const smallest = ofRole.reduce((a, b) => (b.downloadBytes < a.downloadBytes ? b : a));
            for (const p of ofRole) {
                let step: ModelPreset = p;
                for (let hops = 0; step.smallerAlternative !== undefined && hops < modelPresets.length; hops++) step = preset(step.smallerAlternative);
                assert.equal(step.id, smallest.id, p.id);
            }
        }
    });

    it("find a preset by id and by reference, in any case and in the URL form", () => {
        const p = preset("qwen2.5-coder-1.5b-q8_0");
        assert.equal(presetById("no-such-model"), undefined);
        assert.equal(presetByReference(p.reference), p);
        assert.equal(presetByReference(p.reference.toUpperCase().replace(/^HF:/, "hf:")), p);
        assert.equal(presetByReference(p.reference.replace("hf:", "hf://")), p);
        assert.equal(presetByReference(`${p.reference}#main`), p);
        assert.equal(
            presetByReference("https://huggingface.co/ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/resolve/main/qwen2.5-coder-1.5b-q8_0.gguf?download=true"),
            p,
        );
        assert.equal(presetByReference("hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF:Q8_0"), undefined, "a quantisation tag names no file");
        assert.equal(presetByReference(`${p.reference}#other-branch`), undefined);
        assert.equal(presetByReference("/models/qwen2.5-coder-1.5b-q8_0.gguf"), undefined);
        assert.equal(parseHfFileReference("hf:owner/repo/README.md"), undefined);
        assert.equal(parseHfFileReference("hf:owner/repo"), undefined);
    });
});

describe("estimatePresetMemory", () => {
    it("is weights + f16 KV cache + the compute allowance, worked by hand for the 1.5B", () => {
        const p = preset("qwen2.5-coder-1.5b-q8_0");
        // Qwen2.5-Coder-1.5B's config.json: 28 layers, 2 KV heads, hidden 1536 over 12 heads = 128.
        assert.deepEqual(p.shape, { layers: 28, kvHeads: 2, headDim: 1536 / 12 });
        // One token in one sequence: a K and a V vector per layer per KV head, 2 bytes an element.
        const kAndV = 2;
        const f16Bytes = 2;
        const bytesPerToken = kAndV * 28 * 2 * 128 * f16Bytes; // 28,672
        const contextSize = 4096;
        const sequences = 3;
        const expected = p.downloadBytes + bytesPerToken * contextSize * sequences + computeAllowanceBytes;
        assert.equal(estimatePresetMemory(p, contextSize, sequences), expected);
    });

    it("grows with context and with sequences, for every preset", () => {
        for (const p of modelPresets) {
            const base = estimatePresetMemory(p, 4096, 1);
            assert.ok(base > p.downloadBytes, p.id);
            assert.ok(estimatePresetMemory(p, 8192, 1) > base, p.id);
            assert.ok(estimatePresetMemory(p, 4096, 2) > base, p.id);
            // The KV cache is linear in tokens: double context = double sequences.
            assert.equal(estimatePresetMemory(p, 8192, 1), estimatePresetMemory(p, 4096, 2), p.id);
        }
    });

    it("refuses contexts and sequence counts that are not positive", () => {
        const p = preset("qwen2.5-coder-0.5b-q8_0");
        assert.throws(() => estimatePresetMemory(p, 0, 1), RangeError);
        assert.throws(() => estimatePresetMemory(p, 4096, 0), RangeError);
        assert.throws(() => estimatePresetMemory(p, 4096, 1.5), RangeError);
        assert.throws(() => estimatePresetMemory(p, Number.NaN, 1), RangeError);
    });

    it("prices a pair at Hearth's defaults: completions' sequences on one model, chat's on the other", () => {
        const completion = preset("qwen2.5-coder-1.5b-q8_0");
        const chat = preset("qwen2.5-coder-7b-instruct-q4_k_m");
        const { contextSize, completionSequences, chatSequences } = hearthMemoryDefaults;
        assert.equal(
            estimatePairMemory(completion, chat),
            estimatePresetMemory(completion, contextSize, completionSequences) + estimatePresetMemory(chat, contextSize, chatSequences),
        );
    });
});

describe("recommendModels", () => {
    const sizes = [4, 8, 16, 24, 32, 64];
    const platforms = [
        { platform: "darwin", arch: "arm64" },
        { platform: "linux", arch: "x64" },
    ];
    const machine = (totalBytes: number, platform = platforms[1]): MachineMemory => ({ totalBytes, freeBytes: totalBytes / 2, ...platform });

    it("names existing presets of the right roles in every tier, smallest tier from 0", () => {
        assert.equal(recommendationTiers[0]?.minTotalBytes, 0);
        for (const tier of recommendationTiers) {
            assert.equal(preset(tier.completionId).role, "completion");
            assert.equal(preset(tier.chatId).role, "chat");
            assert.equal(preset(tier.completionId).license, "Apache-2.0", tier.completionId);
            assert.equal(preset(tier.chatId).license, "Apache-2.0", tier.chatId);
        }
    });

    it("keeps each tier's pair within the stated fraction of the memory it starts at", () => {
        for (const tier of recommendationTiers.slice(1)) {
            const need = estimatePairMemory(preset(tier.completionId), preset(tier.chatId));
            assert.ok(need <= recommendationMemoryFraction * tier.minTotalBytes, `${tier.completionId} + ${tier.chatId}: ${need} at ${tier.minTotalBytes}`);
        }
    });

    for (const { platform, arch } of platforms) {
        for (const gb of sizes) {
            it(`on ${platform} ${arch} with ${gb} GB offers a completion and a chat model within ${recommendationMemoryFraction} of memory`, () => {
                const total = gb * GiB;
                const r = recommendModels(machine(total, { platform, arch }));
                assert.equal(r.completion.role, "completion");
                assert.equal(r.chat.role, "chat");
                assert.equal(r.memoryBytes, estimatePairMemory(r.completion, r.chat));
                assert.ok(r.memoryBytes <= recommendationMemoryFraction * total, `${r.memoryBytes} of ${total}`);
                assert.match(r.reason, new RegExp(`^Chosen for ${gb} GB `));
                assert.ok(r.reason.includes(r.completion.label) && r.reason.includes(r.chat.label), r.reason);
                assert.ok(r.reason.includes(formatBytes(r.memoryBytes)), r.reason);
            });
        }
    }

    it("never offers a smaller model for more memory, nor a pair over the fraction, from 4 GB to 128 GB", () => {
        for (const platform of platforms) {
            let previous: { chat: ModelPreset; completion: ModelPreset } | undefined;
            for (let total = 4 * GiB; total <= 128 * GiB; total += GiB / 4) {
                const r = recommendModels(machine(total, platform));
                assert.ok(r.memoryBytes <= recommendationMemoryFraction * total, `${total}`);
                if (previous !== undefined) {
                    assert.ok(billions(r.chat) >= billions(previous.chat), `chat shrank at ${total}`);
                    assert.ok(r.chat.downloadBytes >= previous.chat.downloadBytes, `chat shrank at ${total}`);
                    assert.ok(r.completion.downloadBytes >= previous.completion.downloadBytes, `completion shrank at ${total}`);
                }
                previous = r;
            }
        }
    });

    it("recommends each tier from its threshold, and the smallest pair even below every threshold", () => {
        for (const tier of recommendationTiers) {
            const r = recommendModels(machine(Math.max(tier.minTotalBytes, 4 * GiB)));
            assert.equal(r.completion.id, tier.completionId);
            assert.equal(r.chat.id, tier.chatId);
        }
        const smallest = recommendationTiers[0];
        const tiny = recommendModels(machine(2 * GiB));
        assert.equal(tiny.completion.id, smallest.completionId);
        assert.equal(tiny.chat.id, smallest.chatId);
        assert.ok(tiny.memoryBytes > recommendationMemoryFraction * 2 * GiB);
        assert.match(tiny.reason, /close other apps/);
    });

    it("says unified memory on Apple silicon", () => {
        assert.match(recommendModels(machine(16 * GiB, platforms[0])).reason, /unified memory/);
        assert.doesNotMatch(recommendModels(machine(16 * GiB, platforms[1])).reason, /unified/);
    });
});
