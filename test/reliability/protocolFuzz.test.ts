import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProgressType } from "vscode-jsonrpc/node";
import { ChatRequest, type ChatParams, type ChatResult } from "../../src/protocol/chatProtocol";
import { CompleteRequest, type CompleteParams, type CompleteResult } from "../../src/protocol/completionProtocol";
import { InitializeRequest, LoadModelRequest, PingRequest } from "../../src/protocol/engineProtocol";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { mulberry32 } from "../fixtures/gguf/random";
import { RawSidecar, type RawResponse } from "./rawSidecar";

const source = "function add(a: number, b: number): number {\n    return a + b;\n}\n\nfunction mul(a: number, b: number): number {\n    ";
const check: CompleteParams = {
    document: { id: "file:///check.ts", path: "check.ts", languageId: "typescript", text: source },
    cursor: source.length,
    mode: "block",
    layout: "psm",
    budget: { maxTokens: 8, maxLines: 2, maxMs: 60_000 },
};
const chatCheck: ChatParams = { conversationId: "check", messages: [{ role: "user", content: "Say something." }], maxTokens: 6, temperature: 0 };

/** Values a hostile or broken client could put anywhere. */
const hostileValues: readonly unknown[] = [
    null,
    -1,
    0,
    1.5,
    1e308,
    -1e308,
    "hot",
    "",
    "x".repeat(10_000),
    true,
    [],
    [1, 2, 3],
    {},
    { nested: { deeper: [null] } },
    2 ** 53,
    "7",
    { __proto__: { polluted: true } },
    deepObject(200),
];

function deepObject(depth: number): unknown {
    let value: unknown = "bottom";
    for (let i = 0; i < depth; i++) value = { value };
    return value;
}

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
    return items[random() % items.length];
}

/** Every path to a value in `value` (object keys and array indices). */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (typeof value !== "object" || value === null) return [prefix];
    const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
    return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
}

/** A deep copy of `value` with the value at `path` replaced (or deleted, or given a sibling). */
function mutate(value: unknown, path: readonly (string | number)[], random: Random): unknown {
    const copy = structuredClone(value) as Record<string | number, unknown>;
    if (path.length === 0) return pick(random, hostileValues);
    let parent: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    const how = random() % 4;
    if (how === 0) delete parent[last];
    else if (how === 1) parent[`extra${random() % 10}`] = pick(random, hostileValues);
    else parent[last] = pick(random, hostileValues);
    return copy;
}

interface Burst {
    readonly messages: unknown[];
    /** Ids of the raw requests in the burst: each must be answered. */
    readonly ids: string[];
}

