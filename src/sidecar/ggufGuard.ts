/**
 * A bounded structural check of a GGUF file, run before node-llama-cpp's reader or llama.cpp
 * sees the file. Both trust the header: node-llama-cpp's reader allocates and loops as long as
 * an array or string length says (and reads zeros past the end of the file, so a huge length
 * hangs the process), and llama.cpp aborts the whole process (GGML_ASSERT) on values such as a
 * block count above 512 or a vocabulary that repeats a token.
 *
 * The guard reads the header region (metadata and tensor infos) once, front to back, through a
 * 64 KiB buffer. Every length and count is checked against the bytes left in the file (and the
 * header's size limit) before anything is read or allocated from it; 64-bit values are read as
 * bigint and range-checked before they become numbers. Strings and arrays are skipped, not read,
 * except the few values it checks. Its work is bounded by the size of the header region.
 *
 * Layout (ggml/src/gguf.cpp): magic "GGUF", u32 version, u64 tensor count, u64 key/value
 * count, the key/value pairs, the tensor infos (name, u32 dimension count, u64 dimensions, u32
 * ggml type, u64 offset in the data section), padding to the alignment, the tensor data.
 */
import { open, type FileHandle } from "node:fs/promises";
import { EngineError, errorMessage } from "./engineError";
import { ggmlTypeLayout, removedGgmlTypeName } from "./ggmlTypeSizes";
import { formatBytes } from "../common/units";

/** What the guard checked and how much work it took: the work is bounded by the header's size. */
export interface GgufGuardReport {
    readonly version: number;
    readonly tensorCount: number;
    readonly kvCount: number;
    /** `general.architecture`. */
    readonly architecture: string;
    readonly alignment: number;
    /** Tokens in `tokenizer.ggml.tokens`, 0 when the file has none. */
    readonly tokenCount: number;
    /** Where the tensor infos end. */
    readonly headerBytes: number;
    /** Where the data section starts (the header padded to the alignment). */
    readonly dataOffset: number;
    /** Where the last tensor's data ends (at most the file size). */
    readonly dataEnd: number;
    /** Bytes read from the file. */
    readonly bytesRead: number;
    /** Read calls made. */
    readonly reads: number;
    /** Values looked at one by one: keys, scalars, strings, array elements read (not those skipped). */
    readonly valuesScanned: number;
}

const MiB = 1024 * 1024;

/** Bounds no real model comes near; values past them are refused before llama.cpp sees them. */
export const ggufGuardLimits = {
    /** Metadata and tensor infos together (a real model's are a few MB). */
    maxHeaderBytes: 256 * MiB,
    maxTensors: 1_000_000,
    maxKeys: 1_000_000,
    /** The GGUF specification's limit for a key (2^16 - 1). */
    maxKeyBytes: 65_535,
    /** ggml's GGML_MAX_NAME is 64 bytes with the terminator; gguf.cpp refuses longer names. */
    maxTensorNameBytes: 63,
    /** Longest string value kept for a check (the architecture name, the rope scaling type). */
    maxKeptStringBytes: 128,
    maxAlignment: 65_536,
    maxTensorElements: 2 ** 53,
    /** llama.cpp's LLAMA_MAX_LAYERS: it aborts (GGML_ASSERT) on more. */
    maxLayers: 512,
    maxHeads: 16_384,
    maxEmbedding: 1_048_576,
    maxContext: 16_777_216,
    maxFeedForward: 4_194_304,
    /** llama.cpp's LLAMA_MAX_EXPERTS: it aborts on more. */
    maxExperts: 1024,
    maxTokens: 16_777_216,
    /** Per-layer arrays longer than this are not kept (they cannot match a valid block count). */
    maxKeptArray: 4096,
} as const;

const chunkBytes = 64 * 1024;

// GGUF value types (gguf.h `enum gguf_type`).
const U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    STRING = 8,
    ARRAY = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12;
const valueTypeNames = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"] as const;
/** Bytes of a fixed-size value; strings and arrays have at least 8 (their u64 length). */
const valueSizes = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8] as const;
const integerTypes: ReadonlySet<number> = new Set([U8, I8, U16, I16, U32, I32, U64, I64]);

/** Smallest possible key/value pair: a u64 key length, a 1-byte key, a u32 type, a 1-byte value. */
const minKvBytes = 14n;
/** Smallest possible tensor info: u64 name length, u32 dimension count, one u64 dimension, u32 type, u64 offset. */
const minTensorInfoBytes = 32n;

/**
 * `{arch}.` sizes that shape tensors every layer has, when present: llama.cpp aborts (GGML_ASSERT
 * `ne >= 1` in llama-model-loader.cpp) when one of them is 0, so each must be 1 to its bound.
 */
const dimensionKeys: ReadonlyMap<string, number> = new Map([
    ["attention.key_length", 65_536],
    ["attention.value_length", 65_536],
    ["ssm.conv_kernel", 65_536],
    ["ssm.inner_size", 1_048_576],
    ["ssm.state_size", 1_048_576],
    ["ssm.time_step_rank", 1_048_576],
]);
/** `{arch}.` keys whose values are checked. */
const hyperparameterKeys: ReadonlySet<string> = new Set([
    "block_count",
    "context_length",
    "embedding_length",
    "feed_forward_length",
    "attention.head_count",
    "attention.head_count_kv",
    "expert_count",
    "expert_used_count",
    "expert_group_count",
    "expert_group_used_count",
    "nextn_predict_layers",
    "rope.scaling.type",
    ...dimensionKeys.keys(),
]);
/** Architectures without attention: converters write a head count of 0 for them (llama-arch.cpp `llm_arch_is_recurrent`). */
const attentionFreeArchitectures: ReadonlySet<string> = new Set(["mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7"]);
/**
 * Architectures with layers that have no attention or no feed-forward part (llama-arch.cpp
 * `llm_arch_is_recurrent` and `llm_arch_is_hybrid`, and DeciLM): only their files may give a layer
 * 0 heads or a feed-forward length of 0. Any other architecture's loader then builds a tensor with
 * a dimension of 0, and llama.cpp aborts.
 */
