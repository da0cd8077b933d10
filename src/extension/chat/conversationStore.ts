import * as fs from "node:fs";
import * as path from "node:path";
import * as v from "valibot";
import { errorCode, errorMessage } from "../../common/errors";
import type { ChatMessageView, ConversationSummary, ConversationView } from "../../protocol/chatViewProtocol";
import {
    checked,
    checkWritable,
    commitTemp,
    conversationSchema,
    defaultMaxFileBytes,
    discardTemp,
    fileNameOf,
    parseConversationFile,
    readBounded,
    removeStaleTemps,
    serialize,
    writeTemp,
    writeTempSync,
    type Conversation,
    type StoredMessage,
} from "./conversationFiles";

export type { Conversation, StoredMessage } from "./conversationFiles";

/** What the store needs of VS Code's `Memento` (`context.globalState` is one). */
export interface ConversationMemento {
    get<T>(key: string): T | undefined;
    update(key: string, value: unknown): PromiseLike<void>;
}

export interface ConversationStoreOptions {
    /** Changes within this long are written together (default 500 ms): a conversation file is written at most once per period. */
    readonly writeDelayMs?: number;
    /** Conversation files larger than this are refused (default 32 MiB). */
    readonly maxFileBytes?: number;
    /** Read and check every conversation in the index after construction, dropping those that fail (default true). */
    readonly verifyOnStart?: boolean;
    /** Told of each write that reached storage (tests count them). */
    readonly onWrite?: (write: { readonly kind: "file"; readonly id: string } | { readonly kind: "index" }) => void;
}

/**
 * What the Memento holds under `indexKey`, and held under `legacyKey` before conversations moved to
 * files: conversations (index entries, or whole conversations in the old format), the active one and
 * the draft. Bodies are in files now.
 */
const storedSchema = v.object({
    version: v.literal(1),
    conversations: v.array(v.unknown()),
    activeId: v.fallback(v.optional(v.string()), undefined),
    draft: v.fallback(v.string(), ""),
});

/** What the index says of a conversation: what the history list shows. */
const indexEntrySchema = v.object({
    ...v.pick(conversationSchema, ["id", "title", "createdAt", "updatedAt"]).entries,
    messageCount: v.pipe(v.number(), v.finite(), v.minValue(0)),
});
type IndexEntry = v.InferOutput<typeof indexEntrySchema>;

/** A conversation in the old store: one whose id cannot name a file gets a new one. */
const legacyConversationSchema = v.object({ ...conversationSchema.entries, id: v.fallback(conversationSchema.entries.id, newId) });

interface Entry {
    readonly id: string;
    /** What the index says, for a conversation whose file is not read yet. */
    summary: IndexEntry;
    /** The conversation once read (or created, or migrated). */
    conversation: Conversation | undefined;
    /** Bumped on every change; `written` is the generation the file holds. */
    generation: number;
    written: number;
    /** Its file exists: only such conversations are listed in the stored index. */
    persisted: boolean;
    deleted: boolean;
}

export const indexKey = "hearth.chat.index";
export const legacyKey = "hearth.chat.conversations";
const maxConversations = 100;
/** Conversations read by the start-up check are kept in memory up to this size; larger ones are read again when opened. */
const cacheBytes = 1024 * 1024;
/** A temporary file this old was left by a write that never finished. */
const staleTempMs = 60_000;

/**
 * Conversations survive reloading the window and restarting VS Code. Each conversation is a
 * JSON file `conversation-<id>.json` in `folder` (see conversationFiles.ts), written atomically
 * (temporary file, fsync, rename) and only when it changed; the index (ids, titles, times, the
 * active conversation, the draft) is in the Memento under `hearth.chat.index`.
 *
 * Everything the chat controller calls is synchronous: the index is read from the Memento at
 * construction, a conversation's file when it is first opened (and, unless `verifyOnStart` is
 * false, every file is checked soon after construction, one per event-loop turn, so a broken one
 * leaves the history list early). Changes are written within `writeDelayMs`, together;
 * `flush()` writes what is pending and resolves when it is stored; `dispose()` writes pending
 * files synchronously before returning (and hands the index to the Memento), so nothing is lost
 * on a normal shutdown even when nobody awaits `flush()`.
 *
 * Nothing read from storage can break the chat: a file that is missing, not a regular file,
 * too large, truncated or invalid drops its conversation from the index with a log line; a
 * folder that cannot be created or written is logged once and the chat works in memory only.
 */