/** 50 messages: malformed frames, bad cancels, mutated requests of every kind, unknown methods. */
function burst(random: Random, index: number): Burst {
    const messages: unknown[] = [];
    const ids: string[] = [];
    const fuzzDocument = { ...check.document, id: "file:///fuzz.ts" };
    const bases: readonly (readonly [string, unknown])[] = [
        // Progress tokens of both kinds (string and integer), which the mutations replace, delete or give siblings.
        [CompleteRequest.method, { ...check, document: fuzzDocument, partialResultToken: "fuzz-complete" }],
        ["hearth/warm", { document: fuzzDocument, cursor: 10, layout: "psm", context: [{ path: "other.ts", text: "const x = 1;\n" }] }],
        [ChatRequest.method, { ...chatCheck, maxTokens: 4, partialResultToken: 101 }],
        [ChatRequest.method, { ...chatCheck, maxTokens: 4, partialResultToken: "fuzz-action", lane: "action" }],
    ];
    for (let i = 0; i < 50; i++) {
        const id = `raw-${index}-${i}`;
        const kind = random() % 10;
        if (kind === 0)
            messages.push(pick(random, [null, 42, "junk", [1, 2], { hello: "world" }, { jsonrpc: "1.0", method: "hearth/complete", id }, { jsonrpc: "2.0" }]));
        else if (kind === 1) {
            // $/cancelRequest whose id is null, a string, an object, missing; params missing or not an object.
            messages.push(
                pick(random, [
                    { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: null } },
                    { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: `raw-${index}-${Math.max(0, i - 1)}` } },
                    { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: "no-such-request" } },
                    { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: { nested: 1 } } },
                    { jsonrpc: "2.0", method: "$/cancelRequest", params: {} },
                    { jsonrpc: "2.0", method: "$/cancelRequest" },
                    { jsonrpc: "2.0", method: "$/cancelRequest", params: null },
                    { jsonrpc: "2.0", method: "$/cancelRequest", params: [null] },
                    { jsonrpc: "2.0", method: "$/cancelRequest", params: { id: 1e308 } },
                ]),
            );
        } else if (kind === 2) {
            // Requests the engine must refuse whatever their params: a second initialize, a load with wrong types.
            ids.push(id);
            messages.push(
                pick(random, [
                    { jsonrpc: "2.0", id, method: InitializeRequest.method, params: { gpu: pick(random, ["cpu", "quantum", null]) } },
                    {
                        jsonrpc: "2.0",
                        id,
                        method: LoadModelRequest.method,
                        params: { modelPath: pick(random, [null, 7, []]), threads: "auto", contextSize: 1024 },
                    },
                    { jsonrpc: "2.0", id, method: LoadModelRequest.method, params: { modelPath: "/nonexistent.gguf", threads: "many", contextSize: "big" } },
                ]),
            );
        } else if (kind === 3) {
            ids.push(id);
            messages.push({ jsonrpc: "2.0", id, method: pick(random, ["hearth/unknown", "", "rpc.evil", "$/setTrace"]), params: pick(random, hostileValues) });
        } else if (kind === 4) {
            messages.push({ jsonrpc: "2.0", method: pick(random, ["hearth/log", "hearth/whatever", "$/progress"]), params: pick(random, hostileValues) });
        } else if (kind === 5) {
            messages.push({ jsonrpc: "2.0", id: pick(random, [1, 99_999, "raw-response"]), result: pick(random, hostileValues) });
        } else {
            const [method, base] = pick(random, bases);
            const paths = pathsOf(base);
            const mutated = mutate(base, pick(random, paths), random);
            ids.push(id);
            messages.push({ jsonrpc: "2.0", id, method, params: mutated });
        }
    }
    return { messages, ids };
}

