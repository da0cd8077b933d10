// The models Hearth offers to download, what each needs in memory, and which pair suits a machine.
//
// Plain data and arithmetic: no vscode, no node-llama-cpp, so it is tested outside VS Code.
//
// Every preset names one exact GGUF file (`hf:owner/repo/file.gguf`), so node-llama-cpp resolves
// it without asking Hugging Face's manifest API which file a quantisation tag means. Each repo and
// file name below was confirmed from a public source, cited next to the preset. Exact byte sizes
// are as Hugging Face's tree API lists them at the revision cited; they were read from public
// catalogues that pin that revision and the file's SHA-256, not measured here. Where no source
// gave the exact size the preset says `sizeIsApproximate`. Either way the downloader takes the
// real size from the server; these numbers are for the offer ("1.6 GB download") and for the
// memory estimate.
import { formatBytes, formatMachineMemory } from "../../common/units";
import { engineSequences } from "../../protocol/engineProtocol";
import { defaultNumber } from "../settings/settingDefaults";

type ModelRole = "completion" | "chat";

/** Attention shape, enough to size the KV cache. From each model's config.json. */
interface ModelShape {
    readonly layers: number;
    readonly kvHeads: number;
    /** hidden_size / num_attention_heads. */
    readonly headDim: number;
}

export interface ModelPreset {
    /** Stable: settings and saved state may store it. */
    readonly id: string;
    /** "Qwen2.5-Coder 1.5B · Q8_0" */
    readonly label: string;
    /** Base models, trained with fill-in-the-middle, complete; Instruct models chat. */
    readonly role: ModelRole;
    /** `hf:owner/repo/file.gguf`: the exact file, so it resolves without the manifest API. */
    readonly reference: string;
    readonly downloadBytes: number;
    readonly sizeIsApproximate: boolean;
    /** "1.5B" */
    readonly parameters: string;
    /** "Q8_0" */
    readonly quantization: string;
    readonly shape: ModelShape;
    /** Id of a smaller preset of the same role, for "try a smaller quantisation". */
    readonly smallerAlternative?: string;
    /**
     * The weights' licence. Qwen2.5-Coder is Apache-2.0 except the 3B, which Qwen publishes under
     * the Qwen Research License (non-commercial use only), so recommendModels never picks a 3B.
     */
    readonly license: "Apache-2.0" | "qwen-research";
    /** One line for the quick pick's detail. */
    readonly description: string;
}

// Shapes from Qwen's model cards and config.json (num_hidden_layers, num_key_value_heads,
// hidden_size / num_attention_heads); base and Instruct of one size share a shape.
//   0.5B: 24 layers, 14 Q heads / 2 KV heads, hidden 896  -> head dim 64
//   1.5B: 28 layers, 12 Q heads / 2 KV heads, hidden 1536 -> head dim 128
//   3B:   36 layers, 16 Q heads / 2 KV heads, hidden 2048 -> head dim 128
//   7B:   28 layers, 28 Q heads / 4 KV heads, hidden 3584 -> head dim 128
const shape0_5b: ModelShape = { layers: 24, kvHeads: 2, headDim: 896 / 14 };
const shape1_5b: ModelShape = { layers: 28, kvHeads: 2, headDim: 1536 / 12 };
const shape3b: ModelShape = { layers: 36, kvHeads: 2, headDim: 2048 / 16 };
const shape7b: ModelShape = { layers: 28, kvHeads: 4, headDim: 3584 / 28 };

const researchLicenceNote = "Qwen Research licence: non-commercial use only";