const layerSkippingArchitectures: ReadonlySet<string> = new Set([
    ...attentionFreeArchitectures,
    "jamba",
    "falcon-h1",
    "plamo2",
    "granitehybrid",
    "lfm2",
    "lfm2moe",
    "nemotron_h",
    "nemotron_h_moe",
    "qwen3next",
    "kimi-linear",
    "bailingmoe3",
    "kimi-k3",
    "qwen35",
    "qwen35moe",
    "qwen4exp",
    "deepseek4",
    "minimax-01",
    "deci",
]);
/** llama-model.cpp `LLAMA_ROPE_SCALING_TYPES`: any other name aborts the load. */
const ropeScalingTypes: ReadonlySet<string> = new Set(["none", "linear", "yarn", "longrope"]);

const tokensKey = "tokenizer.ggml.tokens";
const perTokenKeys = ["tokenizer.ggml.scores", "tokenizer.ggml.token_type"] as const;

/** A checked value kept for the checks after the metadata pass. */
type Kept =
    | { readonly kind: "integer"; readonly type: number; readonly value: bigint }
    /** `values` is undefined when the array is too long to keep. */
    | { readonly kind: "integers"; readonly elementType: number; readonly count: number; readonly values: readonly bigint[] | undefined }
    /** `value` (latin1, byte for byte) is undefined when the string is too long to keep. */
    | { readonly kind: "string"; readonly value: string | undefined; readonly bytes: number }
    | { readonly kind: "array"; readonly elementType: number; readonly count: number }
    | { readonly kind: "other"; readonly type: number };

/** The guard's work on one file, filled in whether it passes or refuses the file. */
export interface GgufGuardWork {
    bytesRead: number;
    reads: number;
    valuesScanned: number;
}

/**
 * Checks a GGUF file's structure before anything else parses it. Throws an `EngineError` naming
 * the file and the problem: "corruptModel" for values no real model has, "truncated" for a file
 * that ends early, "notGguf" for a wrong signature or version, "unreadable" when it cannot be read.
 * `work`, when given, receives the counts of work done, also when the file is refused.
 */
export async function checkGgufStructure(path: string, sizeBytes: number, work?: GgufGuardWork): Promise<GgufGuardReport> {
    let handle: FileHandle;
    try {
        handle = await open(path, "r");
    } catch (error) {
        throw new EngineError("unreadable", `The model file cannot be read: ${errorMessage(error)}`, path);
    }
    const reader = new HeaderReader(handle, sizeBytes, path);
    const guard = new GgufGuard(reader, path);
    try {
        return await guard.check();
    } catch (error) {
        if (error instanceof EngineError) throw error;
        if (isFileSystemError(error)) throw new EngineError("unreadable", `The model file cannot be read: ${errorMessage(error)}`, path);
        // A bug in the guard or a case it did not foresee: still an error that names the file, never a crash.
        throw new EngineError("corruptModel", `Its GGUF header could not be checked (${errorMessage(error)}).`, path);
    } finally {
        if (work !== undefined) {
            work.bytesRead = reader.bytesRead;
            work.reads = reader.reads;
            work.valuesScanned = guard.valuesScanned;
        }
        await handle.close().catch(() => undefined);
    }
}

class GgufGuard {
    private readonly kept = new Map<string, Kept>();
    private tokenArray: { readonly start: number; readonly count: number; readonly repeat: readonly [number, number] | undefined } | undefined;
    private scanned = 0;

    constructor(
        private readonly reader: HeaderReader,
        private readonly path: string,
    ) {}

    async check(): Promise<GgufGuardReport> {
        const reader = this.reader;
        if (reader.fileSize < 4) throw new EngineError("notGguf", "It is too short to be a GGUF file.", this.path);
        reader.subject = "its signature";
        const magic = await reader.text(4);
        if (magic !== "GGUF") throw new EngineError("notGguf", "It does not start with the GGUF signature.", this.path);
        reader.subject = "its version";
        const version = await reader.u32();
        checkVersion(version, this.path);

        reader.subject = "its tensor count";
        const tensorCount = this.headerCount(await reader.u64(), minTensorInfoBytes, ggufGuardLimits.maxTensors, "tensors");
        reader.subject = "its metadata count";
        const kvCount = this.headerCount(await reader.u64(), minKvBytes, ggufGuardLimits.maxKeys, "metadata entries");

        await this.readMetadata(kvCount);
        const alignment = this.alignment();
        const architecture = this.architecture();
        if (tensorCount === 0 && !this.isSplitPart()) {
            throw this.corrupt("It holds no tensors, so no weights: it is a vocabulary-only file, not a model to run.");
        }
        this.checkHyperparameters(architecture);
        await this.checkTokenizer();

        const tensors = await this.readTensorInfos(tensorCount, alignment);
        const headerBytes = reader.position;
        const dataOffset = tensorCount === 0 ? headerBytes : alignUp(headerBytes, alignment);
        const dataEnd = this.checkTensorData(tensors, dataOffset, alignment);
        return {
            version,
            tensorCount,
            kvCount,
            architecture: Buffer.from(architecture, "latin1").toString("utf8"),
            alignment,
            tokenCount: this.tokenArray?.count ?? 0,
            headerBytes,
            dataOffset,
            dataEnd,
            bytesRead: reader.bytesRead,
            reads: reader.reads,
            valuesScanned: this.valuesScanned,
        };
    }

