/**
 * The models folder under the extension's global storage: where downloads go, which
 * reference each file came from, and what is on disk (list, sizes, unfinished downloads,
 * delete). Files are laid out as `hf/<owner>/<repo>/<path in the repo>` (`<repo>@<branch>` for
 * another branch than main), every part made safe for any file system, so a person can find
 * them and a reference can be mapped to its file without the network.
 *
 * `index.json` maps each reference to its file. It is what finds the file of a quantisation
 * tag offline (the tag only names a file through the Hub's manifest); file references need
 * only the layout. It is replaced in one step (written aside, then renamed), so it is never
 * seen half-written.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { errorCode } from "../../common/errors";
import { DownloadError } from "./downloadError";
import { isByteCount, parsePartialInfo, partialInfoPathFor, partialPathFor } from "./downloadPartialInfo";
import { resolveHuggingFace, authorizationHeaders, type HuggingFaceOptions, type ResolvedDownload } from "./huggingFace";
import { downloadModel, ggufHeaderProblem, isDownloadInProgress, type DownloadOptions, type DownloadResult } from "./modelDownloader";
import { defaultHuggingFaceBranch, type HuggingFaceReference, type ModelReference } from "./modelReference";

export interface StoredModel {
    readonly path: string;
    readonly fileName: string;
    readonly sizeBytes: number;
    /** The reference it was downloaded for (the latest, when several name the same file). */
    readonly uri?: string;
    /** Every reference recorded for this file (a quantisation tag and the file's own reference, say). */
    readonly uris: readonly string[];
    readonly downloadedAt?: string;
    readonly sha256?: string;
    /** Whether it matched a published checksum when it was downloaded. */
    readonly checksumVerified?: boolean;
}

export interface PartialDownload {
    /** The final destination (the partial file is `partialPathFor(path)`). */
    readonly path: string;
    readonly uri?: string;
    readonly receivedBytes: number;
    readonly totalBytes?: number;
}

/** Where a file of a repository goes: the parts of a ResolvedDownload that say which file. */
type RepositoryFile = Pick<ResolvedDownload, "owner" | "repo" | "branch" | "file">;

/** What the store remembers of a download. */
interface RecordedDownload {
    readonly sha256?: string;
    readonly sizeBytes?: number;
    readonly checksumVerified?: boolean;
}

interface IndexEntry {
    /** Relative to the root, "/"-separated. */
    readonly path: string;
    readonly sizeBytes: number;
    readonly sha256?: string;
    readonly checksumVerified: boolean;
    readonly downloadedAt: string;
    readonly url?: string;
}

interface StoreIndex {
    readonly version: 1;
    readonly models: Readonly<Record<string, IndexEntry>>;
}

const indexName = "index.json";

export class ModelStore {
    /** Absolute. */
    readonly root: string;
    /** Index updates of this store, one at a time. */
    private indexQueue: Promise<unknown> = Promise.resolve();

    constructor(root: string) {
        this.root = path.resolve(root);
    }

    /** Where a repository's file is stored; always inside the root. */
    destinationFor(download: RepositoryFile): string {
        const repoFolder =
            download.branch === defaultHuggingFaceBranch ? safeSegment(download.repo) : `${safeSegment(download.repo)}@${safeSegment(download.branch)}`;
        const destination = path.join(this.root, "hf", safeSegment(download.owner), repoFolder, ...download.file.split("/").map(safeSegment));
        this.assertInside(destination);
        return destination;
    }

    /**
     * The downloaded, checked file for a Hugging Face reference, or undefined when it is not
     * here (a partial download does not count). Local file references are not the store's:
     * undefined.
     */
    async find(ref: ModelReference): Promise<string | undefined> {
        if (ref.kind === "file") return undefined;
        if (ref.kind === "hfFile") {
            const destination = this.destinationFor(ref);
            return (await fileSize(destination)) !== undefined ? destination : undefined;
        }
        const entry = (await this.readIndex()).models[ref.uri];
        if (entry === undefined) return undefined;
        const file = this.fromIndexPath(entry.path);
        if (file === undefined) return undefined;
        const size = await fileSize(file);
        return size !== undefined && size === entry.sizeBytes ? file : undefined;
    }