export const modelPresets: readonly ModelPreset[] = [
    // --- Completion: base models, which Qwen trained for fill-in-the-middle ---------------------

    // ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF: the draft model of llama.cpp's --fim-qwen-7b-spec
    // preset (common/arg.cpp) and llama.vscode's CPU-only config (ggml-org/llama.vscode README).
    // 531,068,128 bytes, SHA-256 d0f8cd6c49bab52a…, per the HF tree API as recorded by a public
    // catalogue that also downloaded and hashed it.
    {
        id: "qwen2.5-coder-0.5b-q8_0",
        label: "Qwen2.5-Coder 0.5B · Q8_0",
        role: "completion",
        reference: "hf:ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF/qwen2.5-coder-0.5b-q8_0.gguf",
        downloadBytes: 531_068_128,
        sizeIsApproximate: false,
        parameters: "0.5B",
        quantization: "Q8_0",
        shape: shape0_5b,
        license: "Apache-2.0",
        description: "Smallest and quickest: finishes the line you are on, on any machine",
    },
    // QuantFactory/Qwen2.5-Coder-1.5B-GGUF, file Qwen2.5-Coder-1.5B.Q4_K_M.gguf: pinned at revision
    // 73c3c696087d8d57a3005e31f2afe78f43059739 by a public NixOS llama-cpp config. No source gave
    // its exact size; ~986 MB is the size of the 1.5B at Q4_K_M with llama.cpp's default recipe
    // (Ollama's qwen2.5-coder:1.5b, bartowski's 1.5B Q4_K_M).
    {
        id: "qwen2.5-coder-1.5b-q4_k_m",
        label: "Qwen2.5-Coder 1.5B · Q4_K_M",
        role: "completion",
        reference: "hf:QuantFactory/Qwen2.5-Coder-1.5B-GGUF/Qwen2.5-Coder-1.5B.Q4_K_M.gguf",
        downloadBytes: 986_000_000,
        sizeIsApproximate: true,
        parameters: "1.5B",
        quantization: "Q4_K_M",
        shape: shape1_5b,
        smallerAlternative: "qwen2.5-coder-0.5b-q8_0",
        license: "Apache-2.0",
        description: "The recommended completion model in less memory, slightly less accurate",
    },
    // ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF: llama.cpp's --fim-qwen-1.5b-default preset
    // (common/arg.cpp) and llama.vscode's "less than 8 GB VRAM" recommendation. 1,646,573,056
    // bytes at revision 8be1b8a895a84beea772817caaa71eba6b6e0d07, SHA-256 29871c94d15727a6…
    {
        id: "qwen2.5-coder-1.5b-q8_0",
        label: "Qwen2.5-Coder 1.5B · Q8_0",
        role: "completion",
        reference: "hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf",
        downloadBytes: 1_646_573_056,
        sizeIsApproximate: false,
        parameters: "1.5B",
        quantization: "Q8_0",
        shape: shape1_5b,
        smallerAlternative: "qwen2.5-coder-1.5b-q4_k_m",
        license: "Apache-2.0",
        description: "Fast, accurate completions on any recent laptop: the recommended one",
    },
    // ggml-org/Qwen2.5-Coder-3B-Q8_0-GGUF: llama.cpp's --fim-qwen-3b-default preset. 3,285,476,160
    // bytes at revision 9c1de162ae417c9c3aacde97c729c4128de047d8, SHA-256 a522a906e299ed34…
    // Licence: Qwen/Qwen2.5-Coder-3B is published under qwen-research (its LICENSE file).
    {
        id: "qwen2.5-coder-3b-q8_0",
        label: "Qwen2.5-Coder 3B · Q8_0",
        role: "completion",
        reference: "hf:ggml-org/Qwen2.5-Coder-3B-Q8_0-GGUF/qwen2.5-coder-3b-q8_0.gguf",
        downloadBytes: 3_285_476_160,
        sizeIsApproximate: false,
        parameters: "3B",
        quantization: "Q8_0",
        shape: shape3b,
        smallerAlternative: "qwen2.5-coder-1.5b-q8_0",
        license: "qwen-research",
        description: `Somewhat better completions, about half as fast; ${researchLicenceNote}`,
    },
    // Qwen/Qwen2.5-Coder-7B-GGUF, file qwen2.5-coder-7b-q4_k_m.gguf: Qwen's own base-model GGUF,
    // named with this exact URL by public projects' download instructions. No source gave its
    // exact size; it is taken as that of Qwen's Instruct file at the same quantisation
    // (4,683,073,536 bytes), which has the same tensors.
    {
        id: "qwen2.5-coder-7b-q4_k_m",
        label: "Qwen2.5-Coder 7B · Q4_K_M",
        role: "completion",
        reference: "hf:Qwen/Qwen2.5-Coder-7B-GGUF/qwen2.5-coder-7b-q4_k_m.gguf",
        downloadBytes: 4_683_000_000,
        sizeIsApproximate: true,
        parameters: "7B",
        quantization: "Q4_K_M",
        shape: shape7b,
        smallerAlternative: "qwen2.5-coder-1.5b-q8_0",
        license: "Apache-2.0",
        description: "Best completions in half the memory of Q8_0; wants a strong GPU",
    },
    // ggml-org/Qwen2.5-Coder-7B-Q8_0-GGUF: llama.cpp's --fim-qwen-7b-default preset and
    // llama.vscode's "more than 16 GB VRAM" recommendation. 8,098,525,600 bytes at revision
    // bca77e0a8c88fc224882bcc404170c3ef17efacc, SHA-256 0ef48dc94a3c551a…
    {
        id: "qwen2.5-coder-7b-q8_0",
        label: "Qwen2.5-Coder 7B · Q8_0",
        role: "completion",
        reference: "hf:ggml-org/Qwen2.5-Coder-7B-Q8_0-GGUF/qwen2.5-coder-7b-q8_0.gguf",
        downloadBytes: 8_098_525_600,
        sizeIsApproximate: false,
        parameters: "7B",
        quantization: "Q8_0",
        shape: shape7b,
        smallerAlternative: "qwen2.5-coder-7b-q4_k_m",
        license: "Apache-2.0",
        description: "Best completions; slow without a strong GPU",
    },

    // --- Chat: Qwen's official Instruct GGUFs ---------------------------------------------------
    // Sizes and hashes are the HF tree API's at the revision named, as pinned by a public
    // catalogue of Qwen2.5-Coder Instruct GGUFs (Qwen/Qwen2.5-Coder-{0.5B,1.5B,3B,7B}-Instruct-GGUF).

    // Revision ebb2015119c907b064c512bf053e945850b5875f, SHA-256 1d9614638d18024d…
    {
        id: "qwen2.5-coder-0.5b-instruct-q4_k_m",
        label: "Qwen2.5-Coder 0.5B Instruct · Q4_K_M",
        role: "chat",
        reference: "hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        downloadBytes: 491_400_064,
        sizeIsApproximate: false,
        parameters: "0.5B",
        quantization: "Q4_K_M",
        shape: shape0_5b,
        license: "Apache-2.0",
        description: "Tiny chat model for very little memory: short, simple answers",
    },
    // Revision ebb2015119c907b064c512bf053e945850b5875f, SHA-256 e1a77721fa97d412…
    {
        id: "qwen2.5-coder-0.5b-instruct-q8_0",
        label: "Qwen2.5-Coder 0.5B Instruct · Q8_0",
        role: "chat",
        reference: "hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q8_0.gguf",
        downloadBytes: 675_710_848,
        sizeIsApproximate: false,
        parameters: "0.5B",
        quantization: "Q8_0",
        shape: shape0_5b,
        smallerAlternative: "qwen2.5-coder-0.5b-instruct-q4_k_m",
        license: "Apache-2.0",
        description: "Small chat model for machines with 4 GB: quick questions and short snippets",
    },
    // Revision f86cb2c1fa58255f8052cc32aeede1b7482d4361, SHA-256 cc324af070c2ecbf…
    {
        id: "qwen2.5-coder-1.5b-instruct-q4_k_m",
        label: "Qwen2.5-Coder 1.5B Instruct · Q4_K_M",
        role: "chat",
        reference: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        downloadBytes: 1_117_320_768,
        sizeIsApproximate: false,
        parameters: "1.5B",
        quantization: "Q4_K_M",
        shape: shape1_5b,
        smallerAlternative: "qwen2.5-coder-0.5b-instruct-q8_0",
        license: "Apache-2.0",
        description: "Light chat for 8 GB machines: explains code, writes small functions",
    },
    // Revision f86cb2c1fa58255f8052cc32aeede1b7482d4361, SHA-256 507de59046601282…
    {
        id: "qwen2.5-coder-1.5b-instruct-q8_0",
        label: "Qwen2.5-Coder 1.5B Instruct · Q8_0",
        role: "chat",
        reference: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q8_0.gguf",
        downloadBytes: 1_894_532_160,
        sizeIsApproximate: false,
        parameters: "1.5B",
        quantization: "Q8_0",
        shape: shape1_5b,
        smallerAlternative: "qwen2.5-coder-1.5b-instruct-q4_k_m",
        license: "Apache-2.0",
        description: "Light chat at full quality: explains code, writes small functions",
    },
    // Revision f74adce6aa16316c625447af059dbebe4983757c, SHA-256 724fb256bec1ff06…
    // Licence: Qwen/Qwen2.5-Coder-3B-Instruct is qwen-research (its model card's metadata).
    {
        id: "qwen2.5-coder-3b-instruct-q4_k_m",
        label: "Qwen2.5-Coder 3B Instruct · Q4_K_M",
        role: "chat",
        reference: "hf:Qwen/Qwen2.5-Coder-3B-Instruct-GGUF/qwen2.5-coder-3b-instruct-q4_k_m.gguf",
        downloadBytes: 2_104_932_800,
        sizeIsApproximate: false,
        parameters: "3B",
        quantization: "Q4_K_M",
        shape: shape3b,
        smallerAlternative: "qwen2.5-coder-1.5b-instruct-q8_0",
        license: "qwen-research",
        description: `Capable chat in about 2 GB; ${researchLicenceNote}`,
    },
    // Revision f74adce6aa16316c625447af059dbebe4983757c, SHA-256 f648c25dfd5a0870…
    {
        id: "qwen2.5-coder-3b-instruct-q8_0",
        label: "Qwen2.5-Coder 3B Instruct · Q8_0",
        role: "chat",
        reference: "hf:Qwen/Qwen2.5-Coder-3B-Instruct-GGUF/qwen2.5-coder-3b-instruct-q8_0.gguf",
        downloadBytes: 3_616_088_512,
        sizeIsApproximate: false,
        parameters: "3B",
        quantization: "Q8_0",
        shape: shape3b,
        smallerAlternative: "qwen2.5-coder-3b-instruct-q4_k_m",
        license: "qwen-research",
        description: `Capable chat at full quality; ${researchLicenceNote}`,
    },
    // Revision 13fb94bfda8c8cf22497dc57b78f391a9acb426a, SHA-256 509287f78cb4d4cf…
    {
        id: "qwen2.5-coder-7b-instruct-q4_k_m",
        label: "Qwen2.5-Coder 7B Instruct · Q4_K_M",
        role: "chat",
        reference: "hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q4_k_m.gguf",
        downloadBytes: 4_683_073_536,
        sizeIsApproximate: false,
        parameters: "7B",
        quantization: "Q4_K_M",
        shape: shape7b,
        smallerAlternative: "qwen2.5-coder-1.5b-instruct-q8_0",
        license: "Apache-2.0",
        description: "Strong chat and edits for machines with 16 GB",
    },
    // Revision 13fb94bfda8c8cf22497dc57b78f391a9acb426a, SHA-256 b36a4e1c3ddf2ba6…
    {
        id: "qwen2.5-coder-7b-instruct-q8_0",
        label: "Qwen2.5-Coder 7B Instruct · Q8_0",
        role: "chat",
        reference: "hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q8_0.gguf",
        downloadBytes: 8_098_525_184,
        sizeIsApproximate: false,
        parameters: "7B",
        quantization: "Q8_0",
        shape: shape7b,
        smallerAlternative: "qwen2.5-coder-7b-instruct-q4_k_m",
        license: "Apache-2.0",
        description: "Strongest chat and edits, for machines with 32 GB or more",
    },
];

