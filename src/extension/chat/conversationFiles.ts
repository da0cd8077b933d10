// One conversation per JSON file: the format, its validation, bounded reads and atomic writes.
// Plain Node (no vscode) so the unit tests run it as is.
import * as fs from "node:fs";
import * as path from "node:path";
import type { AnswerState, ChatRole } from "../../protocol/chatViewProtocol";

export interface StoredMessage {
    readonly id: string;
    readonly role: ChatRole;
    /** What the user sees. */
    text: string;
    /** What the model is given for a user message when it differs (attached context). */
    readonly prompt?: string;
    state?: AnswerState;
}

export interface Conversation {
    readonly id: string;
    title: string;
    readonly createdAt: number;
    updatedAt: number;
    messages: StoredMessage[];
}

/** What a conversation file holds: the conversation itself, tagged with its format. */
interface ConversationFile {
    readonly format: typeof fileFormat;
    readonly version: 1;
    readonly conversation: Conversation;
}

const fileFormat = "hearth.conversation";

/** Ids become file names: only these characters, so an id read from storage can never name a path elsewhere. */
const idPattern = /^[0-9a-z][0-9a-z-]{0,63}$/;
const roles: readonly ChatRole[] = ["user", "assistant", "note"];
const states: readonly AnswerState[] = ["streaming", "done", "stopped", "error"];
/** A conversation file larger than this is refused (a conversation is text typed and answered: it never gets near it). */
export const defaultMaxFileBytes = 32 * 1024 * 1024;
const maxMessages = 100_000;

export function isConversationId(value: unknown): value is string {
    return typeof value === "string" && idPattern.test(value);
}

export function fileNameOf(id: string): string {
    return `conversation-${id}.json`;
}

/** Temporary files: `conversation-<id>.json.<pid>-<n>.tmp`, in the same folder as the file they become. */
const tempPattern = /^conversation-[0-9a-z-]+\.json\.\d+-\d+\.tmp$/;
let tempCounter = 0;

function tempNameOf(id: string): string {
    return `${fileNameOf(id)}.${process.pid}-${tempCounter++}.tmp`;
}

export function serialize(conversation: Conversation): string {
    const file: ConversationFile = {
        format: fileFormat,
        version: 1,
        conversation: {
            id: conversation.id,
            title: conversation.title,
            createdAt: conversation.createdAt,
            updatedAt: conversation.updatedAt,
            messages: conversation.messages.map(plainMessage),
        },
    };
    return JSON.stringify(file);
}

function plainMessage(message: StoredMessage): StoredMessage {
    const plain: { -readonly [K in keyof StoredMessage]: StoredMessage[K] } = { id: message.id, role: message.role, text: message.text };
    if (message.prompt !== undefined) plain.prompt = message.prompt;
    if (message.state !== undefined) plain.state = message.state;
    return plain;
}

/** The conversation in `value`, or why it is not one. Builds fresh objects: nothing beyond the known fields is kept. */
export function validateConversation(value: unknown): Conversation | string {
    if (!isRecord(value)) return "not an object";
    const { id, title, createdAt, updatedAt, messages } = value;
    if (!isConversationId(id)) return "no valid id";
    if (typeof title !== "string") return "no title";
    if (!isTime(createdAt) || !isTime(updatedAt)) return "no valid times";
    if (!Array.isArray(messages)) return "no message list";
    if (messages.length > maxMessages) return `${messages.length} messages (at most ${maxMessages})`;
    const valid: StoredMessage[] = [];
    for (const [index, message] of (messages as unknown[]).entries()) {
        const checked = validateMessage(message);
        if (typeof checked === "string") return `message ${index + 1}: ${checked}`;
        valid.push(checked);
    }
    return { id, title, createdAt, updatedAt, messages: valid };
}

function validateMessage(value: unknown): StoredMessage | string {
    if (!isRecord(value)) return "not an object";
    const { id, role, text, prompt, state } = value;
    if (typeof id !== "string" || id.length === 0 || id.length > 200) return "no valid id";
    if (!roles.includes(role as ChatRole)) return "no valid role";
    if (typeof text !== "string") return "no text";
    if (prompt !== undefined && typeof prompt !== "string") return "a prompt that is not text";
    if (state !== undefined && !states.includes(state as AnswerState)) return "no valid state";
    const message: { -readonly [K in keyof StoredMessage]: StoredMessage[K] } = { id, role: role as ChatRole, text };
    if (prompt !== undefined) message.prompt = prompt;
    if (state !== undefined) message.state = state as AnswerState;
    return message;
}

/** The conversation a file's text holds, or why it holds none (`expectedId`: the id the index knows it by). */
export function parseConversationFile(text: string, expectedId: string): Conversation | string {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        return `not valid JSON (${messageOf(error)}): truncated or corrupt`;
    }
    if (!isRecord(value) || value.format !== fileFormat || value.version !== 1) return "not a Hearth conversation file (format or version unknown)";
    const conversation = validateConversation(value.conversation);
    if (typeof conversation === "string") return `invalid content: ${conversation}`;
    if (conversation.id !== expectedId) return `it holds conversation ${conversation.id}, not ${expectedId}`;
    return conversation;
}

type ReadResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly missing: boolean; readonly reason: string };

