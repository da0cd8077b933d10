/**
 * Every file operation a download does, behind one small interface, so tests can make a
 * write fail with ENOSPC or EACCES at a chosen byte (a full disk or a read-only folder cannot
 * be set up portably, nor without root) and check what the downloader does about it.
 * `nodeDownloadFileSystem` is the real one; a test spreads it and overrides one member.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, statfs, writeFile, type FileHandle } from "node:fs/promises";
import * as path from "node:path";
import { errorCode } from "../../common/errors";

/** An open file a download appends to. */
export interface DownloadFileWriter {
    /** Writes all of `chunk` (or throws: how much of it reached the disk is then unknown). */
    readonly write: (chunk: Uint8Array) => Promise<void>;
    /** Flushes to the disk, so the file is complete before it is renamed into place. */
    readonly sync: () => Promise<void>;
    readonly close: () => Promise<void>;
}

export interface DownloadFileSystem {
    /** Creates `dir` and its parents. */
    readonly mkdir: (dir: string) => Promise<void>;
    /** The file's size, or undefined when it does not exist. */
    readonly size: (file: string) => Promise<number | undefined>;
    /** The file's text, or undefined when it does not exist. */
    readonly readText: (file: string) => Promise<string | undefined>;
    readonly writeText: (file: string, text: string) => Promise<void>;
    /** The file's bytes, in chunks (to hash a partial download without holding it in memory). */
    readonly read: (file: string) => AsyncIterable<Uint8Array>;
    /** Opens `file` to append to it, or emptied ("truncate"), creating it if needed. */
    readonly open: (file: string, mode: "append" | "truncate") => Promise<DownloadFileWriter>;
    /** Replaces `to` with `from` in one step (same folder). */
    readonly rename: (from: string, to: string) => Promise<void>;
    /** Deletes a file; nothing happens when it does not exist. */
    readonly remove: (file: string) => Promise<void>;
    /** Bytes free for this user in `dir`, or undefined when the system cannot say. */
    readonly freeBytes: (dir: string) => Promise<number | undefined>;
}

export const nodeDownloadFileSystem: DownloadFileSystem = {
    mkdir: async (dir) => {
        await mkdir(dir, { recursive: true });
    },
    size: async (file) => {
        try {
            return (await stat(file)).size;
        } catch (error) {
            if (errorCode(error) === "ENOENT") return undefined;
            throw error;
        }
    },
    readText: async (file) => {
        try {
            return await readFile(file, "utf8");
        } catch (error) {
            if (errorCode(error) === "ENOENT") return undefined;
            throw error;
        }
    },
    writeText: (file, text) => writeFile(file, text, "utf8"),
    read: (file) => createReadStream(file, { highWaterMark: 1024 * 1024 }),
    open: async (file, mode) => writerFor(file, await open(file, mode === "append" ? "a" : "w")),
    rename: (from, to) => rename(from, to),
    remove: (file) => rm(file, { force: true }),
    freeBytes: async (dir) => {
        // The folder may not exist yet: ask about the nearest one that does (the same disk, mostly).
        for (let current = path.resolve(dir); ; current = path.dirname(current)) {
            try {
                const info = await statfs(current);
                return info.bavail * info.bsize;
            } catch (error) {
                // Not every system or file system answers; the writes will tell.
                if (errorCode(error) !== "ENOENT" || path.dirname(current) === current) return undefined;
            }
        }
    },
};

function writerFor(file: string, handle: FileHandle): DownloadFileWriter {
    return {
        write: async (chunk) => {
            // FileHandle.write may write less than asked (a disk filling up does that before
            // failing with ENOSPC): keep writing the rest until it is all out or it throws.
            let offset = 0;
            while (offset < chunk.length) {
                const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
                if (bytesWritten === 0) throw Object.assign(new Error(`no bytes could be written to ${file}`), { code: "EIO" });
                offset += bytesWritten;
            }
        },
        sync: () => handle.sync(),
        close: () => handle.close(),
    };
}