describe("reliability: protocol fuzzing against the real sidecar", function () {
    this.timeout(600_000);
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-fuzz-fixtures-"));
    let fixtures: FixturePaths;
    let sidecar: RawSidecar | undefined;

    before(async () => {
        fixtures = await ensureFixtures(fixtureDir);
    });

    after(async () => {
        await sidecar?.dispose();
        rmSync(fixtureDir, { recursive: true, force: true });
    });

    it("survives 1,000 malformed and random messages, refusing each bad request with a typed error, and answers valid requests as before after every burst", async () => {
        sidecar = await RawSidecar.start();
        const { connection } = sidecar;
        await connection.sendRequest(InitializeRequest.type, { gpu: "cpu" });
        await connection.sendRequest(LoadModelRequest.type, { modelPath: fixtures.tiny, threads: 1, contextSize: 1024 });
        const baseline: CompleteResult = await connection.sendRequest(CompleteRequest.type, check);
        const chatBaseline: ChatResult = await connection.sendRequest(ChatRequest.type, chatCheck);
        const pid = sidecar.child.pid;
        // Fuzzed requests stream to tokens no one here listens to: the library drops those parts, harmlessly.
        let unhandledParts = 0;
        connection.onUnhandledProgress(() => unhandledParts++);
        /** A valid request's answer and the parts streamed on its own token (listened to until it settles). */
        async function streamed<R, T>(send: (token: string) => Promise<R>, type: ProgressType<T>, token: string): Promise<{ result: R; parts: T[] }> {
            const parts: T[] = [];
            const listening = connection.onProgress(type, token, (part) => {
                parts.push(part);
            });
            try {
                return { result: await send(token), parts };
            } finally {
                listening.dispose();
            }
        }
        const baselineParts = (
            await streamed(
                (token) => connection.sendRequest(CompleteRequest.type, { ...check, partialResultToken: token }),
                CompleteRequest.partialResult,
                "check-baseline",
            )
        ).parts.length;
        const chatBaselineParts = (
            await streamed(
                (token) => connection.sendRequest(ChatRequest.type, { ...chatCheck, partialResultToken: token }),
                ChatRequest.partialResult,
                "chat-baseline",
            )
        ).parts.length;
        assert.ok(chatBaselineParts > 0, "the chat answer streams on its token");

        const random = mulberry32(20261202);
        let sent = 0;
        const answered: RawResponse[] = [];
        for (let index = 0; sent < 1000; index++) {
            const { messages, ids } = burst(random, index);
            for (const message of messages) sidecar.sendRaw(message);
            sent += messages.length;
            try {
                answered.push(...(await sidecar.responsesFor(ids)));
            } catch (error) {
                const idOf = (message: unknown): unknown => (typeof message === "object" && message !== null ? (message as { id?: unknown }).id : undefined);
                const missing = messages.filter((message) => ids.includes(idOf(message) as string) && !sidecar?.responses.has(idOf(message) as string));
                throw new Error(`${String(error)}; unanswered: ${missing.map((message) => JSON.stringify(message).slice(0, 300)).join("\n")}`);
            }
            // Still alive, still the same process, and a valid request gets the same answer as before.
            assert.ok(sidecar.alive, `the sidecar died after burst ${index}`);
            assert.deepEqual(await connection.sendRequest(PingRequest.type), { pid });
            const again = await streamed(
                (token) => connection.sendRequest(CompleteRequest.type, { ...check, partialResultToken: token }),
                CompleteRequest.partialResult,
                `check-${index}`,
            );
            assert.equal(again.result.text, baseline.text, `burst ${index}: the same suggestion as before the fuzzing`);
            assert.equal(again.result.counts.promptTokens, baseline.counts.promptTokens);
            assert.equal(again.parts.length, baselineParts, `burst ${index}: the suggestion streamed on its own token as before, and nothing else did`);
            if (index % 5 === 4) {
                const chat = await streamed(
                    (token) => connection.sendRequest(ChatRequest.type, { ...chatCheck, partialResultToken: token }),
                    ChatRequest.partialResult,
                    `chat-${index}`,
                );
                assert.equal(chat.result.text, chatBaseline.text, `burst ${index}: the same chat answer as before the fuzzing`);
                assert.equal(chat.parts.length, chatBaselineParts, `burst ${index}: the answer streamed on its own token as before`);
            }
        }

        const kinds = new Map<string, number>();
        for (const response of answered) {
            const kind = response.error === undefined ? "result" : (response.error.data?.kind ?? `code ${response.error.code}`);
            kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        }
        console.log(
            `      ${sent} messages fuzzed, ${answered.length} requests among them answered: ${[...kinds].map(([kind, n]) => `${kind} ${n}`).join(", ")}; ${unhandledParts} parts streamed to tokens no one listened to`,
        );
        assert.ok(sent >= 1000);
        assert.equal(kinds.get("internal"), undefined, "no request reached the engine's catch-all (a bug)");
        assert.ok((kinds.get("badRequest") ?? 0) > answered.length / 3, "most mutated requests were refused as bad requests");
        // Unknown methods get JSON-RPC's "method not found" (-32601), from the library.
        assert.ok((kinds.get("code -32601") ?? 0) > 0);
        assert.ok(
            sidecar.logs.some((line) => line.includes("Ignored a message from the extension")),
            "dropped messages are logged",
        );
        assert.ok(unhandledParts > 0, "fuzzed requests with valid tokens streamed, to no listener, harmlessly");
    });
});
