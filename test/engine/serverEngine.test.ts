import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import type { EngineState } from "../../src/extension/engine/engineState";
import type { CompleteParams, CompleteResult } from "../../src/protocol/completionProtocol";
import type { EngineErrorData, ServerEndpoint } from "../../src/protocol/engineProtocol";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { llamaServerPath, startLlamaServer, type RunningLlamaServer } from "../servers/llamaServer";
import { createTestEngine, isSettled, settingsFor, type TestEngine } from "./engineHarness";

const source = [
    "export function add(a: number, b: number): number {",
    "    return a + b;",
    "}",
    "",
    "export function scale(values: number[], factor: number): number[] {",
    "    return values.map((value) => value * factor);",
    "}",
    "",
    "export function total(values: number[]): number {",
    "    let sum = 0;",
    "    for (const value of values) sum += value;",
    "    return sum;",
    "}",
    "",
    "",
].join("\n");
const typed = "export function average(values: number[]): number {";

function completeParams(text: string, overrides: Partial<CompleteParams> = {}): CompleteParams {
    return {
        document: { id: "file:///server/math.ts", path: "src/math.ts", languageId: "typescript", text },
        cursor: text.length,
        mode: "line",
        layout: "psm",
        budget: { maxTokens: 8, maxLines: 1, maxMs: 60_000 },
        ...overrides,
    };
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

function errorOf(error: unknown): EngineErrorData {
    assert.ok(error instanceof ResponseError, `expected a ResponseError, got ${String(error)}`);
    return error.data as EngineErrorData;
}

const isReady = (state: EngineState): boolean => state.kind === "ready";

describe("engine: server engines (a real llama.cpp server built from node-llama-cpp's bundled source)", function () {
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-server-fixtures-"));
    let fixtures: FixturePaths;
    let server: RunningLlamaServer;
    let engine: TestEngine | undefined;
    const token = new CancellationTokenSource().token;

    before(async function () {
        if (llamaServerPath() === undefined) throw new Error("llama-server is not built: run `npm run test:setup` (test/servers/build-llama-server.sh).");
        this.timeout(180_000);
        fixtures = await ensureFixtures(fixtureDir);
        server = await startLlamaServer({ model: fixtures.tiny, slots: 2, contextSize: 2048, threads: 1 });
    });
    after(async () => {
        await server?.stop();
        rmSync(fixtureDir, { recursive: true, force: true });
    });
    afterEach(async () => {
        await engine?.client.dispose();
        engine = undefined;
    });

    async function startOn(servers: { completion?: ServerEndpoint; chat?: ServerEndpoint }, modelPath = ""): Promise<EngineState> {
        engine = createTestEngine();
        await engine.client.start(settingsFor(modelPath, { contextSize: 2048, servers }));
        return engine.waitFor(isSettled, "the engine with servers");
    }

    it("serves completions from llama.cpp's server: its FIM template read from the vocabulary, one slot's cache, a few tokens a keystroke", async () => {
        const state = await startOn({ completion: { kind: "llama.cpp", url: server.url, model: "" } });
        assert.ok(state.kind === "ready", JSON.stringify(state));
        assert.deepEqual(state.load.model.server, { kind: "llama.cpp", url: server.url });
        assert.deepEqual(state.load.model.fim, { template: "qwen2.5-coder" });
        assert.equal(state.load.model.hasFileSeparator, true);
        assert.equal(state.load.serverProblems, undefined);
        assert.equal(engine?.client.canComplete, true);

        const client = engine?.client;
        assert.ok(client !== undefined);
        const results: CompleteResult[] = [];
        for (let length = 0; length <= typed.length; length += 3) results.push(await client.complete(completeParams(source + typed.slice(0, length)), token));
        const [first, ...keystrokes] = results;
        assert.ok(first !== undefined && first.counts.evaluatedTokens > 50, `the first request evaluates the file: ${JSON.stringify(first?.counts)}`);
        const evaluated = keystrokes.map((result) => result.counts.evaluatedTokens);
        assert.ok(median(evaluated) <= 8, `keystrokes evaluate few tokens (the server's timings.prompt_n): ${evaluated.join(", ")}`);
        assert.ok(
            keystrokes.every((result) => result.counts.reusedTokens > first.counts.evaluatedTokens / 2),
            "each keystroke reuses the slot's cache",
        );
        assert.ok(
            results.every((result) => result.counts.generatedTokens > 0 && result.raw.length > 0),
            "the server generated every suggestion",
        );
    });

    it("a cancelled completion closes its HTTP request: the server stops generating", async () => {
        await startOn({ completion: { kind: "llama.cpp", url: server.url, model: "" } });
        const client = engine?.client;
        assert.ok(client !== undefined);
        const cancellation = new CancellationTokenSource();
        let parts = 0;
        const running = client.complete(
            completeParams(source, { mode: "block", rawOnly: true, budget: { maxTokens: 2000, maxLines: 400, maxMs: 120_000 } }),
            cancellation.token,
            () => {
                if (++parts === 3) cancellation.cancel();
            },
        );
        await assert.rejects(running, (error) => errorOf(error).kind === "cancelled");
        // The server's slots are idle again well before 2,000 tokens could have been generated.
        const deadline = Date.now() + 20_000;
        let busy = true;
        while (busy && Date.now() < deadline) {
            const slots = (await (await fetch(`${server.url}/slots`)).json()) as { is_processing: boolean }[];
            busy = slots.some((slot) => slot.is_processing);
            if (busy) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(busy, false, "no slot is still generating after the cancel");
        const metrics = await (await fetch(`${server.url}/metrics`)).text();
        const predicted = Number(/llamacpp:tokens_predicted_total (\d+)/.exec(metrics)?.[1] ?? "NaN");
        assert.ok(predicted < 2000, `the server predicted ${predicted} tokens in all, not the 2,000 asked`);
    });

    it("answers chat through llama.cpp's /v1/chat/completions, streamed, with local completions still local", async () => {
        const state = await startOn({ chat: { kind: "llama.cpp", url: server.url, model: "" } }, fixtures.tiny);
        assert.ok(isReady(state), JSON.stringify(state));
        assert.ok(state.kind === "ready" && state.load.chatModel?.server?.kind === "llama.cpp" && state.load.model.server === undefined);
        const client = engine?.client;
        assert.ok(client !== undefined);
        const parts: string[] = [];
        const answer = await client.chat(
            { conversationId: "server", messages: [{ role: "user", content: "Explain recursion." }], maxTokens: 24, temperature: 0 },
            token,
            (part) => parts.push(part.text),
        );
        assert.ok(answer.text.length > 0 && parts.length > 0, "the server's answer streamed");
        assert.equal(parts.at(-1)?.trim(), answer.text);
        assert.ok(answer.counts.promptTokens > 0, `the server reported its prompt: ${JSON.stringify(answer.counts)}`);
        assert.equal(answer.stopReason, "maxTokens");
        // Completions stayed on the local model.
        const local = await client.complete(completeParams(source), token);
        assert.equal(local.layout, "psm");
        assert.ok(local.counts.evaluatedTokens > 0);
    });

    it("serves both roles through an OpenAI-compatible server (llama.cpp's /v1) with Hearth's own FIM prompt", async () => {
        // An OpenAI-compatible server says nothing of its vocabulary: the FIM template comes from the model's name.
        const aliased = await startLlamaServer({
            model: fixtures.tiny,
            slots: 1,
            contextSize: 2048,
            threads: 1,
            extraArgs: ["--alias", "hearth-test-qwen2.5-coder"],
        });
        try {
            const openai: ServerEndpoint = { kind: "openai", url: `${aliased.url}/v1`, model: "hearth-test-qwen2.5-coder" };
            const state = await startOn({ completion: openai, chat: openai });
            assert.ok(state.kind === "ready", JSON.stringify(state));
            assert.equal(state.load.model.server?.kind, "openai");
            assert.deepEqual(state.load.model.fim, { template: "qwen2.5-coder" });
            const client = engine?.client;
            assert.ok(client !== undefined);
            const suggestion = await client.complete(completeParams(source + typed), token);
            assert.ok(suggestion.counts.generatedTokens > 0 && suggestion.raw.length > 0, JSON.stringify(suggestion));
            const parts: string[] = [];
            const answer = await client.chat(
                { conversationId: "openai", messages: [{ role: "user", content: "Say something." }], maxTokens: 16, temperature: 0 },
                token,
                (part) => parts.push(part.text),
            );
            assert.ok(answer.text.length > 0 && parts.length > 0);
        } finally {
            await aliased.stop();
        }
    });

    it("a server that is down fails no load: its role reports the problem, local completions keep working, and it is tried again", async () => {
        const closed = await closedPort();
        const state = await startOn({ chat: { kind: "llama.cpp", url: `http://127.0.0.1:${closed}`, model: "" } }, fixtures.tiny);
        assert.ok(state.kind === "ready", JSON.stringify(state));
        assert.deepEqual(
            state.load.serverProblems?.map((problem) => [problem.role, problem.error.kind]),
            [["chat", "serverUnreachable"]],
        );
        const client = engine?.client;
        assert.ok(client !== undefined);
        const local = await client.complete(completeParams(source), token);
        assert.ok(local.counts.generatedTokens > 0, "local completions work");
        await assert.rejects(
            client.chat({ conversationId: "down", messages: [{ role: "user", content: "Hi" }], maxTokens: 8, temperature: 0 }, token),
            (error) => errorOf(error).kind === "serverUnreachable" && /Could not reach/.test(errorOf(error).detail),
        );
    });

    it("Ollama: /api/generate with raw: true and keep_alive for completions, /api/chat for chat (recorded answers)", async () => {
        const requests: { path: string; body: Record<string, unknown> }[] = [];
        const ollama = await recordedOllama(requests);
        try {
            const endpoint: ServerEndpoint = { kind: "ollama", url: ollama.url, model: "qwen2.5-coder:1.5b" };
            const state = await startOn({ completion: endpoint, chat: endpoint });
            assert.ok(state.kind === "ready", JSON.stringify(state));
            assert.deepEqual(state.load.model.fim, { template: "qwen2.5-coder" });
            assert.equal(state.load.model.trainContextSize, 32768);
            const client = engine?.client;
            assert.ok(client !== undefined);
            const suggestion = await client.complete(completeParams(source + "export function average(values: number[]): number {\n    "), token);
            assert.equal(suggestion.text, "return total(values) / values.length;");
            assert.equal(suggestion.counts.evaluatedTokens, 7);
            const generate = requests.find((request) => request.path === "/api/generate");
            assert.ok(generate !== undefined);
            assert.equal(generate.body.raw, true);
            assert.equal(generate.body.keep_alive, "30m");
            assert.equal(generate.body.model, "qwen2.5-coder:1.5b");
            assert.ok(String(generate.body.prompt).includes("<|fim_prefix|>") && String(generate.body.prompt).endsWith("<|fim_middle|>    "));
            const answer = await client.chat(
                { conversationId: "ollama", messages: [{ role: "user", content: "What is a closure?" }], maxTokens: 64, temperature: 0.2 },
                token,
            );
            assert.equal(answer.text, "A closure is a function that keeps the variables of the scope it was made in.");
            assert.equal(answer.stopReason, "done");
            assert.equal(requests.filter((request) => request.path === "/api/chat").length, 1);
        } finally {
            await new Promise((resolve) => ollama.server.close(resolve));
        }
    });
});

async function closedPort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
}

/**
 * Ollama's answers as it gives them (recorded from Ollama 0.12's /api/show, /api/generate and /api/chat,
 * shortened): Ollama cannot run here, so its shape is replayed, and the requests Hearth sends are checked.
 */
async function recordedOllama(requests: { path: string; body: Record<string, unknown> }[]): Promise<{ server: Server; url: string }> {
    const server = createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => (body += chunk.toString()));
        request.on("end", () => {
            const parsed = body === "" ? {} : (JSON.parse(body) as Record<string, unknown>);
            requests.push({ path: request.url ?? "", body: parsed });
            const ndjson = (lines: object[]): void => {
                response.writeHead(200, { "content-type": "application/x-ndjson" });
                for (const line of lines) response.write(`${JSON.stringify(line)}\n`);
                response.end();
            };
            if (request.url === "/api/show") {
                response.writeHead(200, { "content-type": "application/json" });
                response.end(
                    JSON.stringify({
                        template: "{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>{{- else if .Messages }}…{{ end }}",
                        details: { format: "gguf", family: "qwen2", parameter_size: "1.5B", quantization_level: "Q4_K_M" },
                        model_info: { "general.architecture": "qwen2", "qwen2.context_length": 32768 },
                        capabilities: ["completion", "tools", "insert"],
                    }),
                );
            } else if (request.url === "/api/generate") {
                const at = "2025-10-01T10:00:00Z";
                ndjson([
                    { model: parsed.model, created_at: at, response: "return", done: false },
                    { model: parsed.model, created_at: at, response: " total(values)", done: false },
                    { model: parsed.model, created_at: at, response: " / values.length;", done: false },
                    { model: parsed.model, created_at: at, response: "", done: true, done_reason: "stop", prompt_eval_count: 7, eval_count: 5 },
                ]);
            } else if (request.url === "/api/chat") {
                const at = "2025-10-01T10:00:00Z";
                const words = ["A closure", " is a function", " that keeps the variables", " of the scope it was made in."];
                ndjson([
                    ...words.map((content) => ({ model: parsed.model, created_at: at, message: { role: "assistant", content }, done: false })),
                    {
                        model: parsed.model,
                        created_at: at,
                        message: { role: "assistant", content: "" },
                        done: true,
                        done_reason: "stop",
                        prompt_eval_count: 31,
                        eval_count: 12,
                    },
                ]);
            } else {
                response.writeHead(404, { "content-type": "application/json" });
                response.end(JSON.stringify({ error: `no route ${request.url}` }));
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