export class ConversationStore {
    private entries: Entry[] = [];
    private active: string | undefined;
    private draftText = "";
    private readonly log: (message: string) => void;
    private readonly writeDelayMs: number;
    private readonly maxFileBytes: number;
    private readonly onWrite: ConversationStoreOptions["onWrite"];
    /** False when the folder cannot be written: conversations are kept in memory only. */
    readonly persistent: boolean;
    private indexGeneration = 0;
    private indexWritten = 0;
    /** The Memento holds an index (read at construction or written since). */
    private indexStored = false;
    /** Migrated conversations whose files are not written yet: the legacy key is kept until there are none. */
    private readonly migrating = new Set<string>();
    /** The legacy key is still in the Memento and is to be removed. */
    private legacyPending = false;
    private timer: ReturnType<typeof setTimeout> | undefined;
    private cycle: Promise<void> = Promise.resolve();
    private readonly pending = new Set<Promise<void>>();
    private lastError: string | undefined;
    private disposed = false;
    /** Resolves once every conversation in the index was read and checked at start (those that fail are dropped). */
    readonly verified: Promise<void>;

    constructor(
        private readonly memento: ConversationMemento,
        readonly folder: string,
        log?: (message: string) => void,
        options: ConversationStoreOptions = {},
    ) {
        this.log = (message) => log?.(`Chat history: ${message}`);
        this.writeDelayMs = options.writeDelayMs ?? 500;
        this.maxFileBytes = options.maxFileBytes ?? defaultMaxFileBytes;
        this.onWrite = options.onWrite;

        const problem = checkWritable(folder);
        this.persistent = problem === undefined;
        if (problem !== undefined)
            this.log(
                `cannot write conversations to ${folder} (${problem}). The chat works, but conversations are kept in memory only and are lost when VS Code closes.`,
            );
        else removeStaleTemps(folder, staleTempMs);

        this.readIndex();
        this.readLegacy();
        if (this.legacyPending || this.migrating.size > 0) this.schedule();
        this.verified =
            options.verifyOnStart === false
                ? Promise.resolve()
                : this.verifyAll().catch((error: unknown) => this.failed("cannot check the conversations", error));
    }

    get draft(): string {
        return this.draftText;
    }

    set draft(text: string) {
        if (text === this.draftText) return;
        this.draftText = text;
        this.changedIndex();
    }

    /** The active conversation, created when there is none. */
    activeConversation(): Conversation {
        const entry = this.entryOf(this.active);
        const found = entry !== undefined ? this.load(entry) : undefined;
        if (found !== undefined) return found;
        return this.create();
    }

    create(): Conversation {
        const currentEntry = this.entryOf(this.active);
        const current = currentEntry !== undefined ? this.load(currentEntry) : undefined;
        if (current !== undefined && current.messages.length === 0) return current; // no pile of empty conversations
        const now = Date.now();
        const conversation: Conversation = { id: newId(), title: "New conversation", createdAt: now, updatedAt: now, messages: [] };
        this.entries.unshift({
            id: conversation.id,
            summary: summaryOf(conversation),
            conversation,
            generation: 1,
            written: 0,
            persisted: false,
            deleted: false,
        });
        for (const evicted of this.entries.splice(maxConversations)) this.remove(evicted);
        this.active = conversation.id;
        this.changedIndex();
        return conversation;
    }

    open(id: string): Conversation | undefined {
        const entry = this.entryOf(id);
        const conversation = entry !== undefined ? this.load(entry) : undefined;
        if (conversation !== undefined && this.active !== id) {
            this.active = id;
            this.changedIndex();
        }
        return conversation;
    }

    /** Removes the conversation and its file. */
    delete(id: string): void {
        const entry = this.entryOf(id);
        if (entry === undefined) return;
        this.entries = this.entries.filter((e) => e !== entry);
        this.remove(entry);
        if (this.active === id) this.active = this.entries[0]?.id;
        this.changedIndex();
    }

    add(conversation: Conversation, message: Omit<StoredMessage, "id">): StoredMessage {
        const stored: StoredMessage = { id: newId(), ...message };
        conversation.messages.push(stored);
        if (conversation.title === "New conversation" && message.role === "user") conversation.title = titleOf(message.text);
        this.touch(conversation);
        return stored;
    }

    /** Records a change to `conversation` (a message added, removed or changed): its file, and only its file, is written soon. */
    touch(conversation: Conversation): void {
        conversation.updatedAt = Date.now();
        const entry = this.entryOf(conversation.id);
        if (entry === undefined || entry.conversation !== conversation) return; // deleted meanwhile: not brought back
        this.entries = [entry, ...this.entries.filter((e) => e !== entry)];
        entry.generation++;
        this.changedIndex();
    }