    get valuesScanned(): number {
        return this.scanned + this.reader.valuesScanned;
    }

    // ---------- header ----------

    /** A tensor or key count, checked against the bytes left and against a sane cap. */
    private headerCount(count: bigint, minBytes: bigint, cap: number, what: string): number {
        this.reader.claim(count * minBytes, "its header", `${count} ${what}`);
        if (count > BigInt(cap)) throw this.corrupt(`Its header claims ${count} ${what}, more than any model has (at most ${cap}).`);
        return Number(count);
    }

    // ---------- metadata ----------

    private async readMetadata(kvCount: number): Promise<void> {
        const reader = this.reader;
        const keys = new Set<string>();
        for (let index = 1; index <= kvCount; index++) {
            reader.subject = `its metadata key #${index}`;
            const keyBytes = await reader.u64();
            if (keyBytes === 0n) throw this.corrupt(`Its metadata key #${index} is empty.`);
            if (keyBytes > BigInt(ggufGuardLimits.maxKeyBytes)) {
                throw this.corrupt(`Its metadata key #${index} claims to be ${keyBytes} bytes long; GGUF keys are at most ${ggufGuardLimits.maxKeyBytes}.`);
            }
            reader.claim(keyBytes, `its metadata key #${index}`, `${keyBytes} bytes`);
            const key = await reader.text(Number(keyBytes));
            if (keys.has(key)) throw this.corrupt(`Its metadata key ${quote(key)} appears twice.`);
            keys.add(key);
            this.scanned++;

            const subject = `its metadata value ${quote(key)}`;
            reader.subject = subject;
            const type = await reader.u32();
            const kept = type === ARRAY ? await this.readArray(key, subject) : await this.readScalar(key, type, subject);
            if (kept !== undefined) this.kept.set(key, kept);
            if (reader.position > ggufGuardLimits.maxHeaderBytes) throw this.headerTooLarge();
        }
    }

    private async readScalar(key: string, type: number, subject: string): Promise<Kept | undefined> {
        const reader = this.reader;
        this.scanned++;
        if (type > F64) throw this.corrupt(`${capitalize(subject)} has type ${type}, which is not a GGUF value type (0 to 12).`);
        const keep = isKeptKey(key);
        if (type === STRING) {
            const bytes = await reader.u64();
            reader.claim(bytes, subject, `a string of ${bytes} bytes`);
            const length = Number(bytes);
            if (keep && length <= ggufGuardLimits.maxKeptStringBytes) return { kind: "string", value: await reader.text(length), bytes: length };
            reader.skip(length);
            return keep ? { kind: "string", value: undefined, bytes: length } : undefined;
        }
        if (keep && integerTypes.has(type)) return { kind: "integer", type, value: await reader.integer(type) };
        reader.claim(BigInt(valueSizes[type]), subject, `a ${valueTypeNames[type]} value`);
        reader.skip(valueSizes[type]);
        return keep ? { kind: "other", type } : undefined;
    }

    private async readArray(key: string, subject: string): Promise<Kept | undefined> {
        const reader = this.reader;
        const elementType = await reader.u32();
        if (elementType === ARRAY) throw this.corrupt(`${capitalize(subject)} is an array of arrays, which llama.cpp cannot read.`);
        if (elementType > F64) throw this.corrupt(`${capitalize(subject)} is an array of type ${elementType}, which is not a GGUF value type (0 to 12).`);
        const countValue = await reader.u64();
        reader.claim(countValue * BigInt(valueSizes[elementType]), subject, `${countValue} entries`);
        const count = Number(countValue); // below 2^28: the claim bounds it by the header size
        const keep = isKeptKey(key);

        if (elementType === STRING) {
            if (key === tokensKey) {
                if (count > ggufGuardLimits.maxTokens)
                    throw this.corrupt(`${capitalize(subject)} lists ${count} tokens, more than the ${ggufGuardLimits.maxTokens} Hearth accepts.`);
                const start = reader.position;
                const hashes = new TokenHashes(count);
                await reader.scanStrings(count, subject, hashes);
                this.tokenArray = { start, count, repeat: hashes.firstRepeat() };
            } else {
                await reader.scanStrings(count, subject, undefined);
            }
            return keep ? { kind: "array", elementType, count } : undefined;
        }
        if (keep && integerTypes.has(elementType) && count <= ggufGuardLimits.maxKeptArray && !key.startsWith("tokenizer.")) {
            const values: bigint[] = [];
            for (let i = 0; i < count; i++) values.push(await reader.integer(elementType));
            return { kind: "integers", elementType, count, values };
        }
        reader.skip(count * valueSizes[elementType]);
        if (!keep) return undefined;
        return integerTypes.has(elementType) ? { kind: "integers", elementType, count, values: undefined } : { kind: "array", elementType, count };
    }

    private alignment(): number {
        const kept = this.kept.get("general.alignment");
        if (kept === undefined) return 32;
        if (kept.kind !== "integer" || kept.type !== U32) throw this.corrupt(`Its general.alignment is ${describe(kept)}; it must be a u32 power of two.`);
        const value = kept.value;
        if (value < 1n || value > BigInt(ggufGuardLimits.maxAlignment) || (value & (value - 1n)) !== 0n) {
            throw this.corrupt(`Its general.alignment is ${value}, not a power of two from 1 to ${ggufGuardLimits.maxAlignment}.`);
        }
        return Number(value);
    }