/**
 * Reads a conversation file synchronously, at most `maxBytes`. Refuses what is not a regular
 * file (a FIFO or device in its place would block or never end: it is opened non-blocking and
 * checked before any read) and what is larger than the limit.
 */
export function readBounded(file: string, maxBytes: number): ReadResult {
    let fd: number;
    try {
        fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (error) {
        const missing = codeOf(error) === "ENOENT";
        return { ok: false, missing, reason: missing ? "the file is missing" : `it cannot be opened (${messageOf(error)})` };
    }
    try {
        const stat = fs.fstatSync(fd);
        if (!stat.isFile()) return { ok: false, missing: false, reason: "it is not a regular file" };
        if (stat.size > maxBytes) return { ok: false, missing: false, reason: `it is ${stat.size} bytes, over the ${maxBytes}-byte limit` };
        // The size may change under us: read until the end, never past one byte over the limit.
        let buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
        let length = 0;
        for (;;) {
            if (length === buffer.length) {
                if (length > maxBytes) return { ok: false, missing: false, reason: `it grew past the ${maxBytes}-byte limit while being read` };
                const larger = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
                buffer.copy(larger, 0, 0, length);
                buffer = larger;
            }
            const read = fs.readSync(fd, buffer, length, buffer.length - length, null);
            if (read === 0) break;
            length += read;
        }
        return { ok: true, text: buffer.toString("utf8", 0, length) };
    } catch (error) {
        return { ok: false, missing: false, reason: `it cannot be read (${messageOf(error)})` };
    } finally {
        try {
            fs.closeSync(fd);
        } catch {
            // nothing to do
        }
    }
}

/**
 * Writes `text` to a temporary file beside the final one and flushes it to disk. The caller
 * renames it over the final name with `commitTemp` (synchronously, so it can decide at the last
 * moment whether a newer write made this one obsolete) or removes it with `discardTemp`.
 */
export async function writeTemp(folder: string, id: string, text: string): Promise<string> {
    const temp = path.join(folder, tempNameOf(id));
    let handle: fs.promises.FileHandle | undefined;
    try {
        handle = await fs.promises.open(temp, "wx", 0o600).catch(async (error: unknown) => {
            if (codeOf(error) !== "ENOENT") throw error;
            await fs.promises.mkdir(folder, { recursive: true }); // the folder was removed while VS Code ran
            return fs.promises.open(temp, "wx", 0o600);
        });
        await handle.writeFile(text, "utf8");
        await handle.sync();
        await handle.close();
        handle = undefined;
        return temp;
    } catch (error) {
        await handle?.close().catch(() => undefined);
        discardTemp(temp);
        throw error;
    }
}

/** The same as writeTemp, synchronously (used when the store is disposed and cannot wait). */
export function writeTempSync(folder: string, id: string, text: string): string {
    const temp = path.join(folder, tempNameOf(id));
    let fd: number | undefined;
    try {
        try {
            fd = fs.openSync(temp, "wx", 0o600);
        } catch (error) {
            if (codeOf(error) !== "ENOENT") throw error;
            fs.mkdirSync(folder, { recursive: true });
            fd = fs.openSync(temp, "wx", 0o600);
        }
        fs.writeFileSync(fd, text, "utf8");
        fs.fsyncSync(fd);
        fs.closeSync(fd);
        fd = undefined;
        return temp;
    } catch (error) {
        if (fd !== undefined) {
            try {
                fs.closeSync(fd);
            } catch {
                // nothing to do
            }
        }
        discardTemp(temp);
        throw error;
    }
}

/** Moves a written temporary file over the conversation's file: atomic, the final name never holds half a file. */
export function commitTemp(temp: string, folder: string, id: string): void {
    try {
        fs.renameSync(temp, path.join(folder, fileNameOf(id)));
    } catch (error) {
        discardTemp(temp);
        throw error;
    }
}

export function discardTemp(temp: string): void {
    try {
        fs.unlinkSync(temp);
    } catch {
        // already gone
    }
}

/** Removes temporary files left by a write that never finished (a crash), older than `olderThanMs` (another window may be writing). */
export function removeStaleTemps(folder: string, olderThanMs: number): number {
    let removed = 0;
    let names: string[];
    try {
        names = fs.readdirSync(folder);
    } catch {
        return 0;
    }
    const now = Date.now();
    for (const name of names) {
        if (!tempPattern.test(name)) continue;
        const file = path.join(folder, name);
        try {
            if (now - fs.lstatSync(file).mtimeMs < olderThanMs) continue;
            fs.unlinkSync(file);
            removed++;
        } catch {
            // gone already, or not ours to remove
        }
    }
    return removed;
}

/** Creates the folder when needed and checks a file can be written there: undefined when it can, else why not. */
export function checkWritable(folder: string): string | undefined {
    try {
        fs.mkdirSync(folder, { recursive: true });
        const probe = path.join(folder, `.write-check-${process.pid}-${Date.now().toString(36)}.tmp`);
        fs.writeFileSync(probe, "", { flag: "wx" });
        fs.unlinkSync(probe);
        return undefined;
    } catch (error) {
        return messageOf(error);
    }
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
    return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

export function codeOf(error: unknown): string | undefined {
    return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

export function messageOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
