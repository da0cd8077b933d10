import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import type { ChatPartialResult } from "../../src/protocol/chatProtocol";
import type { CompletionPartialResult } from "../../src/protocol/completionProtocol";
import type { EngineState } from "../../src/extension/engine/engineState";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { createTestEngine, isSettled, settingsFor, type TestEngine } from "./engineHarness";

const isReady = (state: EngineState): boolean => state.kind === "ready";

describe("engine: answers stream over the request's own progress token", function () {
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-streaming-fixtures-"));
    let fixtures: FixturePaths;
    let engine: TestEngine | undefined;

    before(async () => {
        fixtures = await ensureFixtures(fixtureDir);
    });
    after(() => rmSync(fixtureDir, { recursive: true, force: true }));
    afterEach(async () => {
        await engine?.client.dispose();
        engine = undefined;
    });

    it("a chat answer and a completion running together each stream only to their own listener, until they settle", async () => {
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tiny, { contextSize: 2048 }));
        assert.ok(isReady(await engine.waitFor(isSettled, "the tiny model")));
        const token = new CancellationTokenSource().token;

        const chatParts: ChatPartialResult[] = [];
        let firstChatPart = (): void => undefined;
        const chatStarted = new Promise<void>((resolve) => (firstChatPart = resolve));
        const answering = engine.client.chat(
            { conversationId: "streaming", messages: [{ role: "user", content: "Write a long story about a compiler." }], maxTokens: 200, temperature: 0 },
            token,
            (part) => {
                chatParts.push(part);
                firstChatPart();
            },
        );
        await chatStarted;

        const completionParts: CompletionPartialResult[] = [];
        const text = "function add(a: number, b: number): number {\n    return a + b;\n}\n\nfunction mul(a: number, b: number): number {\n    ";
        const suggestion = await engine.client.complete(
            {
                document: { id: "file:///streaming.ts", path: "streaming.ts", languageId: "typescript", text },
                cursor: text.length,
                mode: "block",
                layout: "psm",
                budget: { maxTokens: 16, maxLines: 4, maxMs: 60_000 },
            },
            token,
            (part) => {
                completionParts.push(part);
            },
        );
        const answer = await answering;

        // Each listener heard its own kind of part only: a chat part has no replace range.
        assert.ok(
            chatParts.every((part) => Object.keys(part).join() === "text"),
            "only chat parts reach the chat's listener",
        );
        assert.ok(
            completionParts.every((part) => Object.keys(part).sort().join() === "replaceEnd,text"),
            "only completion parts reach the completion's listener",
        );
        // As many as each generated (a chat part per token, one fewer where a stop text cut the last; a completion step per token at most).
        assert.ok(
            chatParts.length >= answer.counts.generatedTokens - 1 && chatParts.length <= answer.counts.generatedTokens,
            `${chatParts.length} chat parts, ${answer.counts.generatedTokens} tokens`,
        );
        assert.ok(
            completionParts.length > 0 && completionParts.length <= suggestion.counts.generatedTokens,
            `${completionParts.length} completion steps, ${suggestion.counts.generatedTokens} tokens`,
        );
        // In order: the answer's last part is the answer.
        if (answer.stopReason === "maxTokens") assert.equal(chatParts.at(-1)?.text.trim(), answer.text);

        // Nothing arrives for a settled request.
        const counts = [chatParts.length, completionParts.length];
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual([chatParts.length, completionParts.length], counts);
    });
});