    /** The architecture name (latin1, byte for byte, as the keys are). */
    private architecture(): string {
        const kept = this.kept.get("general.architecture");
        if (kept === undefined) throw this.corrupt("It names no model architecture: its general.architecture is missing.");
        if (kept.kind !== "string") throw this.corrupt(`Its general.architecture is ${describe(kept)}, not the name of an architecture.`);
        if (kept.value === undefined) throw this.corrupt(`Its general.architecture is a string of ${kept.bytes} bytes, not the name of an architecture.`);
        if (kept.value.trim() === "") throw this.corrupt("Its general.architecture is empty: it names no model architecture.");
        return kept.value;
    }

    /** The first file of a split model may hold no tensors (gguf-split --no-tensor-first-split). */
    private isSplitPart(): boolean {
        const kept = this.kept.get("split.count");
        return kept?.kind === "integer" && kept.value > 1n;
    }

    // ---------- hyperparameters ----------

    private checkHyperparameters(architecture: string): void {
        const limits = ggufGuardLimits;
        const key = (name: string): string => `${architecture}.${name}`;
        const layers = this.scalar(key("block_count"));
        if (layers !== undefined && (layers < 1n || layers > BigInt(limits.maxLayers))) {
            throw this.corrupt(`Its ${show(key("block_count"))} is ${layers}, but llama.cpp loads models of 1 to ${limits.maxLayers} layers.`);
        }
        this.inRange(key("context_length"), this.scalar(key("context_length")), 1, limits.maxContext);
        this.inRange(key("embedding_length"), this.scalar(key("embedding_length")), 1, limits.maxEmbedding);
        for (const [name, max] of dimensionKeys) this.inRange(key(name), this.scalar(key(name)), 1, max);

        // 0 heads or a feed-forward length of 0 (a layer without that part) only where the architecture has such layers.
        const skipsLayers = layerSkippingArchitectures.has(architecture);
        const noZero = (name: string, values: readonly bigint[], part: string): void => {
            const layer = values.indexOf(0n);
            if (layer < 0 || skipsLayers) return;
            throw this.corrupt(
                `Its ${show(key(name))} is 0${perLayerNote(values, layer)}, but a ${show(architecture)} model has no layers without ${part}: llama.cpp would build an empty tensor and abort.`,
            );
        };
        const feedForward = this.perLayer(key("feed_forward_length"), layers);
        if (feedForward !== undefined) {
            noZero("feed_forward_length", feedForward, "a feed-forward part");
            feedForward.forEach((value, layer) => this.inRange(key("feed_forward_length"), value, 0, limits.maxFeedForward, perLayerNote(feedForward, layer)));
        }
        const heads = this.perLayer(key("attention.head_count"), layers);
        if (heads !== undefined) {
            if (heads.every((value) => value === 0n) && !attentionFreeArchitectures.has(architecture)) {
                throw this.corrupt(
                    `Its ${show(key("attention.head_count"))} is 0${heads.length > 1 ? " for every layer" : ""}: a ${show(architecture)} model needs at least one attention head.`,
                );
            }
            noZero("attention.head_count", heads, "attention");
            heads.forEach((value, layer) => this.inRange(key("attention.head_count"), value, 0, limits.maxHeads, perLayerNote(heads, layer)));
        }
        const kvHeads = this.perLayer(key("attention.head_count_kv"), layers);
        if (kvHeads !== undefined) {
            noZero("attention.head_count_kv", kvHeads, "attention");
            kvHeads.forEach((value, layer) => this.inRange(key("attention.head_count_kv"), value, 0, limits.maxHeads, perLayerNote(kvHeads, layer)));
            if (heads !== undefined) this.checkKvHeads(key, heads, kvHeads);
        }

        this.checkExperts(key, layers);
        const nextn = this.scalar(key("nextn_predict_layers"));
        if (nextn !== undefined && layers !== undefined && (nextn < 0n || nextn > layers)) {
            throw this.corrupt(`Its ${show(key("nextn_predict_layers"))} is ${nextn}, more than its ${layers} layers.`);
        }
        const ropeScaling = this.kept.get(key("rope.scaling.type"));
        if (ropeScaling !== undefined && (ropeScaling.kind !== "string" || ropeScaling.value === undefined || !ropeScalingTypes.has(ropeScaling.value))) {
            const shown = ropeScaling.kind === "string" && ropeScaling.value !== undefined ? quote(ropeScaling.value) : describe(ropeScaling);
            throw this.corrupt(
                `Its ${show(key("rope.scaling.type"))} is ${shown}; llama.cpp knows ${[...ropeScalingTypes].map((name) => `"${name}"`).join(", ")}.`,
            );
        }
    }

    /** Fewer or as many key/value heads as query heads, layer by layer (a single value: against the most heads). */
    private checkKvHeads(key: (name: string) => string, heads: readonly bigint[], kvHeads: readonly bigint[]): void {
        for (let layer = 0; layer < kvHeads.length; layer++) {
            const kv = kvHeads[layer];
            const most = kvHeads.length === 1 ? heads.reduce((a, b) => (a > b ? a : b)) : heads.length === 1 ? heads[0] : heads.at(layer);
            if (most !== undefined && kv > most) {
                throw this.corrupt(
                    `Its ${show(key("attention.head_count_kv"))} is ${kv}${perLayerNote(kvHeads, layer)}, more than its attention.head_count (${most}).`,
                );
            }
        }
    }