    /** Remembers that `uri` was downloaded to `file` (inside the root). */
    async recordDownload(uri: string, resolved: ResolvedDownload, file: string, recorded: RecordedDownload = {}): Promise<void> {
        const absolute = path.resolve(file);
        this.assertInside(absolute);
        const sizeBytes = recorded.sizeBytes ?? (await fileSize(absolute));
        if (sizeBytes === undefined) throw new Error(`Hearth cannot record ${absolute} in the models index: the file does not exist.`);
        const sha256 = recorded.sha256 ?? resolved.sha256;
        const entry: IndexEntry = {
            path: this.toIndexPath(absolute),
            sizeBytes,
            ...(sha256 !== undefined ? { sha256 } : {}),
            checksumVerified: recorded.checksumVerified ?? false,
            downloadedAt: new Date().toISOString(),
            url: resolved.url,
        };
        await this.updateIndex((models) => ({ ...models, [uri]: entry }));
    }

    /** What the index says of `file` (its latest record), if anything. */
    async recordFor(
        file: string,
    ): Promise<(Required<Omit<RecordedDownload, "sha256">> & Pick<RecordedDownload, "sha256"> & { readonly downloadedAt: string }) | undefined> {
        const relative = this.toIndexPath(path.resolve(file));
        const entry = Object.values((await this.readIndex()).models)
            .filter((candidate) => candidate.path === relative)
            .sort((a, b) => b.downloadedAt.localeCompare(a.downloadedAt))[0];
        if (entry === undefined) return undefined;
        return {
            sizeBytes: entry.sizeBytes,
            checksumVerified: entry.checksumVerified,
            downloadedAt: entry.downloadedAt,
            ...(entry.sha256 !== undefined ? { sha256: entry.sha256 } : {}),
        };
    }

    /** The finished .gguf files under the root, with the references recorded for them. */
    async list(): Promise<StoredModel[]> {
        const index = await this.readIndex();
        const byPath = new Map<string, { readonly uri: string; readonly entry: IndexEntry }[]>();
        for (const [uri, entry] of Object.entries(index.models)) {
            const records = byPath.get(entry.path) ?? [];
            records.push({ uri, entry });
            byPath.set(entry.path, records);
        }
        const models: StoredModel[] = [];
        for (const file of await this.files()) {
            if (!file.name.toLowerCase().endsWith(".gguf")) continue;
            const records = (byPath.get(this.toIndexPath(file.path)) ?? [])
                .filter((record) => record.entry.sizeBytes === file.size)
                .sort((a, b) => b.entry.downloadedAt.localeCompare(a.entry.downloadedAt));
            const latest = records[0]?.entry;
            models.push({
                path: file.path,
                fileName: file.name,
                sizeBytes: file.size,
                uris: records.map((record) => record.uri),
                ...(records[0] !== undefined ? { uri: records[0].uri } : {}),
                ...(latest !== undefined ? { downloadedAt: latest.downloadedAt, checksumVerified: latest.checksumVerified } : {}),
                ...(latest?.sha256 !== undefined ? { sha256: latest.sha256 } : {}),
            });
        }
        return models.sort((a, b) => a.path.localeCompare(b.path));
    }

    /** Unfinished downloads (kept to resume), with what their .partial.json says. */
    async partials(): Promise<PartialDownload[]> {
        const partials: PartialDownload[] = [];
        for (const file of await this.files()) {
            if (!file.name.endsWith(".partial")) continue;
            const destination = file.path.slice(0, -".partial".length);
            const info = parsePartialInfo(await readText(partialInfoPathFor(destination)));
            partials.push({
                path: destination,
                receivedBytes: file.size,
                ...(info?.uri !== undefined ? { uri: info.uri } : {}),
                ...(info?.totalBytes !== undefined ? { totalBytes: info.totalBytes } : {}),
            });
        }
        return partials.sort((a, b) => a.path.localeCompare(b.path));
    }

