import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import type { ChatParams } from "../../src/protocol/chatProtocol";
import type { CompleteParams } from "../../src/protocol/completionProtocol";
import type { EngineState } from "../../src/extension/engine/engineState";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { createTestEngine, isSettled, settingsFor, type TestEngine } from "./engineHarness";

type Ready = Extract<EngineState, { kind: "ready" }>;
type Failed = Extract<EngineState, { kind: "error" }>;
const isReady = (state: EngineState): state is Ready => state.kind === "ready";
const isError = (state: EngineState): state is Failed => state.kind === "error";

describe("engine: a completion model and a chat model, and the memory fit before loading", function () {
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-models-fixtures-"));
    let fixtures: FixturePaths;
    let engine: TestEngine;
    const token = new CancellationTokenSource().token;

    const question = (): ChatParams => ({
        conversationId: "routing",
        messages: [{ role: "user", content: "Name a sorting algorithm." }],
        maxTokens: 16,
        temperature: 0,
    });
    const completion = (): CompleteParams => ({
        document: { id: "file:///work/a.ts", path: "a.ts", languageId: "typescript", text: "function add(a: number, b: number) {\n    return \n}\n" },
        cursor: "function add(a: number, b: number) {\n    return ".length,
        mode: "line",
        layout: "psm",
        budget: { maxTokens: 8, maxLines: 1, maxMs: 60_000 },
    });

    before(async () => {
        fixtures = await ensureFixtures(fixtureDir);
    });
    after(() => rmSync(fixtureDir, { recursive: true, force: true }));
    afterEach(async () => {
        await engine?.client.dispose();
    });

    it("loads two files for completions and chat, and routes each request to its model", async () => {
        engine = createTestEngine();
        // One model for both: the chat answer of the tiny model.
        await engine.client.start(settingsFor(fixtures.tiny, { contextSize: 1024 }));
        const shared = await engine.waitFor(isSettled, "the shared model");
        assert.ok(isReady(shared), JSON.stringify(shared));
        assert.equal(shared.load.chatModel, null, "one file: loaded once and shared");
        const tinyAnswer = (await engine.client.chat(question(), token)).text;

        // The same two settings naming one file still load it once.
        await engine.client.applySettings(settingsFor(fixtures.tiny, { contextSize: 1024, chatModelPath: fixtures.tiny }));
        const same = await engine.waitFor((s) => isReady(s) && s.load.chatModel === null && s !== shared, "the same file named twice");
        assert.ok(isReady(same));

        // A separate chat model: a second file, with its own name in the result.
        await engine.client.applySettings(settingsFor(fixtures.tiny, { contextSize: 1024, chatModelPath: fixtures.tinyChat }));
        const split = await engine.waitFor((s) => isReady(s) && s.load.chatModel !== null, "two models");
        assert.ok(isReady(split));
        assert.equal(split.load.model.path, fixtures.tiny);
        assert.equal(split.load.chatModel?.path, fixtures.tinyChat);
        assert.equal(split.load.chatModel?.name, "Hearth test chat model (random weights)");
        assert.ok(split.load.memory.modelBytes > shared.load.memory.modelBytes, "the estimate counts both files");
        const splitAnswer = (await engine.client.chat(question(), token)).text;
        const suggestion = await engine.client.complete(completion(), token);
        assert.ok(suggestion.counts.generatedTokens > 0, "completions still run, on the completion model");

        // The chat model alone, shared: it gives the same greedy answer as when it was the chat half.
        await engine.client.applySettings(settingsFor(fixtures.tinyChat, { contextSize: 1024 }));
        const chatOnly = await engine.waitFor((s) => isReady(s) && s.load.model.path === fixtures.tinyChat, "the chat model alone");
        assert.ok(isReady(chatOnly));
        const chatModelAnswer = (await engine.client.chat(question(), token)).text;
        assert.equal(splitAnswer, chatModelAnswer, "with two models, chat is answered by the chat model");
        assert.notEqual(splitAnswer, tinyAnswer, "and not by the completion model (different weights answer differently)");
    });

    it("refuses a model whose estimate exceeds free memory, before loading anything", async () => {
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tiny, { contextSize: 1024 }));
        assert.ok(isReady(await engine.waitFor(isSettled, "the tiny model")));

        await engine.client.applySettings(settingsFor(fixtures.oversized, { contextSize: 1024 }));
        const refused = await engine.waitFor((s) => isError(s) && s.error.path === fixtures.oversized, "the refusal");
        assert.ok(isError(refused));
        assert.equal(refused.error.kind, "insufficientMemory");
        const memory = refused.error.memory;
        assert.ok(memory !== undefined, "the refusal carries the estimate");
        assert.ok(memory.modelBytes > 1e12, `a ~1.2 TB model, estimated ${memory.modelBytes}`);
        assert.ok(memory.modelBytes + memory.contextBytes > memory.availableBytes);
        assert.equal(memory.fittingContextSize, null, "no context makes 1.2 TB of weights fit");
        assert.equal(memory.pool, "ram");
        assert.ok(!engine.logs.some((line) => line.includes(`Loading ${fixtures.oversized}`)), "llama.cpp never saw the file");
        assert.ok(!engine.states.some((s) => s.kind === "loading" && s.progress > 0 && s.modelPath === fixtures.oversized), "no load progress");

        // The engine is still usable: the next load works.
        await engine.client.applySettings(settingsFor(fixtures.tiny, { contextSize: 1024 }));
        assert.ok(isReady(await engine.waitFor((s) => isReady(s) && s.load.model.path === fixtures.tiny, "the tiny model again")));
    });

    it("names the largest context that fits when only the context is too large", async () => {
        engine = createTestEngine();
        const requested = 1_000_000;
        await engine.client.start(settingsFor(fixtures.longContext, { contextSize: requested }));
        const refused = await engine.waitFor(isSettled, "the long-context model");
        assert.ok(isError(refused), JSON.stringify(refused));
        assert.equal(refused.error.kind, "insufficientMemory");
        const memory = refused.error.memory;
        assert.ok(memory !== undefined);
        assert.equal(memory.contextSize, requested);
        assert.ok(memory.modelBytes < memory.availableBytes, "the weights alone fit");
        const fitting = memory.fittingContextSize;
        assert.ok(fitting !== null && fitting < requested && fitting >= 512, `fitting context ${fitting}`);
        // Each halving of the request was tried, largest first: the answer is one of them.
        let candidate = requested;
        while (candidate > fitting) candidate = Math.floor(candidate / 2);
        assert.equal(candidate, fitting);
        // The context's cost grows with its size: at the fitting size it is within what is free.
        const perToken = memory.contextBytes / requested;
        assert.ok(memory.modelBytes + perToken * fitting * 0.9 < memory.availableBytes);
    });
});
