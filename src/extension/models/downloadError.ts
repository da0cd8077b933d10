/**
 * The one error type of the download layer (resolving, downloading, storing), so the VS Code
 * layer can pick words and buttons by `kind` and show `message` as it is: every message says
 * what went wrong and what to do about it.
 */
import * as path from "node:path";
import { errorCode } from "../../common/errors";
import { formatBytes } from "../../common/units";

export type DownloadErrorKind =
    | "cancelled"
    | "network"
    | "notFound"
    | "httpError"
    | "notGguf"
    | "checksumMismatch"
    | "sizeMismatch"
    | "diskFull"
    | "permissionDenied"
    | "invalidReference"
    /** Another download to the same file is running in this process. */
    | "alreadyDownloading"
    /** Any other file-system failure (an I/O error, a folder where the file should be…). */
    | "fileSystem";

/**
 * The deadlines a download runs under: "idle", too few bytes in the last stall window (retried
 * first, as a dropped connection is); "overall", the whole download took longer than allowed.
 */
type DownloadDeadline = "idle" | "overall";

interface DownloadErrorDetails {
    /** The file concerned: the final destination of a download. */
    readonly path?: string;
    /** Bytes of the download kept in its .partial file, to resume from; 0 when none. */
    readonly partialBytes?: number;
    /** The HTTP status, for notFound and httpError. */
    readonly status?: number;
    readonly url?: string;
    /** For a "network" error that ended because a deadline passed: which one. */
    readonly deadline?: DownloadDeadline;
    readonly cause?: unknown;
}

export class DownloadError extends Error {
    override readonly name = "DownloadError";
    readonly path: string | undefined;
    readonly partialBytes: number;
    readonly status: number | undefined;
    readonly url: string | undefined;
    /**
     * Which deadline ended the download, if one did. The kind stays "network": like a dropped
     * connection, it is the connection's fault, and what was downloaded is kept for a resume.
     */
    readonly deadline: DownloadDeadline | undefined;

    constructor(
        readonly kind: DownloadErrorKind,
        message: string,
        details: DownloadErrorDetails = {},
    ) {
        super(message, details.cause === undefined ? undefined : { cause: details.cause });
        this.path = details.path;
        this.partialBytes = details.partialBytes ?? 0;
        this.status = details.status;
        this.url = details.url;
        this.deadline = details.deadline;
    }
}

interface FileSystemFailureContext {
    /** The file being written or moved: what the message names. */
    readonly path: string;
    /** The destination the download is for (the error's `path`); its folder is where space is needed. */
    readonly destination: string;
    /** What the rest of the download still needs on disk, when known. */
    readonly bytesStillNeeded?: number;
    /** What is kept in the .partial file. */
    readonly partialBytes: number;
    /** What was being done, for the generic message: "writing", "creating the folder for"… */
    readonly doing: string;
}

function errorPath(error: unknown): string | undefined {
    if (typeof error !== "object" || error === null || !("path" in error)) return undefined;
    const value = (error as { readonly path: unknown }).path;
    return typeof value === "string" ? value : undefined;
}

const diskFullCodes = new Set(["ENOSPC", "EDQUOT"]);
const permissionCodes = new Set(["EACCES", "EPERM", "EROFS"]);

/**
 * Turns a file-system failure into a DownloadError that says plainly what to do: free space
 * (with how much is needed and what is kept), fix permissions (naming the folder), or the
 * system's own words for anything else.
 */
export function fileSystemFailure(error: unknown, context: FileSystemFailureContext): DownloadError {
    if (error instanceof DownloadError) return error;
    const code = errorCode(error);
    const details = { path: context.destination, partialBytes: context.partialBytes, cause: error };
    if (code !== undefined && diskFullCodes.has(code)) return diskFullError(path.dirname(context.destination), context.bytesStillNeeded, details);
    if (code !== undefined && permissionCodes.has(code)) {
        // The system error names what it could not create or open: its folder is the one to fix.
        const dir = path.dirname(errorPath(error) ?? context.path);
        return new DownloadError(
            "permissionDenied",
            `Hearth is not allowed to write in ${dir} (${code}): check that folder's permissions, or that the disk is not read-only, then try again.`,
            details,
        );
    }
    const reason = error instanceof Error ? error.message : String(error);
    return new DownloadError("fileSystem", `Hearth failed ${context.doing} ${context.path}: ${reason}. Check the disk and try again.`, details);
}

export function diskFullError(
    dir: string,
    bytesStillNeeded: number | undefined,
    details: { readonly path: string; readonly partialBytes: number; readonly cause?: unknown },
): DownloadError {
    const needs = bytesStillNeeded === undefined ? "more space" : `${formatBytes(bytesStillNeeded)} more`;
    const kept = details.partialBytes > 0 ? ` — the ${formatBytes(details.partialBytes)} already downloaded are kept` : "";
    return new DownloadError("diskFull", `Not enough disk space in ${dir}: the model needs ${needs}; free some space and resume the download${kept}.`, details);
}

/** The most useful words in a fetch failure: undici hides the system error in `cause`. */
export function describeNetworkFailure(error: unknown): string {
    if (!(error instanceof Error)) return String(error);
    const cause: unknown = error.cause;
    if (cause instanceof Error && cause.message !== "") return cause.message;
    return error.message;
}