    /**
     * Deletes a model (or an unfinished download: pass its destination or its .partial): the
     * file, its partial download, their index entries, and folders left empty up to the root.
     * Refuses anything outside the root, and a file being downloaded.
     */
    async delete(file: string): Promise<void> {
        const destination = path.resolve(file).replace(/\.partial(\.json)?$/, "");
        if (!this.isInside(destination)) {
            throw new Error(`Hearth only deletes files in its models folder (${this.root}); ${path.resolve(file)} is outside it, so it was left alone.`);
        }
        if (isDownloadInProgress(destination)) {
            throw new Error(`${path.basename(destination)} is being downloaded: cancel the download first, then delete it.`);
        }
        const info = await stat(destination).catch(() => undefined);
        if (info?.isDirectory() === true) throw new Error(`${destination} is a folder, not a model file: Hearth deletes model files only.`);
        for (const target of [destination, partialPathFor(destination), partialInfoPathFor(destination)]) {
            try {
                await rm(target, { force: true });
            } catch (error) {
                const code = errorCode(error);
                const inUse = code === "EBUSY" || code === "EPERM" ? " It may be in use: switch Hearth to another model, then try again." : "";
                throw new Error(`Hearth could not delete ${target}: ${error instanceof Error ? error.message : String(error)}.${inUse}`);
            }
        }
        const relative = this.toIndexPath(destination);
        await this.updateIndex((models) => Object.fromEntries(Object.entries(models).filter(([, entry]) => entry.path !== relative)));
        await this.removeEmptyFolders(path.dirname(destination));
    }

    /** Bytes on disk under the root: models, unfinished downloads and the index. */
    async usage(): Promise<number> {
        return (await this.files()).reduce((total, file) => total + file.size, 0);
    }

    // ---------- inside ----------

    private isInside(file: string): boolean {
        const relative = path.relative(this.root, file);
        return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
    }

    private assertInside(file: string): void {
        if (!this.isInside(file)) throw new Error(`${file} is not inside the models folder ${this.root}; Hearth never writes outside it.`);
    }

    private toIndexPath(file: string): string {
        return path.relative(this.root, file).split(path.sep).join("/");
    }

    /** The absolute path of an index entry; undefined for an entry that would point outside the root. */
    private fromIndexPath(relative: string): string | undefined {
        const file = path.resolve(this.root, ...relative.split("/"));
        return this.isInside(file) ? file : undefined;
    }

    /** Every regular file under the root (symbolic links are not followed). */
    private async files(): Promise<{ readonly path: string; readonly name: string; readonly size: number }[]> {
        const found: { path: string; name: string; size: number }[] = [];
        const walk = async (dir: string): Promise<void> => {
            const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
                if (errorCode(error) === "ENOENT") return [];
                throw error;
            });
            for (const entry of entries) {
                const file = path.join(dir, entry.name);
                if (entry.isDirectory()) await walk(file);
                else if (entry.isFile()) {
                    const size = await fileSize(file);
                    if (size !== undefined) found.push({ path: file, name: entry.name, size });
                }
            }
        };
        await walk(this.root);
        return found;
    }

    /** Removes `dir` and its parents while they are empty, up to (not including) the root. */
    async removeEmptyFolders(dir: string): Promise<void> {
        for (let current = dir; this.isInside(current); current = path.dirname(current)) {
            try {
                await rmdir(current);
            } catch {
                return; // not empty (or already gone): stop there
            }
        }
    }

    private async readIndex(): Promise<StoreIndex> {
        const text = await readText(path.join(this.root, indexName));
        if (text === undefined) return { version: 1, models: {} };
        try {
            const value = JSON.parse(text) as { readonly version?: unknown; readonly models?: unknown };
            if (value.version !== 1 || typeof value.models !== "object" || value.models === null) return { version: 1, models: {} };
            const models: Record<string, IndexEntry> = {};
            for (const [uri, raw] of Object.entries(value.models as Record<string, unknown>)) {
                const entry = parseIndexEntry(raw);
                if (entry !== undefined) models[uri] = entry;
            }
            return { version: 1, models };
        } catch {
            return { version: 1, models: {} }; // damaged: forget it; downloads record themselves again
        }
    }

    /** Read, change and replace the index, one change at a time, re-reading it each time (another window may have written it). */
    private updateIndex(change: (models: Readonly<Record<string, IndexEntry>>) => Record<string, IndexEntry>): Promise<void> {
        const update = this.indexQueue.then(async () => {
            const models = change((await this.readIndex()).models);
            const index: StoreIndex = { version: 1, models };
            const file = path.join(this.root, indexName);
            const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
            try {
                await writeFile(temporary, JSON.stringify(index, null, 2) + "\n", "utf8");
                await rename(temporary, file);
            } finally {
                await rm(temporary, { force: true });
            }
        });
        this.indexQueue = update.catch(() => undefined);
        return update;
    }
}

