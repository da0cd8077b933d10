import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConversationStore, indexKey, legacyKey, type ConversationMemento, type ConversationStoreOptions } from "../../src/extension/chat/conversationStore";
import { fileNameOf, type Conversation } from "../../src/extension/chat/conversationFiles";

/** VS Code's Memento in memory: values are stored as JSON, as VS Code does. */
class MemoryMemento implements ConversationMemento {
    readonly values = new Map<string, string>();
    updates = 0;

    get<T>(key: string): T | undefined {
        const value = this.values.get(key);
        return value === undefined ? undefined : (JSON.parse(value) as T);
    }

    update(key: string, value: unknown): Promise<void> {
        this.updates++;
        if (value === undefined) this.values.delete(key);
        else this.values.set(key, JSON.stringify(value));
        return Promise.resolve();
    }

    keys(): readonly string[] {
        return [...this.values.keys()];
    }
}

interface StoredIndexShape {
    version: number;
    conversations: { id: string; title: string; messageCount: number }[];
    activeId?: string;
    draft: string;
}

describe("conversation store", () => {
    let root: string;
    let folder: string;
    let memento: MemoryMemento;
    let logs: string[];
    let fileWrites: string[];
    let indexWrites: number;
    const stores: ConversationStore[] = [];

    function open(options: ConversationStoreOptions = {}, at = folder): ConversationStore {
        const store = new ConversationStore(memento, at, (line) => logs.push(line), {
            writeDelayMs: 20,
            onWrite: (write) => (write.kind === "file" ? fileWrites.push(write.id) : indexWrites++),
            ...options,
        });
        stores.push(store);
        return store;
    }

    function conversationFiles(): string[] {
        return fs
            .readdirSync(folder)
            .filter((name) => name.endsWith(".json"))
            .sort();
    }

    function fileOf(id: string): string {
        return path.join(folder, fileNameOf(id));
    }

    function readFile(id: string): { format: string; version: number; conversation: Conversation } {
        return JSON.parse(fs.readFileSync(fileOf(id), "utf8")) as { format: string; version: number; conversation: Conversation };
    }

    function index(): StoredIndexShape | undefined {
        return memento.get<StoredIndexShape>(indexKey);
    }

    function sleep(ms: number): Promise<void> {
        return new Promise((resolve) => setTimeout(resolve, ms));
    }

    /** A conversation with one exchange, written. */
    async function withConversations(store: ConversationStore, count: number): Promise<Conversation[]> {
        const made: Conversation[] = [];
        for (let i = 0; i < count; i++) {
            const conversation = store.create();
            store.add(conversation, { role: "user", text: `question ${i}` });
            store.add(conversation, { role: "assistant", text: `answer ${i}`, state: "done" });
            made.push(conversation);
        }
        await store.flush();
        return made;
    }

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-conversations-"));
        folder = path.join(root, "conversations");
        memento = new MemoryMemento();
        logs = [];
        fileWrites = [];
        indexWrites = 0;
    });

    afterEach(() => {
        for (const store of stores.splice(0)) store.dispose();
        fs.chmodSync(root, 0o700);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("stores each conversation in its own file and only the index in the Memento", async () => {
        const store = open();
        const [first, second] = await withConversations(store, 2);
        assert.ok(first !== undefined && second !== undefined);
        store.draft = "half a thought";
        await store.flush();

        assert.deepEqual(conversationFiles(), [fileNameOf(first.id), fileNameOf(second.id)].sort());
        const file = readFile(first.id);
        assert.equal(file.format, "hearth.conversation");
        assert.equal(file.version, 1);
        assert.deepEqual(
            file.conversation.messages.map((m) => [m.role, m.text]),
            [
                ["user", "question 0"],
                ["assistant", "answer 0"],
            ],
        );
        const stored = index();
        assert.ok(stored !== undefined);
        assert.deepEqual(
            stored.conversations.map((c) => [c.id, c.title, c.messageCount]),
            [
                [second.id, "question 1", 2],
                [first.id, "question 0", 2],
            ],
        );
        assert.equal(stored.activeId, second.id);
        assert.equal(stored.draft, "half a thought");
        assert.ok(!memento.values.get(indexKey)?.includes("answer 0"), "no message text in the Memento");
        assert.deepEqual(memento.keys(), [indexKey]);

        const reopened = open();
        assert.deepEqual(reopened.summaries(), store.summaries());
        assert.equal(reopened.draft, "half a thought");
        assert.equal(reopened.activeConversation().id, second.id);
        assert.deepEqual(reopened.open(first.id)?.messages, first.messages);
        assert.deepEqual(logs, []);
    });

    it("writes only the conversation that changed", async () => {
        const store = open();
        const [first, second, third] = await withConversations(store, 3);
        assert.ok(first !== undefined && second !== undefined && third !== undefined);
        const before = new Map(conversationFiles().map((name) => [name, fs.statSync(path.join(folder, name)).mtimeMs]));
        fileWrites = [];
        await sleep(30); // a later write would show in the mtimes

        store.open(first.id);
        store.add(first, { role: "user", text: "one more" });
        const answer = store.add(first, { role: "assistant", text: "", state: "streaming" });
        answer.text = "streamed";
        answer.state = "done";
        store.touch(first);
        await store.flush();

        assert.deepEqual(fileWrites, [first.id]);
        for (const other of [second, third]) assert.equal(fs.statSync(fileOf(other.id)).mtimeMs, before.get(fileNameOf(other.id)));
        assert.notEqual(fs.statSync(fileOf(first.id)).mtimeMs, before.get(fileNameOf(first.id)));
        assert.equal(readFile(first.id).conversation.messages.length, 4);
    });

    it("coalesces rapid changes into few writes and loses none of them", async () => {
        const delayMs = 40;
        const store = open({ writeDelayMs: delayMs });
        const conversation = store.create();
        for (let i = 0; i < 200; i++) store.add(conversation, { role: i % 2 === 0 ? "user" : "assistant", text: `message ${i}` });
        for (let waited = 0; fileWrites.length === 0 && waited < 5000; waited += 10) await sleep(10);
        await sleep(3 * delayMs);
        assert.equal(fileWrites.length, 1, "200 adds in one turn: one write, by the timer");
        assert.equal(readFile(conversation.id).conversation.messages.length, 200);

        fileWrites = [];
        const started = Date.now();
        for (let i = 0; i < 100; i++) {
            store.add(conversation, { role: "note", text: `note ${i}` });
            await sleep(2);
        }
        const elapsed = Date.now() - started;
        await store.flush();
        // At most one write per delay (and the flush's): however slow the machine, never one per add.
        assert.ok(fileWrites.length <= Math.ceil(elapsed / delayMs) + 2, `${fileWrites.length} writes in ${elapsed} ms for 100 adds`);
        assert.ok(fileWrites.length < 50, `${fileWrites.length} writes for 100 adds`);
        const stored = readFile(conversation.id).conversation;
        assert.equal(stored.messages.length, 300);
        assert.equal(stored.messages[299]?.text, "note 99");
    });

    it("writes atomically: the final file always parses and no temporary file is left", async () => {
        const store = open({ writeDelayMs: 1 });
        const conversation = store.create();
        store.add(conversation, { role: "user", text: "start" });
        await store.flush();
        let reads = 0;
        let writing = true;
        const reader = (async () => {
            while (writing) {
                const file = readFile(conversation.id); // throws if it ever holds half a file
                assert.equal(file.conversation.id, conversation.id);
                reads++;
                await new Promise<void>((resolve) => setImmediate(resolve));
            }
        })();
        for (let i = 0; i < 15; i++) {
            store.add(conversation, { role: "assistant", text: "x".repeat(200_000 + i) });
            await store.flush();
        }
        writing = false;
        await reader;
        assert.ok(reads > 10, `${reads} reads`);
        assert.deepEqual(
            fs.readdirSync(folder).filter((name) => !name.endsWith(".json")),
            [],
        );
        assert.equal(readFile(conversation.id).conversation.messages.length, 16);
    });

    it("removes temporary files left by an interrupted write, but not one another window may be writing", () => {
        fs.mkdirSync(folder, { recursive: true });
        const stale = path.join(folder, "conversation-abc-def.json.4242-7.tmp");
        const fresh = path.join(folder, "conversation-abc-def.json.4243-1.tmp");
        fs.writeFileSync(stale, '{"half');
        fs.writeFileSync(fresh, '{"half');
        const old = new Date(Date.now() - 10 * 60_000);
        fs.utimesSync(stale, old, old);
        open();
        assert.equal(fs.existsSync(stale), false);
        assert.equal(fs.existsSync(fresh), true);
    });

    it("moves conversations from the old global-state format to files, and clears the old key only once they are written", async () => {
        const streaming: Conversation = {
            id: "m1abc-oldone",
            title: "Old question",
            createdAt: 1000,
            updatedAt: 2000,
            messages: [
                { id: "u1", role: "user", text: "Old question", prompt: "Old question\n\n```ts\ncode\n```" },
                { id: "a1", role: "assistant", text: "half an answ", state: "streaming" },
            ],
        };
        const other: Conversation = {
            id: "m1abd-another",
            title: "Another",
            createdAt: 3000,
            updatedAt: 4000,
            messages: [{ id: "u2", role: "user", text: "Another" }],
        };
        await memento.update(legacyKey, {
            version: 1,
            conversations: [other, streaming, { id: 7, title: null }],
            activeId: other.id,
            draft: "typed, not sent",
        });

        const store = open();
        assert.ok(memento.values.has(legacyKey), "the old key stays until the files are written");
        assert.equal(index(), undefined);
        assert.deepEqual(
            store.summaries().map((s) => s.id),
            [other.id, streaming.id],
        );
        await store.flush();

        assert.equal(memento.values.has(legacyKey), false);
        assert.deepEqual(conversationFiles(), [fileNameOf(other.id), fileNameOf(streaming.id)].sort());
        const moved = readFile(streaming.id).conversation;
        assert.equal(moved.messages[0]?.prompt, "Old question\n\n```ts\ncode\n```");
        assert.equal(moved.messages[1]?.state, "stopped", "an answer cut off by the close is kept, stopped");
        assert.deepEqual(
            index()?.conversations.map((c) => c.id),
            [other.id, streaming.id],
        );
        assert.equal(index()?.activeId, other.id);
        assert.equal(index()?.draft, "typed, not sent");
        assert.ok(
            logs.some((line) => line.includes("not valid")),
            "the invalid old conversation is logged",
        );

        const reopened = open();
        assert.equal(reopened.activeConversation().id, other.id);
        assert.equal(reopened.draft, "typed, not sent");
        assert.deepEqual(reopened.open(streaming.id)?.messages, moved.messages);
    });

    it("keeps the old key when the files cannot be written, and the conversations in memory", async () => {
        const conversation: Conversation = {
            id: "m1abc-kept",
            title: "Kept",
            createdAt: 1,
            updatedAt: 2,
            messages: [{ id: "u1", role: "user", text: "Kept" }],
        };
        await memento.update(legacyKey, { version: 1, conversations: [conversation], activeId: conversation.id, draft: "" });
        fs.writeFileSync(path.join(root, "blocker"), "a file where the folder should be");

        const store = open({}, path.join(root, "blocker", "conversations"));
        assert.equal(store.persistent, false);
        assert.equal(store.activeConversation().title, "Kept");
        store.add(store.activeConversation(), { role: "assistant", text: "still works", state: "done" });
        await store.flush();
        assert.ok(memento.values.has(legacyKey));
        assert.equal(index(), undefined);
        assert.ok(
            logs.some((line) => line.includes("cannot write conversations to") && line.includes("memory only")),
            logs.join("\n"),
        );
    });

    it("prefers a file already moved over the old key's copy (an index lost after moving)", async () => {
        const old: Conversation = { id: "m1abc-twice", title: "Twice", createdAt: 1, updatedAt: 2, messages: [{ id: "u1", role: "user", text: "Twice" }] };
        const store = open();
        fs.writeFileSync(
            fileOf(old.id),
            JSON.stringify({
                format: "hearth.conversation",
                version: 1,
                conversation: { ...old, updatedAt: 5, messages: [...old.messages, { id: "a1", role: "assistant", text: "added after moving", state: "done" }] },
            }),
        );
        store.dispose();
        memento.values.clear();
        await memento.update(legacyKey, { version: 1, conversations: [old], activeId: old.id, draft: "" });

        const reopened = open();
        assert.equal(reopened.activeConversation().messages.length, 2);
        await reopened.flush();
        assert.equal(readFile(old.id).conversation.messages.length, 2);
        assert.equal(memento.values.has(legacyKey), false);
    });

    it("drops a missing, truncated, corrupt, oversized, invalid or non-regular file with a log line; the others load", async () => {
        const store = open();
        const made = await withConversations(store, 8);
        store.dispose();
        const [missing, truncated, corrupt, oversized, invalid, directory, fifo, healthy] = made;
        assert.ok(missing && truncated && corrupt && oversized && invalid && directory && fifo && healthy);

        fs.rmSync(fileOf(missing.id));
        const whole = fs.readFileSync(fileOf(truncated.id));
        fs.writeFileSync(fileOf(truncated.id), whole.subarray(0, whole.length / 2));
        fs.writeFileSync(fileOf(corrupt.id), Buffer.from([0x00, 0xff, 0x7b, 0x22]));
        fs.writeFileSync(
            fileOf(oversized.id),
            JSON.stringify({
                format: "hearth.conversation",
                version: 1,
                conversation: { ...oversized, messages: [{ id: "a", role: "user", text: "y".repeat(20_000) }] },
            }),
        );
        const bad = readFile(invalid.id);
        fs.writeFileSync(
            fileOf(invalid.id),
            JSON.stringify({ ...bad, conversation: { ...bad.conversation, messages: [{ id: "a", role: "wizard", text: "?" }] } }),
        );
        fs.rmSync(fileOf(directory.id));
        fs.mkdirSync(fileOf(directory.id));
        fs.rmSync(fileOf(fifo.id));
        const haveFifo = process.platform !== "win32";
        if (haveFifo) execFileSync("mkfifo", [fileOf(fifo.id)]);
        else fs.writeFileSync(fileOf(fifo.id), "");

        const reopened = open({ maxFileBytes: 10_000 });
        await reopened.verified;
        const broken = [missing, truncated, corrupt, oversized, invalid, directory, fifo];
        assert.deepEqual(
            reopened.summaries().map((s) => s.id),
            [healthy.id],
        );
        for (const conversation of broken) {
            assert.ok(
                logs.some((line) => line.includes(conversation.id)),
                `a log line names ${conversation.id}`,
            );
            assert.equal(reopened.open(conversation.id), undefined);
        }
        assert.ok(logs.some((line) => line.includes(truncated.id) && line.includes("truncated or corrupt")));
        assert.ok(logs.some((line) => line.includes(oversized.id) && line.includes("10000-byte limit")));
        assert.ok(logs.some((line) => line.includes(invalid.id) && line.includes("no valid role")));
        assert.ok(logs.some((line) => line.includes(missing.id) && line.includes("missing")));
        assert.ok(logs.some((line) => line.includes(directory.id) && line.includes("not a regular file")));
        assert.deepEqual(reopened.open(healthy.id)?.messages, healthy.messages);
        await reopened.flush();
        assert.deepEqual(
            index()?.conversations.map((c) => c.id),
            [healthy.id],
        );
    });

    it("drops a broken conversation when it is opened, without the start-up check", async () => {
        const store = open();
        const [broken, healthy] = await withConversations(store, 2);
        assert.ok(broken !== undefined && healthy !== undefined);
        store.dispose();
        fs.writeFileSync(fileOf(broken.id), '{"format":"hearth.conversation","version":1,"conversation":{"id":');

        const reopened = open({ verifyOnStart: false });
        assert.equal(reopened.summaries().length, 2);
        assert.equal(reopened.open(broken.id), undefined);
        assert.deepEqual(
            reopened.summaries().map((s) => s.id),
            [healthy.id],
        );
        assert.equal(logs.length, 1);
        // the active conversation (the broken one, before) is replaced by a new one
        assert.ok(reopened.activeConversation().id !== broken.id);
    });

    it("ignores index entries that are not valid (an id that would name a path elsewhere)", () => {
        fs.mkdirSync(folder, { recursive: true });
        fs.writeFileSync(path.join(root, "outside.json"), "{}");
        void memento.update(indexKey, {
            version: 1,
            conversations: [{ id: "../outside", title: "x", createdAt: 1, updatedAt: 1, messageCount: 1 }, "nonsense"],
            activeId: "../outside",
            draft: 5,
        });
        const store = open();
        assert.deepEqual(store.summaries(), []);
        assert.equal(store.draft, "");
        assert.equal(logs.filter((line) => line.includes("not valid")).length, 2);
        assert.equal(store.activeConversation().messages.length, 0);
    });

    it("starts afresh from an index that is not valid", () => {
        void memento.update(indexKey, "garbage");
        const store = open();
        assert.deepEqual(store.summaries(), []);
        assert.ok(logs.some((line) => line.includes("index")));
    });

    it("works in memory when the folder cannot be created, with a clear log line", async () => {
        fs.writeFileSync(path.join(root, "blocker"), "");
        const store = open({}, path.join(root, "blocker", "conversations"));
        assert.equal(store.persistent, false);
        const conversation = store.activeConversation();
        store.add(conversation, { role: "user", text: "hello" });
        await store.flush();
        assert.deepEqual(
            store.summaries().map((s) => s.title),
            ["hello"],
        );
        assert.deepEqual(fileWrites, []);
        assert.equal(logs.length, 1);
        assert.match(logs[0] ?? "", /cannot write conversations to .*blocker.*memory only/);
    });

    it("works in memory when the folder cannot be written (permissions)", async function () {
        if (process.platform === "win32" || process.getuid?.() === 0) this.skip(); // root writes anyway
        fs.mkdirSync(folder);
        fs.chmodSync(folder, 0o500);
        const store = open();
        assert.equal(store.persistent, false);
        store.add(store.activeConversation(), { role: "user", text: "hello" });
        await store.flush();
        assert.equal(store.summaries().length, 1);
        assert.ok(logs.some((line) => line.includes("memory only")));
    });

    it("recreates the folder when it was removed while running", async () => {
        const store = open();
        const conversation = store.activeConversation();
        store.add(conversation, { role: "user", text: "first" });
        await store.flush();
        fs.rmSync(folder, { recursive: true });
        store.add(conversation, { role: "assistant", text: "second", state: "done" });
        await store.flush();
        assert.equal(readFile(conversation.id).conversation.messages.length, 2);
        assert.deepEqual(logs, []);
    });

    it("logs a failed write once, keeps the conversation in memory and writes it once the folder is back", async () => {
        const store = open();
        const conversation = store.activeConversation();
        store.add(conversation, { role: "user", text: "first" });
        await store.flush();
        fs.rmSync(folder, { recursive: true });
        fs.writeFileSync(folder, "a file where the folder was");
        store.add(conversation, { role: "assistant", text: "second", state: "done" });
        await store.flush();
        store.add(conversation, { role: "user", text: "third" });
        await store.flush();
        assert.equal(logs.filter((line) => line.includes("cannot write")).length, 1, logs.join("\n"));
        assert.equal(conversation.messages.length, 3);

        fs.rmSync(folder);
        fs.mkdirSync(folder);
        store.touch(conversation);
        await store.flush();
        assert.equal(readFile(conversation.id).conversation.messages.length, 3);
    });

    it("delete removes the conversation's file", async () => {
        const store = open();
        const [gone, kept] = await withConversations(store, 2);
        assert.ok(gone !== undefined && kept !== undefined);
        store.delete(gone.id);
        await store.flush();
        assert.deepEqual(conversationFiles(), [fileNameOf(kept.id)]);
        assert.deepEqual(
            index()?.conversations.map((c) => c.id),
            [kept.id],
        );
        assert.equal(store.activeConversation().id, kept.id);
    });

    it("does not bring back a deleted conversation that an answer touches afterwards", async () => {
        const store = open();
        const [answered] = await withConversations(store, 1);
        assert.ok(answered !== undefined);
        store.delete(answered.id);
        store.add(answered, { role: "note", text: "late" });
        await store.flush();
        assert.deepEqual(store.summaries(), []);
        assert.deepEqual(conversationFiles(), []);
    });

    it("dispose writes pending changes synchronously, including an answer still streaming", async () => {
        const store = open({ writeDelayMs: 60_000 });
        const conversation = store.activeConversation();
        store.add(conversation, { role: "user", text: "question" });
        const answer = store.add(conversation, { role: "assistant", text: "", state: "streaming" });
        answer.text = "tokens so far"; // streamed into the message, no touch
        store.draft = "next";
        store.dispose();
        assert.deepEqual(
            readFile(conversation.id).conversation.messages.map((m) => m.text),
            ["question", "tokens so far"],
        );
        await Promise.resolve();
        assert.equal(index()?.draft, "next");

        const reopened = open();
        const loaded = reopened.activeConversation();
        assert.equal(loaded.id, conversation.id);
        assert.equal(loaded.messages[1]?.state, "stopped");
        assert.equal(loaded.messages[1]?.text, "tokens so far");
    });

    it("flush writes what an answer streamed so far", async () => {
        const store = open({ writeDelayMs: 60_000 });
        const conversation = store.activeConversation();
        const answer = store.add(conversation, { role: "assistant", text: "", state: "streaming" });
        await store.flush();
        answer.text = "more tokens";
        await store.flush();
        assert.equal(readFile(conversation.id).conversation.messages[0]?.text, "more tokens");
    });

    it("keeps at most 100 conversations and deletes the files of those it lets go", async () => {
        const store = open();
        const made = await withConversations(store, 102);
        await store.flush();
        assert.equal(store.summaries().length, 100);
        assert.equal(conversationFiles().length, 100);
        assert.equal(fs.existsSync(fileOf(made[0]?.id ?? "")), false);
    });
});