    summaries(): ConversationSummary[] {
        return this.entries
            .map((entry) => (entry.conversation !== undefined ? summaryOf(entry.conversation) : entry.summary))
            .filter((summary) => summary.messageCount > 0)
            .map(({ id, title, updatedAt, messageCount }) => ({ id, title, updatedAt, messageCount }));
    }

    /** Writes every pending change and resolves once files and index are stored (failures are logged, not thrown). */
    async flush(): Promise<void> {
        this.clearTimer();
        this.markStreaming();
        await this.runCycle();
        await Promise.all([...this.pending]);
    }

    /**
     * Writes pending conversation files synchronously and hands the index to the Memento.
     * Changes made after this are written at once, synchronously. Awaiting `flush()` before
     * disposing also waits for the Memento.
     */
    dispose(): void {
        if (this.disposed) return;
        this.disposed = true;
        this.clearTimer();
        this.markStreaming();
        this.writeNow();
    }

    private entryOf(id: string | undefined): Entry | undefined {
        return id === undefined ? undefined : this.entries.find((e) => e.id === id);
    }

    private fileOf(id: string): string {
        return path.join(this.folder, fileNameOf(id));
    }

    /** The conversation, read from its file when not in memory yet; undefined (and dropped) when the file cannot be used. */
    private load(entry: Entry): Conversation | undefined {
        if (entry.conversation !== undefined) return entry.conversation;
        const outcome = this.readFile(entry);
        if (typeof outcome === "string") {
            this.drop(entry, outcome);
            return undefined;
        }
        this.adopt(entry, outcome);
        return outcome;
    }

    private readFile(entry: Entry): Conversation | string {
        const read = readBounded(this.fileOf(entry.id), this.maxFileBytes);
        if (!read.ok) return read.reason;
        return parseConversationFile(read.text, entry.id);
    }

    private adopt(entry: Entry, conversation: Conversation): void {
        // An answer that was streaming when VS Code closed is kept, marked as stopped.
        for (const message of conversation.messages) if (message.state === "streaming") message.state = "stopped";
        entry.conversation = conversation;
        const summary = summaryOf(conversation);
        const differs = (Object.keys(summary) as (keyof IndexEntry)[]).some((key) => summary[key] !== entry.summary[key]);
        entry.summary = summary;
        if (differs) this.changedIndex(); // the file is the truth: the index was written before it, or by an older version
    }

    private drop(entry: Entry, reason: string): void {
        this.log(
            `conversation "${entry.summary.title}" (${entry.id}) is left out of the history: ${this.fileOf(entry.id)}: ${reason}. The file is left as it is.`,
        );
        this.entries = this.entries.filter((e) => e !== entry);
        entry.deleted = true;
        this.migrating.delete(entry.id);
        if (this.active === entry.id) this.active = undefined;
        this.changedIndex();
    }

    /** Forgets the conversation and deletes its file. */
    private remove(entry: Entry): void {
        entry.deleted = true;
        this.migrating.delete(entry.id);
        if (!this.persistent || !entry.persisted) return;
        const file = this.fileOf(entry.id);
        if (this.disposed) {
            try {
                fs.unlinkSync(file);
            } catch (error) {
                if (errorCode(error) !== "ENOENT") this.failed(`cannot delete ${file}`, error);
            }
            return;
        }
        this.track(
            fs.promises.unlink(file).catch((error: unknown) => {
                if (errorCode(error) !== "ENOENT") this.failed(`cannot delete ${file}`, error);
            }),
        );
    }

    private changedIndex(): void {
        this.indexGeneration++;
        this.schedule();
    }

