/**
 * The small JSON file kept next to a partial download (`<destination>.partial.json`): what is
 * being downloaded and which version of it, so that a download resumed later — after a
 * cancel, a lost connection or a VS Code restart, by new objects that know nothing of the
 * first — appends to the partial only when it is the same file, and can ask the server for
 * the rest "if it is still this version" (If-Range).
 */

interface PartialDownloadInfo {
    readonly version: 1;
    readonly url: string;
    /** The model reference it is for (hf:…), so the models list can name an unfinished download. */
    readonly uri?: string;
    /** The server's validators for the version being downloaded. */
    readonly etag?: string;
    readonly lastModified?: string;
    /** The complete file's size, when known. */
    readonly totalBytes?: number;
    /** The published SHA-256 of the complete file, when known. */
    readonly sha256?: string;
    readonly updatedAt: string;
}

/** The path of the partial file a download writes before it is checked and renamed. */
export function partialPathFor(destination: string): string {
    return `${destination}.partial`;
}

/** The path of the partial download's description. */
export function partialInfoPathFor(destination: string): string {
    return `${partialPathFor(destination)}.json`;
}

export function serialisePartialInfo(info: PartialDownloadInfo): string {
    return JSON.stringify(info, null, 2) + "\n";
}

/** Reads a partial download's description; undefined when it is missing, damaged or of another version. */
export function parsePartialInfo(text: string | undefined): PartialDownloadInfo | undefined {
    if (text === undefined) return undefined;
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return undefined;
    }
    if (typeof value !== "object" || value === null) return undefined;
    const record = value as Record<string, unknown>;
    if (record.version !== 1 || typeof record.url !== "string" || typeof record.updatedAt !== "string") return undefined;
    return {
        version: 1,
        url: record.url,
        updatedAt: record.updatedAt,
        ...optionalString(record, "uri"),
        ...optionalString(record, "etag"),
        ...optionalString(record, "lastModified"),
        ...optionalString(record, "sha256"),
        ...(isByteCount(record.totalBytes) ? { totalBytes: record.totalBytes } : {}),
    };
}

function optionalString<K extends string>(record: Record<string, unknown>, key: K): Partial<Record<K, string>> {
    const value = record[key];
    return typeof value === "string" ? ({ [key]: value } as Partial<Record<K, string>>) : {};
}

export function isByteCount(value: unknown): value is number {
    return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
