import { open, stat } from "node:fs/promises";
import type { GgufFileInfo } from "node-llama-cpp" with { "resolution-mode": "import" };
import { EngineError, errorMessage } from "./engineError";
import { tensorByteSize } from "./ggmlTypeSizes";
import { checkGgufStructure, type GgufGuardReport } from "./ggufGuard";

/** What the engine learned about a model file before handing it to llama.cpp. */
export interface InspectedModelFile {
    readonly path: string;
    readonly sizeBytes: number;
    readonly fileInfo: GgufFileInfo;
    readonly architecture: string;
    /** What the structural check before parsing found (and how much it read). */
    readonly structure: GgufGuardReport;
}

export interface ModelFileReader {
    readGgufFileInfo(path: string): Promise<GgufFileInfo>;
    /** Whether this build of llama.cpp can run the file's architecture. */
    isArchitectureSupported(fileInfo: GgufFileInfo): Promise<boolean>;
}

const ggufMagic = "GGUF";

/**
 * Checks a model file before loading it, so that every way a file can be wrong ends in
 * an error that names the file and the problem instead of a llama.cpp abort.
 */
export async function inspectModelFile(path: string, reader: ModelFileReader): Promise<InspectedModelFile> {
    if (path.trim() === "") throw new EngineError("noModel", "No model file is configured.");

    const sizeBytes = await fileSize(path);
    await checkMagic(path, sizeBytes);
    // Hostile headers hang node-llama-cpp's reader or abort llama.cpp: check the structure first.
    const structure = await checkGgufStructure(path, sizeBytes);

    let fileInfo: GgufFileInfo;
    try {
        fileInfo = await reader.readGgufFileInfo(path);
    } catch (error) {
        // The magic was right, so a parse failure means the header stops early or is corrupt.
        throw new EngineError("truncated", `The GGUF header could not be read: ${errorMessage(error)}`, path);
    }

    // node-llama-cpp's reader reads zeros past the end of a file, so a header cut short
    // "parses": the tell is a header that ends beyond the file.
    if (fileInfo.infoEndOffset !== undefined && fileInfo.infoEndOffset > sizeBytes) {
        throw new EngineError("truncated", `The GGUF header is cut short: it needs ${fileInfo.infoEndOffset} bytes but the file has ${sizeBytes}.`, path);
    }

    const architecture = String(fileInfo.metadata.general?.architecture ?? "");
    if (!(await reader.isArchitectureSupported(fileInfo))) {
        throw new EngineError(
            "unsupportedArchitecture",
            architecture === "" ? "The file names no model architecture." : `llama.cpp does not support the "${architecture}" architecture.`,
            path,
        );
    }

    const expectedSize = expectedFileSize(fileInfo);
    if (expectedSize !== undefined && sizeBytes < expectedSize) {
        throw new EngineError(
            "truncated",
            `The file is ${sizeBytes} bytes but its tensors need ${expectedSize}: it is incomplete (an interrupted download or copy?).`,
            path,
        );
    }
    return { path, sizeBytes, fileInfo, architecture, structure };
}

async function fileSize(path: string): Promise<number> {
    try {
        const info = await stat(path);
        if (!info.isFile()) throw new EngineError("notAFile", "The path is a folder or a device, not a model file.", path);
        return info.size;
    } catch (error) {
        if (error instanceof EngineError) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") throw new EngineError("fileMissing", "The model file does not exist.", path);
        throw new EngineError("unreadable", `The model file cannot be read: ${errorMessage(error)}`, path);
    }
}

async function checkMagic(path: string, sizeBytes: number): Promise<void> {
    let magic: string;
    try {
        const handle = await open(path, "r");
        try {
            const buffer = Buffer.alloc(4);
            const { bytesRead } = await handle.read(buffer, 0, 4, 0);
            magic = buffer.toString("latin1", 0, bytesRead);
        } finally {
            await handle.close();
        }
    } catch (error) {
        throw new EngineError("unreadable", `The model file cannot be read: ${errorMessage(error)}`, path);
    }
    if (sizeBytes === 0) throw new EngineError("notGguf", "The file is empty.", path);
    if (magic !== ggufMagic) throw new EngineError("notGguf", "It does not start with the GGUF signature.", path);
}

/** Where the last tensor's data ends, or undefined when a tensor type or size is unknown (never NaN). */
function expectedFileSize(fileInfo: GgufFileInfo): number | undefined {
    const tensors = fileInfo.fullTensorInfo ?? fileInfo.tensorInfo;
    if (tensors === undefined || fileInfo.splicedParts > 1) return undefined;
    let end = fileInfo.infoEndOffset ?? 0;
    for (const tensor of tensors) {
        const bytes = tensorByteSize(tensor.ggmlType, tensor.dimensions);
        if (bytes === undefined) return undefined;
        end = Math.max(end, Number(tensor.fileOffset) + bytes);
    }
    return Number.isSafeInteger(end) ? end : undefined;
}