    private schedule(): void {
        if (this.disposed) {
            this.writeNow(); // nothing may outlive the extension host: write at once
            return;
        }
        if (this.timer !== undefined) return;
        this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.runCycle();
        }, this.writeDelayMs);
        this.timer.unref();
    }

    private clearTimer(): void {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
    }

    /** An answer streams into its message without a `touch` per token: at flush and dispose its text so far is written too. */
    private markStreaming(): void {
        for (const entry of this.entries) if (entry.conversation?.messages.some((m) => m.state === "streaming") === true) entry.generation++;
    }

    private isDirty(entry: Entry): boolean {
        return entry.conversation !== undefined && !entry.deleted && entry.generation > entry.written;
    }

    /** One write of everything pending; cycles run one after another, so a file never has two writes racing. */
    private runCycle(): Promise<void> {
        this.cycle = this.cycle.then(() => this.writePending()).catch((error: unknown) => this.failed("cannot write conversations", error));
        return this.cycle;
    }

    private async writePending(): Promise<void> {
        if (this.persistent) {
            for (const entry of [...this.entries]) if (this.isDirty(entry)) await this.writeEntry(entry);
        }
        await this.writeIndex();
    }

    private async writeEntry(entry: Entry): Promise<void> {
        const conversation = entry.conversation;
        if (conversation === undefined) return;
        const generation = entry.generation;
        let temp: string;
        try {
            temp = await writeTemp(this.folder, entry.id, serialize(conversation));
        } catch (error) {
            this.failed(`cannot write ${this.fileOf(entry.id)}`, error);
            return;
        }
        // Renamed synchronously, after this last check: a newer write (dispose's) or a delete wins.
        if (entry.deleted || entry.written >= generation) {
            discardTemp(temp);
            return;
        }
        try {
            commitTemp(temp, this.folder, entry.id);
        } catch (error) {
            this.failed(`cannot write ${this.fileOf(entry.id)}`, error);
            return;
        }
        this.committed(entry, generation);
    }

    private committed(entry: Entry, generation: number): void {
        entry.written = generation;
        if (!entry.persisted) {
            entry.persisted = true;
            this.indexGeneration++; // the index may list it now
        }
        this.migrating.delete(entry.id);
        this.lastError = undefined;
        this.onWrite?.({ kind: "file", id: entry.id });
    }

    private async writeIndex(): Promise<void> {
        if (this.migrating.size > 0) return; // the legacy key holds them until every file is written
        if (this.indexGeneration > this.indexWritten || !this.indexStored) {
            const generation = this.indexGeneration;
            try {
                await this.memento.update(indexKey, this.indexSnapshot());
                this.indexWritten = Math.max(this.indexWritten, generation);
                this.indexStored = true;
                this.onWrite?.({ kind: "index" });
            } catch (error) {
                this.failed("cannot store the conversation index", error);
                return;
            }
        }
        await this.clearLegacy();
    }

    private async clearLegacy(): Promise<void> {
        if (!this.legacyPending || !this.indexStored || this.migrating.size > 0) return;
        this.legacyPending = false;
        try {
            await this.memento.update(legacyKey, undefined);
            this.log(`conversations are now stored one per file in ${this.folder}.`);
        } catch (error) {
            this.legacyPending = true;
            this.failed("cannot remove the old conversation store", error);
        }
    }

    /** Writes pending files synchronously and hands the index to the Memento (after dispose). */
    private writeNow(): void {
        if (this.persistent) {
            for (const entry of this.entries) {
                if (!this.isDirty(entry) || entry.conversation === undefined) continue;
                const generation = entry.generation;
                try {
                    commitTemp(writeTempSync(this.folder, entry.id, serialize(entry.conversation)), this.folder, entry.id);
                    this.committed(entry, generation);
                } catch (error) {
                    this.failed(`cannot write ${this.fileOf(entry.id)}`, error);
                }
            }
        }
        if (this.migrating.size > 0 || (this.indexGeneration <= this.indexWritten && this.indexStored && !this.legacyPending)) return;
        const generation = this.indexGeneration;
        const clearLegacy = this.legacyPending;
        this.legacyPending = false;
        this.track(
            Promise.resolve(this.memento.update(indexKey, this.indexSnapshot()))
                .then(async () => {
                    this.indexWritten = Math.max(this.indexWritten, generation);
                    this.indexStored = true;
                    this.onWrite?.({ kind: "index" });
                    if (clearLegacy) await this.memento.update(legacyKey, undefined);
                })
                .catch((error: unknown) => this.failed("cannot store the conversation index", error)),
        );
    }

    private indexSnapshot(): v.InferInput<typeof storedSchema> {
        const listed = this.entries.filter((e) => e.persisted && !e.deleted);
        return {
            version: 1,
            conversations: listed.map((e) => (e.conversation !== undefined ? summaryOf(e.conversation) : e.summary)),
            activeId: listed.some((e) => e.id === this.active) ? this.active : undefined,
            draft: this.draftText,
        };
    }

    private track(promise: Promise<void>): void {
        this.pending.add(promise);
        void promise.finally(() => this.pending.delete(promise));
    }

    /** Logs a storage failure, once while it repeats (a full disk would otherwise log on every change). */
    private failed(what: string, error: unknown): void {
        const kind = `${what}: ${errorCode(error) ?? errorMessage(error)}`;
        if (kind === this.lastError) return;
        this.lastError = kind;
        this.log(`${what}: ${errorMessage(error)}. Conversations stay in memory; writing is tried again on the next change.`);
    }

    private readIndex(): void {
        const value = this.memento.get<unknown>(indexKey);
        if (value === undefined) return;
        const stored = checked(storedSchema, value);
        if (typeof stored === "string") {
            this.log(`the conversation index in VS Code's global state is not valid (${stored}): it is started afresh.`);
            return;
        }
        this.indexStored = true;
        const seen = new Set<string>();
        for (const value of stored.conversations) {
            const summary = checked(indexEntrySchema, value);
            if (typeof summary === "string" || seen.has(summary.id)) {
                const problem = typeof summary === "string" ? summary : "listed twice";
                this.log(`an entry of the conversation index is not valid (${problem}) and is left out: ${JSON.stringify(value)?.slice(0, 200)}`);
                this.indexGeneration++;
                continue;
            }
            seen.add(summary.id);
            this.entries.push({ id: summary.id, summary, conversation: undefined, generation: 0, written: 0, persisted: true, deleted: false });
        }
        for (const evicted of this.entries.splice(maxConversations)) this.remove(evicted);
        this.active = stored.activeId;
        this.draftText = stored.draft;
        if (this.indexGeneration > 0) this.schedule();
    }

    /** Conversations stored by the code before files (all under one key) are moved to files; the key goes once they are written. */
    private readLegacy(): void {
        const value = this.memento.get<unknown>(legacyKey);
        if (value === undefined) return;
        this.legacyPending = true;
        if (this.indexStored) return; // moved already: only the old key is left to remove
        const legacy = checked(storedSchema, value);
        if (typeof legacy === "string") {
            this.log(`the old conversation store in VS Code's global state is not in a known format (${legacy}): it is left as it is.`);
            this.legacyPending = false;
            return;
        }
        let moved = 0;
        for (const value of legacy.conversations.slice(0, maxConversations)) {
            const conversation = checked(legacyConversationSchema, value);
            if (typeof conversation === "string") {
                this.log(`a conversation in the old store is not valid and is left out (${conversation}).`);
                continue;
            }
            if (this.entries.some((e) => e.id === conversation.id)) continue;
            const entry: Entry = {
                id: conversation.id,
                summary: summaryOf(conversation),
                conversation: undefined,
                generation: 1,
                written: 0,
                persisted: false,
                deleted: false,
            };
            // Moved before, with the index lost: the file may hold what was added since.
            const existing = this.persistent ? this.readFile(entry) : "not read";
            if (typeof existing !== "string") {
                entry.persisted = true;
                entry.generation = 0;
                this.adopt(entry, existing);
            } else {
                this.adopt(entry, conversation);
                this.migrating.add(entry.id);
                moved++;
            }
            this.entries.push(entry);
        }
        this.active = legacy.activeId;
        this.draftText = legacy.draft;
        this.indexGeneration++;
        if (moved > 0) this.log(`moving ${moved} conversation(s) from VS Code's global state to files in ${this.folder}.`);
    }

    /** Reads and checks every conversation not read yet, one per event-loop turn. */
    private async verifyAll(): Promise<void> {
        for (const entry of [...this.entries]) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            if (this.disposed) return;
            if (entry.deleted || entry.conversation !== undefined) continue;
            // Startup reads only files small enough to keep: a larger one within the limit is read
            // (and dropped if broken) when it is opened, so a long history costs no startup I/O.
            const size = sizeOf(this.fileOf(entry.id));
            if (size !== undefined && size > cacheBytes && size <= this.maxFileBytes) continue;
            const outcome = this.readFile(entry);
            if (typeof outcome === "string") this.drop(entry, outcome);
            else this.adopt(entry, outcome);
        }
    }
}

export function viewOf(conversation: Conversation): ConversationView {
    return { id: conversation.id, title: conversation.title, messages: conversation.messages.map(messageView) };
}

export function messageView(message: StoredMessage): ChatMessageView {
    return message.state === undefined
        ? { id: message.id, role: message.role, text: message.text }
        : { id: message.id, role: message.role, text: message.text, state: message.state };
}

function summaryOf(conversation: Conversation): IndexEntry {
    return {
        id: conversation.id,
        title: conversation.title,
        createdAt: conversation.createdAt,
        updatedAt: conversation.updatedAt,
        messageCount: conversation.messages.length,
    };
}

function titleOf(text: string): string {
    const line = text.trim().split("\n")[0] ?? "";
    return line.length > 60 ? `${line.slice(0, 59)}…` : line || "Conversation";
}

function newId(): string {
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The size of a regular file, or undefined when it is missing or something else (readBounded says why). */
function sizeOf(file: string): number | undefined {
    try {
        const stat = fs.statSync(file);
        return stat.isFile() ? stat.size : undefined;
    } catch {
        return undefined;
    }
}
