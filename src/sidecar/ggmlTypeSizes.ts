/**
 * Bytes per block and elements per block of ggml tensor types (ggml.c `type_traits`),
 * used to check a GGUF file's tensor infos and to work out where its tensor data must end.
 * Types missing here are not readable by the llama.cpp Hearth ships: the GGUF guard refuses
 * them, and the truncation check skips them rather than guess.
 */
const blockLayout: ReadonlyMap<number, readonly [elementsPerBlock: number, bytesPerBlock: number, name: string]> = new Map([
    [0, [1, 4, "F32"]],
    [1, [1, 2, "F16"]],
    [2, [32, 18, "Q4_0"]],
    [3, [32, 20, "Q4_1"]],
    [6, [32, 22, "Q5_0"]],
    [7, [32, 24, "Q5_1"]],
    [8, [32, 34, "Q8_0"]],
    [9, [32, 36, "Q8_1"]],
    [10, [256, 84, "Q2_K"]],
    [11, [256, 110, "Q3_K"]],
    [12, [256, 144, "Q4_K"]],
    [13, [256, 176, "Q5_K"]],
    [14, [256, 210, "Q6_K"]],
    [15, [256, 292, "Q8_K"]],
    [16, [256, 66, "IQ2_XXS"]],
    [17, [256, 74, "IQ2_XS"]],
    [18, [256, 98, "IQ3_XXS"]],
    [19, [256, 50, "IQ1_S"]],
    [20, [32, 18, "IQ4_NL"]],
    [21, [256, 110, "IQ3_S"]],
    [22, [256, 82, "IQ2_S"]],
    [23, [256, 136, "IQ4_XS"]],
    [24, [1, 1, "I8"]],
    [25, [1, 2, "I16"]],
    [26, [1, 4, "I32"]],
    [27, [1, 8, "I64"]],
    [28, [1, 8, "F64"]],
    [29, [256, 56, "IQ1_M"]],
    [30, [1, 2, "BF16"]],
    [34, [256, 54, "TQ1_0"]],
    [35, [256, 66, "TQ2_0"]],
    [39, [32, 17, "MXFP4"]],
    [40, [64, 36, "NVFP4"]], // 4 bytes of UE4M3 scales + 32 bytes of packed E2M1 values
]);

/** Types ggml once had and removed (ggml.h keeps their numbers reserved); no current llama.cpp reads them. */
const removedTypes: ReadonlyMap<number, string> = new Map([
    [4, "Q4_2"],
    [5, "Q4_3"],
    [31, "Q4_0_4_4"],
    [32, "Q4_0_4_8"],
    [33, "Q4_0_8_8"],
    [36, "IQ4_NL_4_4"],
    [37, "IQ4_NL_4_8"],
    [38, "IQ4_NL_8_8"],
]);

interface GgmlTypeLayout {
    readonly elementsPerBlock: number;
    readonly bytesPerBlock: number;
    readonly name: string;
}

/** The block layout of a ggml type, or undefined for a type this llama.cpp does not read. */
export function ggmlTypeLayout(ggmlType: number): GgmlTypeLayout | undefined {
    const layout = blockLayout.get(ggmlType);
    if (layout === undefined) return undefined;
    const [elementsPerBlock, bytesPerBlock, name] = layout;
    return { elementsPerBlock, bytesPerBlock, name };
}

/** The name of a ggml type that was removed from ggml (e.g. 4: "Q4_2"), else undefined. */
export function removedGgmlTypeName(ggmlType: number): string | undefined {
    return removedTypes.get(ggmlType);
}

/**
 * The size in bytes of a tensor's data, or undefined for a type this table does not know or
 * dimensions that are not whole numbers giving a size below 2^53 (never NaN or Infinity).
 */
export function tensorByteSize(ggmlType: number, dimensions: readonly (number | bigint)[]): number | undefined {
    const layout = blockLayout.get(ggmlType);
    if (layout === undefined) return undefined;
    const [elementsPerBlock, bytesPerBlock] = layout;
    const elements = dimensions.reduce<number>((product, d) => product * Number(d), 1);
    const bytes = Math.ceil(elements / elementsPerBlock) * bytesPerBlock;
    return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
}
