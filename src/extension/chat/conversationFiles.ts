// One conversation per JSON file: the format, its validation, bounded reads and atomic writes.
// Plain Node (no vscode) so the unit tests run it as is.
import * as fs from "node:fs";
import * as path from "node:path";
import * as v from "valibot";
import { errorCode, errorMessage } from "../../common/errors";
import type { AnswerState, ChatRole } from "../../protocol/chatViewProtocol";

const roles: readonly ChatRole[] = ["user", "assistant", "note"];
const states: readonly AnswerState[] = ["streaming", "done", "stopped", "error"];
/** A conversation file larger than this is refused (a conversation is text typed and answered: it never gets near it). */
export const defaultMaxFileBytes = 32 * 1024 * 1024;
const maxMessages = 100_000;
const time = v.message(v.pipe(v.number(), v.finite(), v.minValue(0)), "not a valid time");

const messageSchema = v.object({
    id: v.message(v.pipe(v.string(), v.minLength(1), v.maxLength(200)), "no valid id"),
    role: v.picklist(roles, "no valid role"),
    /** What the user sees. */
    text: v.string("no text"),
    /** What the model is given for a user message when it differs (attached context). */
    prompt: v.optional(v.string("a prompt that is not text")),
    state: v.optional(v.picklist(states, "no valid state")),
});

export const conversationSchema = v.object({
    /** Ids become file names: only these characters, so an id read from storage can never name a path elsewhere. */
    id: v.message(v.pipe(v.string(), v.regex(/^[0-9a-z][0-9a-z-]{0,63}$/)), "no valid id"),
    title: v.string("no title"),
    createdAt: time,
    updatedAt: time,
    messages: v.pipe(
        v.array(messageSchema, "no message list"),
        v.maxLength(maxMessages, (issue) => `${issue.received} messages (at most ${maxMessages})`),
    ),
});

export type StoredMessage = v.InferOutput<typeof messageSchema>;
export type Conversation = v.InferOutput<typeof conversationSchema>;

/** What a conversation file holds: the conversation itself, tagged with its format. */
const fileSchema = v.object({
    format: v.literal("hearth.conversation", "not a Hearth conversation file"),
    version: v.literal(1, "a version this Hearth does not know"),
    conversation: conversationSchema,
});

/**
 * `value` checked against `schema`: a fresh value (unknown keys are dropped), or its first problem
 * and where it is ("conversation.messages.3.role: no valid role").
 */
export function checked<Schema extends v.GenericSchema>(schema: Schema, value: unknown): v.InferOutput<Schema> | string {
    const result = v.safeParse(schema, value, { abortEarly: true, message: defaultMessage });
    if (result.success) return result.output;
    const [issue] = result.issues;
    const where = v.getDotPath(issue);
    return where === null ? issue.message : `${where}: ${issue.message}`;
}

/** The words for an issue whose schema has none of its own: an object's, or valibot's "Expected … but received …". */
function defaultMessage(issue: v.BaseIssue<unknown>): string {
    if (issue.type !== "object") return issue.message;
    return issue.expected === "Object" ? "not an object" : "missing";
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
    const { id, title, createdAt, updatedAt, messages } = conversation;
    const file: v.InferInput<typeof fileSchema> = {
        format: "hearth.conversation",
        version: 1,
        // Only the known fields (JSON leaves out those undefined).
        conversation: { id, title, createdAt, updatedAt, messages: messages.map(({ id, role, text, prompt, state }) => ({ id, role, text, prompt, state })) },
    };
    return JSON.stringify(file);
}

/** The conversation a file's text holds, or why it holds none (`expectedId`: the id the index knows it by). */
export function parseConversationFile(text: string, expectedId: string): Conversation | string {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (error) {
        return `not valid JSON (${errorMessage(error)}): truncated or corrupt`;
    }
    const file = checked(fileSchema, value);
    if (typeof file === "string") return `invalid content: ${file}`;
    if (file.conversation.id !== expectedId) return `it holds conversation ${file.conversation.id}, not ${expectedId}`;
    return file.conversation;
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
        const missing = errorCode(error) === "ENOENT";
        return { ok: false, missing, reason: missing ? "the file is missing" : `it cannot be opened (${errorMessage(error)})` };
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
        return { ok: false, missing: false, reason: `it cannot be read (${errorMessage(error)})` };
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
 * Not write-file-atomic: it renames within its call, which leaves no such last moment.
 * fsync by hand: writeFile's `flush` option is ignored for strings by some Node versions (nodejs/node#60552).
 */
export async function writeTemp(folder: string, id: string, text: string): Promise<string> {
    const temp = path.join(folder, tempNameOf(id));
    const open = () => fs.promises.open(temp, "wx", 0o600);
    try {
        const handle = await open().catch(async (error: unknown) => {
            if (errorCode(error) !== "ENOENT") throw error;
            await fs.promises.mkdir(folder, { recursive: true }); // the folder was removed while VS Code ran
            return open();
        });
        try {
            await handle.writeFile(text, "utf8");
            await handle.sync();
        } finally {
            await handle.close();
        }
        return temp;
    } catch (error) {
        discardTemp(temp);
        throw error;
    }
}

/** The same as writeTemp, synchronously (used when the store is disposed and cannot wait). */
export function writeTempSync(folder: string, id: string, text: string): string {
    const temp = path.join(folder, tempNameOf(id));
    const open = () => fs.openSync(temp, "wx", 0o600);
    try {
        let fd: number;
        try {
            fd = open();
        } catch (error) {
            if (errorCode(error) !== "ENOENT") throw error;
            fs.mkdirSync(folder, { recursive: true });
            fd = open();
        }
        try {
            fs.writeFileSync(fd, text, "utf8");
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        return temp;
    } catch (error) {
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
        return errorMessage(error);
    }
}