    /** The expert counts llama.cpp asserts on (llama-model.cpp `load_hparams`). */
    private checkExperts(key: (name: string) => string, layers: bigint | undefined): void {
        const experts = this.scalar(key("expert_count")) ?? 0n;
        if (experts < 0n || experts > BigInt(ggufGuardLimits.maxExperts)) {
            throw this.corrupt(`Its ${show(key("expert_count"))} is ${experts}, outside the 0 to ${ggufGuardLimits.maxExperts} experts llama.cpp can load.`);
        }
        const used = this.perLayer(key("expert_used_count"), layers) ?? [0n];
        const mostUsed = used.reduce((a, b) => (a > b ? a : b));
        const leastUsed = used.reduce((a, b) => (a < b ? a : b));
        if (leastUsed < 0n || mostUsed > experts) {
            throw this.corrupt(
                `Its ${show(key("expert_used_count"))} (${leastUsed < 0n ? leastUsed : mostUsed}) is outside 0 to its expert_count (${experts}).`,
            );
        }
        const groups = this.scalar(key("expert_group_count")) ?? 0n;
        const groupsUsed = this.scalar(key("expert_group_used_count")) ?? 0n;
        if (experts === 0n) {
            if (groups !== 0n) throw this.corrupt(`Its ${show(key("expert_group_count"))} is ${groups}, but the model has no experts.`);
            return;
        }
        if (mostUsed === 0n) throw this.corrupt(`It has ${experts} experts but its ${show(key("expert_used_count"))} uses none.`);
        if (groups < 0n || groups >= experts)
            throw this.corrupt(`Its ${show(key("expert_group_count"))} (${groups}) is not below its expert_count (${experts}).`);
        if (groups > 1n && (experts % groups !== 0n || groupsUsed <= 0n || groupsUsed >= groups)) {
            throw this.corrupt(`Its expert groups do not fit: ${experts} experts in ${groups} groups, ${groupsUsed} of them used.`);
        }
    }

    /** An integer scalar, or undefined when absent; anything else is refused. */
    private scalar(key: string): bigint | undefined {
        const kept = this.kept.get(key);
        if (kept === undefined) return undefined;
        if (kept.kind !== "integer") throw this.corrupt(`Its ${show(key)} is ${describe(kept)}, not a whole number.`);
        return kept.value;
    }

    /** An integer or one per layer (as many as the block count), or undefined when absent. */
    private perLayer(key: string, layers: bigint | undefined): bigint[] | undefined {
        const kept = this.kept.get(key);
        if (kept === undefined) return undefined;
        if (kept.kind === "integer") return [kept.value];
        if (kept.kind !== "integers") throw this.corrupt(`Its ${show(key)} is ${describe(kept)}, not a whole number or one per layer.`);
        if (kept.count === 0) throw this.corrupt(`Its ${show(key)} is an empty array.`);
        if (kept.values === undefined) {
            throw this.corrupt(
                `Its ${show(key)} has ${kept.count} entries, one per layer, more than the ${ggufGuardLimits.maxLayers} layers a model can have.`,
            );
        }
        if (layers !== undefined && BigInt(kept.count) !== layers) {
            throw this.corrupt(`Its ${show(key)} has ${kept.count} entries, one per layer, but the model has ${layers} layers.`);
        }
        return [...kept.values];
    }

    private inRange(key: string, value: bigint | undefined, min: number, max: number, note = ""): void {
        if (value === undefined || (value >= BigInt(min) && value <= BigInt(max))) return;
        throw this.corrupt(`Its ${show(key)} is ${value}${note}, outside the ${min} to ${max} a real model has.`);
    }

    // ---------- tokenizer ----------

    private async checkTokenizer(): Promise<void> {
        const tokens = this.kept.get(tokensKey);
        if (tokens === undefined) return;
        if (tokens.kind !== "array" || tokens.elementType !== STRING || this.tokenArray === undefined) {
            throw this.corrupt(`Its ${tokensKey} is ${describe(tokens)}, not a list of token strings.`);
        }
        const { count, repeat } = this.tokenArray;
        if (count === 0) throw this.corrupt(`Its ${tokensKey} is empty: the vocabulary has no tokens.`);
        for (const key of perTokenKeys) {
            const kept = this.kept.get(key);
            if (kept === undefined) continue;
            if ((kept.kind !== "array" && kept.kind !== "integers") || kept.elementType === STRING) {
                throw this.corrupt(`Its ${key} is ${describe(kept)}, not a list of numbers, one per token.`);
            }
            if (kept.count !== count) throw this.corrupt(`Its ${key} has ${kept.count} entries but its vocabulary has ${count} tokens.`);
        }
        if (repeat !== undefined) {
            const [first, second] = repeat;
            const text = await this.reader.stringAt(this.tokenArray.start, first, 120);
            throw this.corrupt(
                `Its vocabulary lists the token ${text === "" ? '"" (empty)' : quote(text)} twice, as ids ${first} and ${second}; llama.cpp cannot load such a vocabulary.`,
            );
        }
    }

    // ---------- tensors ----------