const presetsById = new Map(modelPresets.map((preset) => [preset.id, preset]));

export function presetById(id: string): ModelPreset | undefined {
    return presetsById.get(id);
}

interface HfFileReference {
    readonly owner: string;
    readonly repo: string;
    /** Path inside the repo, "/"-separated; ends in .gguf. */
    readonly file: string;
}

const huggingFaceUrlPrefix = "https://huggingface.co/";

/**
 * The owner, repo and file of a reference that names one GGUF file on the main branch:
 * `hf:owner/repo/file.gguf`, `hf://owner/repo/file.gguf`, or the download URL
 * `https://huggingface.co/owner/repo/resolve/main/file.gguf[?download=true]`. Undefined for
 * anything else, such as a quantisation tag (`hf:owner/repo:Q8_0`), which only the manifest API
 * can turn into a file, or another branch.
 */
export function parseHfFileReference(reference: string): HfFileReference | undefined {
    const text = reference.trim();
    let parts: string[];
    if (text.startsWith("hf://") || text.startsWith("hf:")) {
        let rest = text.slice(text.startsWith("hf://") ? "hf://".length : "hf:".length);
        const hash = rest.indexOf("#");
        if (hash >= 0) {
            const branch = rest.slice(hash + 1);
            if (branch !== "" && branch !== "main") return undefined;
            rest = rest.slice(0, hash);
        }
        parts = rest.split("/");
    } else if (text.toLowerCase().startsWith(huggingFaceUrlPrefix)) {
        const path = text.slice(huggingFaceUrlPrefix.length).split(/[?#]/, 1)[0] ?? "";
        const [owner = "", repo = "", resolve, branch, ...file] = path.split("/");
        if (resolve !== "resolve" || branch !== "main") return undefined;
        parts = [owner, repo, ...file].map(decodeUrlPart);
    } else {
        return undefined;
    }
    const [owner = "", repo = "", ...fileParts] = parts;
    const file = fileParts.join("/");
    if (owner === "" || repo === "" || repo.includes(":") || fileParts.some((part) => part === "")) return undefined;
    if (!file.toLowerCase().endsWith(".gguf")) return undefined;
    return { owner, repo, file };
}

function decodeUrlPart(part: string): string {
    try {
        return decodeURIComponent(part);
    } catch {
        return part;
    }
}

/** The preset a reference names, in any form parseHfFileReference accepts, ignoring case. */
export function presetByReference(reference: string): ModelPreset | undefined {
    const key = canonicalKey(reference);
    return key === undefined ? undefined : modelPresets.find((preset) => canonicalKey(preset.reference) === key);
}

function canonicalKey(reference: string): string | undefined {
    const parsed = parseHfFileReference(reference);
    return parsed === undefined ? undefined : `hf:${parsed.owner}/${parsed.repo}/${parsed.file}`.toLowerCase();
}

/** Hearth's defaults, which decide what a recommendation has to fit (each read from where it lives). */
export const hearthMemoryDefaults = {
    /** Tokens of context per sequence: the `hearth.contextSize` default. */
    contextSize: defaultNumber("contextSize"),
    /** Sequences the completion model keeps, one per cached document. */
    completionSequences: engineSequences.completion,
    /** Sequences chat adds: to the completion model when it serves both, else to its own model. */
    chatSequences: engineSequences.chat,
} as const;

/** f16 K and V caches: two bytes per element. */
const kvCacheElementBytes = 2;

/** KV-cache bytes one token takes in one sequence: K and V, per layer, per KV head, per head dim. */
function kvCacheBytesPerToken(shape: ModelShape): number {
    return 2 * shape.layers * shape.kvHeads * shape.headDim * kvCacheElementBytes;
}

/**
 * What a loaded model takes beyond its weights and KV cache, per model: llama.cpp's compute buffer
 * and output buffer, and graph bookkeeping. Hearth evaluates at most 128 tokens at a time
 * (evaluationSliceTokens in src/sidecar/modelContext.ts). At that batch the largest compute tensor is
 * the logits, 151,936 vocabulary entries × 128 tokens × 4 bytes ≈ 78 MB, for every Qwen2.5 size;
 * attention scratch without flash attention adds KV cells × 128 × heads × 4 bytes (about 25 MB
 * for a 4,096-token sequence of the 1.5B). 256 MiB covers these about twice over, rounding up on
 * purpose: an estimate that errs high costs a smaller recommendation, one that errs low costs a
 * machine that swaps.
 */
export const computeAllowanceBytes = 256 * 1024 * 1024;

/**
 * Memory to run a preset: its weights (the file's size: llama.cpp maps the file and keeps all of
 * it), the KV cache (f16 K and V: 2 × layers × kvHeads × headDim × 2 bytes per token, for
 * `contextSize` tokens in each of `sequences` sequences), and computeAllowanceBytes.
 */
export function estimatePresetMemory(preset: ModelPreset, contextSize: number, sequences: number): number {
    if (!Number.isFinite(contextSize) || contextSize < 1) throw new RangeError(`contextSize must be at least 1, not ${contextSize}`);
    if (!Number.isInteger(sequences) || sequences < 1) throw new RangeError(`sequences must be a whole number of at least 1, not ${sequences}`);
    return preset.downloadBytes + kvCacheBytesPerToken(preset.shape) * contextSize * sequences + computeAllowanceBytes;
}

/** Both models of a pair at Hearth's defaults: completions' sequences on one, chat's on the other. */
export function estimatePairMemory(completion: ModelPreset, chat: ModelPreset): number {
    const { contextSize, completionSequences, chatSequences } = hearthMemoryDefaults;
    return estimatePresetMemory(completion, contextSize, completionSequences) + estimatePresetMemory(chat, contextSize, chatSequences);
}

export interface MachineMemory {
    readonly totalBytes: number;
    readonly freeBytes: number;
    /** process.platform */
    readonly platform: string;
    /** process.arch */
    readonly arch: string;
}

export interface Recommendation {
    readonly completion: ModelPreset;
    readonly chat: ModelPreset;
    /** Both together at Hearth's default context: estimatePairMemory. */
    readonly memoryBytes: number;
    /** One sentence for the user. */
    readonly reason: string;
}

/**
 * The most of a machine's total memory a recommended pair may take. The other half is for the
 * operating system, VS Code with its extension host and language servers, a browser, and whatever
 * the user builds and runs; on a Mac the GPU's share of unified memory also comes out of the total
 * (macOS lets the GPU use roughly two thirds to three quarters of it), which a half stays under.
 */
export const recommendationMemoryFraction = 0.5;

const GiB = 1024 ** 3;

interface RecommendationTier {
    /** The least total memory (as the OS reports it: binary gigabytes) the tier is offered on. */
    readonly minTotalBytes: number;
    /**
     * The machines the tier is for, in the memory they are sold with (what users know): README's
     * table and the walkthrough show this. A 16 GB machine reports about 15 GiB, so the 15 GiB
     * threshold is "16 to 31 GB".
     */
    readonly machines: string;
    readonly completionId: string;
    readonly chatId: string;
}

/**
 * The pairs Hearth recommends, smallest first, and the total memory each starts at. Each pair's
 * estimate at Hearth's defaults is under recommendationMemoryFraction of its threshold (the tests
 * check that), and recommendModels also refuses a tier whose pair would exceed that fraction of
 * the machine at hand, so the fraction holds even if a size here is revised.
 *
 * Completions stay at 1.5B Q8_0 from 8 GB up: a completion is wanted within a few hundred
 * milliseconds of a keystroke, so a bigger completion model costs latency on every keystroke,
 * while a bigger chat model costs it only when asked. Thresholds sit below the marketed sizes
 * because machines report less than they are sold with (firmware, integrated graphics).
 *
 *   total memory    completion                 chat                           pair (approx.)
 *   below 5.5 GiB   0.5B Q8_0                  0.5B Instruct Q8_0             1.9 GB
 *   5.5 GiB (6 GB)  0.5B Q8_0                  1.5B Instruct Q4_K_M           2.5 GB
 *   7.5 GiB (8 GB)  1.5B Q8_0                  1.5B Instruct Q4_K_M           3.8 GB
 *   15 GiB (16 GB)  1.5B Q8_0                  7B Instruct Q4_K_M             7.5 GB
 *   30 GiB (32 GB)  1.5B Q8_0                  7B Instruct Q8_0              10.9 GB
 *
 * No 3B is recommended: Qwen publishes Qwen2.5-Coder 3B under the Qwen Research License
 * (non-commercial use), unlike the Apache-2.0 sizes. It stays in the picker, labelled.
 */
export const recommendationTiers: readonly RecommendationTier[] = [
    { minTotalBytes: 0, machines: "less than 6 GB", completionId: "qwen2.5-coder-0.5b-q8_0", chatId: "qwen2.5-coder-0.5b-instruct-q8_0" },
    { minTotalBytes: 5.5 * GiB, machines: "6 or 7 GB", completionId: "qwen2.5-coder-0.5b-q8_0", chatId: "qwen2.5-coder-1.5b-instruct-q4_k_m" },
    { minTotalBytes: 7.5 * GiB, machines: "8 to 15 GB", completionId: "qwen2.5-coder-1.5b-q8_0", chatId: "qwen2.5-coder-1.5b-instruct-q4_k_m" },
    { minTotalBytes: 15 * GiB, machines: "16 to 31 GB", completionId: "qwen2.5-coder-1.5b-q8_0", chatId: "qwen2.5-coder-7b-instruct-q4_k_m" },
    { minTotalBytes: 30 * GiB, machines: "32 GB or more", completionId: "qwen2.5-coder-1.5b-q8_0", chatId: "qwen2.5-coder-7b-instruct-q8_0" },
];

/**
 * The completion and chat models to offer a machine: the largest tier whose threshold the total
 * memory reaches and whose pair fits recommendationMemoryFraction of it. Chosen by total memory,
 * not free memory: free memory swings with whatever is open (and macOS counts reclaimable cache
 * as used), and whether the models fit right now is judged when they load.
 */
export function recommendModels(machine: MachineMemory): Recommendation {
    const budget = machine.totalBytes * recommendationMemoryFraction;
    const pairs = recommendationTiers.map((tier) => {
        const completion = requirePreset(tier.completionId);
        const chat = requirePreset(tier.chatId);
        return { tier, completion, chat, memoryBytes: estimatePairMemory(completion, chat) };
    });
    const fitting = pairs.filter((pair) => pair.tier.minTotalBytes <= machine.totalBytes && pair.memoryBytes <= budget);
    // Below the smallest pair's need nothing fits the fraction; the smallest is still the best offer.
    const chosen = fitting.length > 0 ? fitting[fitting.length - 1] : pairs[0];
    if (chosen === undefined) throw new Error("recommendationTiers is empty");
    const { completion, chat, memoryBytes } = chosen;
    const memory = `${formatMachineMemory(machine.totalBytes)} of ${machine.platform === "darwin" && machine.arch === "arm64" ? "unified memory" : "memory"}`;
    const pair = `${completion.label} for completions and ${chat.label} for chat need about ${formatBytes(memoryBytes)} together`;
    const reason =
        memoryBytes <= budget
            ? `Chosen for ${memory}: ${pair}, which leaves at least half of it for the system, the editor and your other apps.`
            : `Chosen for ${memory}: ${pair}, the least Hearth offers, so close other apps while using them.`;
    return { completion, chat, memoryBytes, reason };
}

function requirePreset(id: string): ModelPreset {
    const preset = presetById(id);
    if (preset === undefined) throw new Error(`No model preset has the id ${id}`);
    return preset;
}
