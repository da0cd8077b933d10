/**
 * Just enough of a zip reader for VSIX files (written by vsce through yazl): lists the entries
 * from the central directory and extracts stored or deflated ones. No zip64, no encryption.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { inflateRawSync } from "node:zlib";

export interface ZipEntry {
    readonly name: string;
    readonly method: number;
    readonly compressedSize: number;
    readonly size: number;
    readonly localHeaderOffset: number;
}

const endOfCentralDirectory = 0x06054b50;
const centralDirectoryHeader = 0x02014b50;
const localFileHeader = 0x04034b50;

export function readZipEntries(data: Buffer): ZipEntry[] {
    const end = findEndOfCentralDirectory(data);
    const count = data.readUInt16LE(end + 10);
    let offset = data.readUInt32LE(end + 16);
    const entries: ZipEntry[] = [];
    for (let i = 0; i < count; i++) {
        if (data.readUInt32LE(offset) !== centralDirectoryHeader) throw new Error(`no central directory header at ${offset}`);
        const nameLength = data.readUInt16LE(offset + 28);
        const extraLength = data.readUInt16LE(offset + 30);
        const commentLength = data.readUInt16LE(offset + 32);
        entries.push({
            name: data.toString("utf8", offset + 46, offset + 46 + nameLength),
            method: data.readUInt16LE(offset + 10),
            compressedSize: data.readUInt32LE(offset + 20),
            size: data.readUInt32LE(offset + 24),
            localHeaderOffset: data.readUInt32LE(offset + 42),
        });
        offset += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
}

function readZipEntry(data: Buffer, entry: ZipEntry): Buffer {
    const offset = entry.localHeaderOffset;
    if (data.readUInt32LE(offset) !== localFileHeader) throw new Error(`no local header for ${entry.name}`);
    const start = offset + 30 + data.readUInt16LE(offset + 26) + data.readUInt16LE(offset + 28);
    const raw = data.subarray(start, start + entry.compressedSize);
    if (entry.method === 0) return raw;
    if (entry.method === 8) return inflateRawSync(raw);
    throw new Error(`${entry.name}: compression method ${entry.method} is not supported`);
}

/** Extracts every file entry under `dir`. */
export function extractZip(data: Buffer, dir: string): void {
    const root = path.resolve(dir);
    for (const entry of readZipEntries(data)) {
        if (entry.name.endsWith("/")) continue;
        const target = path.resolve(root, entry.name);
        if (!target.startsWith(root + path.sep)) throw new Error(`${entry.name} lies outside the archive's folder`);
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, readZipEntry(data, entry));
    }
}

function findEndOfCentralDirectory(data: Buffer): number {
    // The record is 22 bytes plus a comment of at most 65535.
    for (let offset = data.length - 22; offset >= Math.max(0, data.length - 22 - 0xffff); offset--) {
        if (data.readUInt32LE(offset) === endOfCentralDirectory) return offset;
    }
    throw new Error("not a zip file: no end of central directory record");
}