    private async readTensorInfos(tensorCount: number, alignment: number): Promise<TensorInfo[]> {
        const reader = this.reader;
        const names = new Set<string>();
        const tensors: TensorInfo[] = [];
        const alignmentBig = BigInt(alignment);
        for (let index = 1; index <= tensorCount; index++) {
            reader.subject = `the name of its tensor #${index}`;
            const nameBytes = await reader.u64();
            if (nameBytes > BigInt(ggufGuardLimits.maxTensorNameBytes)) {
                throw this.corrupt(`Its tensor #${index} has a name of ${nameBytes} bytes; llama.cpp allows at most ${ggufGuardLimits.maxTensorNameBytes}.`);
            }
            reader.claim(nameBytes, `the name of its tensor #${index}`, `${nameBytes} bytes`);
            const name = await reader.text(Number(nameBytes));
            if (names.has(name)) throw this.corrupt(`Its tensor name ${quote(name)} appears twice.`);
            names.add(name);
            const tensor = `tensor ${quote(name)}`;
            reader.subject = `its ${tensor}`;

            const dimensionCount = await reader.u32();
            if (dimensionCount < 1 || dimensionCount > 4) throw this.corrupt(`Its ${tensor} has ${dimensionCount} dimensions; ggml tensors have 1 to 4.`);
            const dimensions: bigint[] = [];
            for (let d = 0; d < dimensionCount; d++) {
                const dimension = await reader.u64();
                if (dimension >= 2n ** 63n) throw this.corrupt(`Its ${tensor} has a negative dimension (${dimension - 2n ** 64n}).`);
                if (dimension === 0n) throw this.corrupt(`Its ${tensor} has a dimension of 0: a tensor without elements.`);
                dimensions.push(dimension);
            }
            this.scanned += 2 + dimensionCount;
            const elements = dimensions.reduce((product, dimension) => product * dimension, 1n);
            if (elements > BigInt(ggufGuardLimits.maxTensorElements)) {
                throw this.corrupt(`Its ${tensor} has ${dimensions.join(" × ")} = ${elements} elements, more than any tensor can hold.`);
            }

            const type = await reader.u32();
            const layout = ggmlTypeLayout(type);
            if (layout === undefined) {
                const removed = removedGgmlTypeName(type);
                throw this.corrupt(
                    removed === undefined
                        ? `Its ${tensor} has ggml type ${type}, which this version of llama.cpp does not know.`
                        : `Its ${tensor} has ggml type ${type}, which no current llama.cpp knows (${removed} was removed).`,
                );
            }
            const blockElements = BigInt(layout.elementsPerBlock);
            if (dimensions[0] % blockElements !== 0n) {
                throw this.corrupt(
                    `Its ${tensor} of type ${layout.name} has rows of ${dimensions[0]} elements, not a multiple of the type's blocks of ${blockElements}.`,
                );
            }
            const offset = await reader.u64();
            if (offset % alignmentBig !== 0n) {
                throw this.corrupt(`Its ${tensor} starts at offset ${offset} of the data section, which is not a multiple of the alignment (${alignment}).`);
            }
            tensors.push({ name, offset, bytes: (elements / blockElements) * BigInt(layout.bytesPerBlock) });
            if (reader.position > ggufGuardLimits.maxHeaderBytes) throw this.headerTooLarge();
        }
        return tensors;
    }

    /** Where the tensor data ends; refuses data past the end of the file, overlaps and gaps. */
    private checkTensorData(tensors: readonly TensorInfo[], dataOffset: number, alignment: number): number {
        const fileSize = this.reader.fileSize;
        let dataEnd = BigInt(dataOffset);
        for (const tensor of tensors) {
            const end = BigInt(dataOffset) + tensor.offset + tensor.bytes;
            if (end > dataEnd) dataEnd = end;
        }
        if (dataEnd > BigInt(fileSize)) {
            throw new EngineError(
                "truncated",
                `The file is ${fileSize} bytes but its tensors need ${dataEnd}: it is incomplete (an interrupted download or copy?).`,
                this.path,
            );
        }
        // Every offset and size is now below the file size: safe as numbers.
        const spans = tensors.map((tensor) => ({ name: tensor.name, start: Number(tensor.offset), end: Number(tensor.offset + tensor.bytes) }));
        const byStart = spans.map((_, i) => i).sort((a, b) => spans[a].start - spans[b].start);
        let reach: { readonly name: string; readonly end: number } | undefined;
        for (const i of byStart) {
            const span = spans[i];
            if (reach !== undefined && span.start < reach.end) {
                throw this.corrupt(`Its tensors ${quote(reach.name)} and ${quote(span.name)} overlap: their data shares bytes of the file.`);
            }
            if (reach === undefined || span.end > reach.end) reach = span;
        }
        // gguf.cpp requires each tensor right after the one before it (padded to the alignment), in the order listed.
        let expected = 0;
        for (const span of spans) {
            if (span.start !== expected) {
                throw this.corrupt(
                    `Its tensor ${quote(span.name)} starts at offset ${span.start} of the data section, but llama.cpp expects it at ${expected}, right after the tensor before it.`,
                );
            }
            expected = alignUp(span.end, alignment);
        }
        return Number(dataEnd);
    }

    private corrupt(detail: string): EngineError {
        return new EngineError("corruptModel", detail, this.path);
    }

    private headerTooLarge(): EngineError {
        return this.corrupt(`Its header (metadata and tensor list) is larger than ${formatBytes(ggufGuardLimits.maxHeaderBytes)}, which no real model's is.`);
    }
}

interface TensorInfo {
    readonly name: string;
    /** In the data section. */
    readonly offset: bigint;
    readonly bytes: bigint;
}

/**
 * Reads the file front to back through one 64 KiB buffer. `claim` checks a length against the
 * bytes left (and the header limit) before it is skipped or read.
 */
class HeaderReader {
    private readonly buffer = Buffer.alloc(chunkBytes);
    /** File offsets of the buffered bytes: [start, end). */
    private start = 0;
    private end = 0;
    position = 0;
    bytesRead = 0;
    reads = 0;
    valuesScanned = 0;
    /** What is being read, for a message about a file that ends in it. */
    subject = "its header";