function parseIndexEntry(raw: unknown): IndexEntry | undefined {
    if (typeof raw !== "object" || raw === null) return undefined;
    const entry = raw as Record<string, unknown>;
    if (typeof entry.path !== "string" || !isByteCount(entry.sizeBytes) || typeof entry.downloadedAt !== "string") return undefined;
    return {
        path: entry.path,
        sizeBytes: entry.sizeBytes,
        downloadedAt: entry.downloadedAt,
        checksumVerified: entry.checksumVerified === true,
        ...(typeof entry.sha256 === "string" ? { sha256: entry.sha256 } : {}),
        ...(typeof entry.url === "string" ? { url: entry.url } : {}),
    };
}

const windowsReservedName = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/**
 * A name safe as one file or folder name on any system, and different for different names:
 * letters, digits, ".", "-" and "_" stay; any other character becomes %XX (its UTF-8 bytes),
 * as do the dots of "." and "..", a trailing dot (Windows drops it) and the first letter of a
 * name Windows reserves (CON, NUL…).
 */
export function safeSegment(name: string): string {
    if (name === "") throw new Error("a file or folder name cannot be empty");
    let safe = "";
    for (const character of name) {
        safe += /^[A-Za-z0-9._-]$/.test(character) ? character : percentEncode(character);
    }
    if (/^\.+$/.test(safe)) return safe.replace(/\./g, "%2E");
    if (safe.endsWith(".")) safe = `${safe.slice(0, -1)}%2E`;
    if (windowsReservedName.test(safe)) safe = `${percentEncode(safe[0])}${safe.slice(1)}`;
    return safe;
}