    constructor(
        private readonly handle: FileHandle,
        readonly fileSize: number,
        private readonly path: string,
    ) {}

    /**
     * Refuses a length that does not fit: past the end of the file and beyond any real header, the
     * file is corrupt; past the end but plausible, it is cut short; within the file but past the
     * header limit, corrupt.
     */
    claim(bytes: bigint, subject: string, amount: string): void {
        const left = this.fileSize - this.position;
        const room = ggufGuardLimits.maxHeaderBytes - this.position;
        if (bytes <= BigInt(Math.min(left, room))) return;
        if (bytes > BigInt(left)) {
            if (bytes > BigInt(room)) {
                throw new EngineError(
                    "corruptModel",
                    `${capitalize(subject)} claims ${amount}, more than the ${left} bytes left in the file could hold.`,
                    this.path,
                );
            }
            throw new EngineError(
                "truncated",
                `The GGUF header is cut short: ${subject} needs ${bytes} bytes, but the file ends ${left} bytes later.`,
                this.path,
            );
        }
        throw new EngineError(
            "corruptModel",
            `${capitalize(subject)} claims ${amount}, which would make its header (metadata and tensor list) larger than ${formatBytes(ggufGuardLimits.maxHeaderBytes)}; no real model's is.`,
            this.path,
        );
    }

    /** Moves past bytes already claimed, without reading them. */
    skip(bytes: number): void {
        this.position += bytes;
    }

    async u32(): Promise<number> {
        const at = await this.window(4);
        this.position += 4;
        return this.buffer.readUInt32LE(at);
    }

    async u64(): Promise<bigint> {
        const at = await this.window(8);
        this.position += 8;
        return this.buffer.readBigUInt64LE(at);
    }

    async integer(type: number): Promise<bigint> {
        const size = valueSizes[type];
        const at = await this.window(size);
        this.position += size;
        this.valuesScanned++;
        const buffer = this.buffer;
        switch (type) {
            case U8:
                return BigInt(buffer.readUInt8(at));
            case I8:
                return BigInt(buffer.readInt8(at));
            case U16:
                return BigInt(buffer.readUInt16LE(at));
            case I16:
                return BigInt(buffer.readInt16LE(at));
            case U32:
                return BigInt(buffer.readUInt32LE(at));
            case I32:
                return BigInt(buffer.readInt32LE(at));
            case U64:
                return buffer.readBigUInt64LE(at);
            case I64:
                return buffer.readBigInt64LE(at);
            default:
                throw new Error(`${valueTypeNames[type] ?? type} is not an integer type`);
        }
    }

    /** `bytes` (claimed, at most the buffer size) as latin1: one character per byte. */
    async text(bytes: number): Promise<string> {
        const at = await this.window(bytes);
        this.position += bytes;
        return this.buffer.toString("latin1", at, at + bytes);
    }

    /**
     * Moves past `count` strings (the array's size already claimed), checking each length;
     * with `hashes`, fingerprints each string's bytes. The hot loop for vocabularies: it awaits
     * only when the buffer runs out.
     */
    async scanStrings(count: number, subject: string, hashes: TokenHashes | undefined): Promise<void> {
        const buffer = this.buffer;
        this.subject = subject;
        for (let id = 0; id < count; id++) {
            if (this.position < this.start || this.position + 8 > this.end) await this.window(8);
            const at = this.position - this.start;
            const low = buffer.readUInt32LE(at);
            const high = buffer.readUInt32LE(at + 4);
            this.position += 8;
            if (high !== 0 || low > this.fileSize - this.position || this.position + low > ggufGuardLimits.maxHeaderBytes) {
                const bytes = (BigInt(high) << 32n) | BigInt(low);
                this.claim(bytes, `${subject} (entry ${id})`, `a string of ${bytes} bytes`);
            }
            if (hashes === undefined) {
                this.position += low;
                continue;
            }
            if (low === 0) {
                // llama.cpp names an empty token "[EMPTY_<id>]" (llama-vocab.cpp), which another token may already be.
                const name = Buffer.from(`[EMPTY_${id}]`, "latin1");
                hashes.add(id, ...fingerprint(name, 0, name.length, fnvBasis, murmurSeed ^ name.length));
                continue;
            }
            let h1 = fnvBasis;
            let h2 = murmurSeed ^ low;
            let remaining = low;
            while (remaining > 0) {
                if (this.position < this.start || this.position >= this.end) await this.window(1);
                const from = this.position - this.start;
                const take = Math.min(remaining, this.end - this.position);
                [h1, h2] = fingerprint(buffer, from, from + take, h1, h2);
                this.position += take;
                remaining -= take;
            }
            hashes.add(id, h1, h2);
        }
        this.valuesScanned += count;
    }

    /** Up to `maxBytes` of string `index` of the string array at `arrayStart` (already scanned), as latin1. */
    async stringAt(arrayStart: number, index: number, maxBytes: number): Promise<string> {
        this.position = arrayStart;
        for (let i = 0; i < index; i++) {
            const length = Number(await this.u64()); // read first: u64() moves the position
            this.position += length;
        }
        const length = Math.min(Number(await this.u64()), maxBytes);
        return this.text(length);
    }

    /** The buffer index of `bytes` (at most the buffer size) at the position, reading ahead when they are not buffered. */
    async window(bytes: number): Promise<number> {
        if (this.position >= this.start && this.position + bytes <= this.end) return this.position - this.start;
        if (bytes > this.fileSize - this.position) throw this.cutShort();
        // Keep the buffered bytes from the position on, and read after them: each byte is read once.
        let kept = 0;
        if (this.position >= this.start && this.position < this.end) {
            kept = this.end - this.position;
            this.buffer.copy(this.buffer, 0, this.position - this.start, this.end - this.start);
        }
        const wanted = Math.min(this.buffer.length, this.fileSize - this.position) - kept;
        let got = 0;
        while (got < wanted) {
            const { bytesRead } = await this.handle.read(this.buffer, kept + got, wanted - got, this.position + kept + got);
            this.reads++;
            if (bytesRead === 0) break; // the file shrank while it was read
            got += bytesRead;
        }
        this.bytesRead += got;
        this.start = this.position;
        this.end = this.position + kept + got;
        if (bytes > kept + got) throw this.cutShort();
        return 0;
    }

    private cutShort(): EngineError {
        return new EngineError("truncated", `The GGUF header is cut short: the file ends at byte ${this.fileSize}, inside ${this.subject}.`, this.path);
    }
}

const fnvBasis = 0x811c9dc5;
const murmurSeed = 0x9747b28c;

/** Two independent 32-bit hashes of bytes [from, to), continued from `h1` and `h2`. */
function fingerprint(bytes: Uint8Array, from: number, to: number, h1: number, h2: number): [number, number] {
    for (let i = from; i < to; i++) {
        const byte = bytes[i];
        h1 = Math.imul(h1 ^ byte, 0x01000193);
        h2 = Math.imul(h2 ^ byte, 0x5bd1e995);
        h2 ^= h2 >>> 15;
    }
    return [h1, h2];
}

/**
 * Fingerprints of a vocabulary's tokens, to find a token listed twice (llama.cpp aborts on
 * that) without keeping the strings: 61 bits of hash per token, in 12 bytes. Two different
 * strings share a fingerprint about once in 2^61 pairs.
 */
class TokenHashes {
    /** (top 29 bits of the first hash) * 2^24 + id: exact in a double, sorted by hash then id. */
    private readonly keyed: Float64Array;
    private readonly second: Uint32Array;

    constructor(count: number) {
        this.keyed = new Float64Array(count);
        this.second = new Uint32Array(count);
    }

    add(id: number, h1: number, h2: number): void {
        let a = h1 ^ (h1 >>> 16);
        a = Math.imul(a, 0x85ebca6b);
        a ^= a >>> 13;
        this.keyed[id] = (a >>> 3) * idSpace + id;
        let b = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
        b ^= b >>> 16;
        this.second[id] = b >>> 0;
    }

    /** Two ids with the same fingerprint (the lower pair found first), or undefined. */
    firstRepeat(): [number, number] | undefined {
        const keyed = this.keyed.sort();
        for (let runStart = 0; runStart < keyed.length; ) {
            const hash = Math.floor(keyed[runStart] / idSpace);
            let runEnd = runStart + 1;
            while (runEnd < keyed.length && Math.floor(keyed[runEnd] / idSpace) === hash) runEnd++;
            if (runEnd - runStart > 1) {
                const firstBySecond = new Map<number, number>();
                for (let i = runStart; i < runEnd; i++) {
                    const id = keyed[i] % idSpace;
                    const earlier = firstBySecond.get(this.second[id]);
                    if (earlier !== undefined) return [earlier, id];
                    firstBySecond.set(this.second[id], id);
                }
            }
            runStart = runEnd;
        }
        return undefined;
    }
}

const idSpace = 2 ** 24;

function checkVersion(version: number, path: string): void {
    if (version === 2 || version === 3) return;
    if (version === 1)
        throw new EngineError(
            "notGguf",
            "It is a GGUF version 1 file, which llama.cpp no longer reads: convert the model again with a current llama.cpp.",
            path,
        );
    if (version !== 0 && (version & 0xffff) === 0) {
        throw new EngineError(
            "notGguf",
            `Its version field reads ${version}: it is a big-endian GGUF file, which llama.cpp cannot read on this machine.`,
            path,
        );
    }
    throw new EngineError("notGguf", `It claims GGUF version ${version}; llama.cpp reads versions 2 and 3.`, path);
}

function isKeptKey(key: string): boolean {
    if (key === "general.architecture" || key === "general.alignment" || key === "split.count" || key === tokensKey) return true;
    if (key === perTokenKeys[0] || key === perTokenKeys[1]) return true;
    const dot = key.indexOf(".");
    return dot > 0 && hyperparameterKeys.has(key.slice(dot + 1));
}

function perLayerNote(values: readonly bigint[], layer: number): string {
    return values.length > 1 ? ` for layer ${layer}` : "";
}

function describe(kept: Kept): string {
    switch (kept.kind) {
        case "integer":
        case "other":
            return `a ${valueTypeNames[kept.type] ?? kept.type} value`;
        case "string":
            return "a string";
        case "integers":
        case "array":
            return `an array of ${kept.count} ${valueTypeNames[kept.elementType] ?? kept.elementType} values`;
    }
}

/** A key or name (latin1, byte for byte) for a message: UTF-8 decoded, quoted, escaped, at most 80 characters. */
function quote(text: string): string {
    return JSON.stringify(show(text));
}

function show(text: string): string {
    const decoded = Buffer.from(text, "latin1").toString("utf8");
    return decoded.length > 80 ? `${decoded.slice(0, 79)}…` : decoded;
}

function capitalize(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
}

function alignUp(value: number, alignment: number): number {
    return Math.ceil(value / alignment) * alignment;
}

function isFileSystemError(error: unknown): boolean {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const syscall = (error as NodeJS.ErrnoException | undefined)?.syscall;
    return typeof code === "string" && typeof syscall === "string";
}