function percentEncode(character: string): string {
    return [...Buffer.from(character, "utf8")].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

async function fileSize(file: string): Promise<number | undefined> {
    try {
        const info = await stat(file);
        return info.isFile() ? info.size : undefined;
    } catch {
        return undefined;
    }
}

async function readText(file: string): Promise<string | undefined> {
    try {
        return await readFile(file, "utf8");
    } catch {
        return undefined;
    }
}

// ---------- downloading a reference ----------

interface EnsureDownloadedOptions
    extends HuggingFaceOptions,
        Pick<
            DownloadOptions,
            "onProgress" | "fileSystem" | "retries" | "retryDelayMs" | "stallTimeoutMs" | "stallMinBytes" | "overallTimeoutMs" | "progressIntervalMs"
        > {
    /** Told what the reference resolved to, before the download starts (to log `checksumNote`, say). */
    readonly onResolved?: (resolved: ResolvedDownload) => void;
}

interface EnsureDownloadedResult {
    readonly path: string;
    /** False when the file was already here. */
    readonly downloaded: boolean;
    /** Whether the file matched a published checksum (now, or when it was downloaded). */
    readonly checksumVerified: boolean;
    readonly sizeBytes: number;
    readonly sha256?: string;
    /** Bytes taken from an earlier partial download. */
    readonly resumedFromBytes: number;
    /** Undefined when the file was found without asking the Hub. */
    readonly resolved?: ResolvedDownload;
}

/**
 * The local file for a Hugging Face reference: the one already in the store, else resolved,
 * downloaded (resuming an earlier partial download) and recorded. Throws DownloadError.
 */
export async function ensureDownloaded(store: ModelStore, ref: HuggingFaceReference, options: EnsureDownloadedOptions): Promise<EnsureDownloadedResult> {
    const found = await store.find(ref);
    if (found !== undefined) {
        const recorded = await store.recordFor(found);
        const sizeBytes = (await fileSize(found)) ?? recorded?.sizeBytes ?? 0;
        return {
            path: found,
            downloaded: false,
            checksumVerified: recorded?.checksumVerified ?? false,
            sizeBytes,
            ...(recorded?.sha256 !== undefined ? { sha256: recorded.sha256 } : {}),
            resumedFromBytes: 0,
        };
    }
    const resolved = await resolveHuggingFace(ref, options);
    options.onResolved?.(resolved);
    const destination = store.destinationFor(resolved);
    const existing = await adoptExisting(store, resolved, destination);
    if (existing !== undefined) {
        await store.recordDownload(ref.uri, resolved, destination, existing);
        return {
            path: destination,
            downloaded: false,
            checksumVerified: existing.checksumVerified,
            sizeBytes: existing.sizeBytes,
            sha256: existing.sha256,
            resumedFromBytes: 0,
            resolved,
        };
    }
    let result: DownloadResult;
    try {
        result = await downloadModel({
            url: resolved.url,
            destination,
            ...(resolved.sizeBytes !== undefined ? { sizeBytes: resolved.sizeBytes } : {}),
            ...(resolved.sha256 !== undefined ? { sha256: resolved.sha256 } : {}),
            uri: ref.uri,
            headers: authorizationHeaders(options.token),
            ...pick(options, [
                "signal",
                "onProgress",
                "fileSystem",
                "retries",
                "retryDelayMs",
                "stallTimeoutMs",
                "stallMinBytes",
                "overallTimeoutMs",
                "progressIntervalMs",
            ]),
        });
    } catch (error) {
        // A download that kept nothing leaves no empty folders behind (one with a partial keeps
        // them); but the folder of a download still running is not this one's to tidy.
        if (!(error instanceof DownloadError && error.kind === "alreadyDownloading")) await store.removeEmptyFolders(path.dirname(destination));
        throw error;
    }
    await store.recordDownload(ref.uri, resolved, result.path, result);
    return {
        path: result.path,
        downloaded: true,
        checksumVerified: result.checksumVerified,
        sizeBytes: result.sizeBytes,
        sha256: result.sha256,
        resumedFromBytes: result.resumedFromBytes,
        resolved,
    };
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Partial<Pick<T, K>> {
    const picked: Partial<Pick<T, K>> = {};
    for (const key of keys) if (object[key] !== undefined) picked[key] = object[key];
    return picked;
}

/**
 * The file already at `destination` (another reference to the same file downloaded it, or
 * the index was lost), when it is the one resolved: same size, and the same SHA-256 when one
 * is published. Undefined when it is not there or not that file (it is then downloaded again).
 */
interface ExistingFile {
    readonly sizeBytes: number;
    readonly sha256?: string;
    readonly checksumVerified: boolean;
}

/**
 * The file already at `destination` (another reference to the same file downloaded it, or
 * the index was lost), when it is the one resolved: same size, and the same SHA-256 when one
 * is published. Undefined when it is not there or not that file (it is then downloaded again).
 */
async function adoptExisting(store: ModelStore, resolved: ResolvedDownload, destination: string): Promise<ExistingFile | undefined> {
    const sizeBytes = await fileSize(destination);
    if (sizeBytes === undefined || (resolved.sizeBytes !== undefined && sizeBytes !== resolved.sizeBytes)) return undefined;
    const recorded = await store.recordFor(destination);
    if (resolved.sha256 !== undefined) {
        const sha256 = recorded?.sha256 === resolved.sha256 ? recorded.sha256 : await hashFile(destination);
        return sha256 === resolved.sha256 ? { sizeBytes, sha256, checksumVerified: true } : undefined;
    }
    if (recorded !== undefined && recorded.sizeBytes === sizeBytes) {
        return { sizeBytes, checksumVerified: recorded.checksumVerified, ...(recorded.sha256 !== undefined ? { sha256: recorded.sha256 } : {}) };
    }
    return (await hasGgufHeader(destination)) ? { sizeBytes, checksumVerified: false } : undefined;
}

async function hashFile(file: string): Promise<string> {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

async function hasGgufHeader(file: string): Promise<boolean> {
    const handle = await open(file, "r");
    try {
        const head = Buffer.alloc(8);
        const { bytesRead } = await handle.read(head, 0, 8, 0);
        return ggufHeaderProblem(head.subarray(0, bytesRead)) === undefined;
    } finally {
        await handle.close();
    }
}
