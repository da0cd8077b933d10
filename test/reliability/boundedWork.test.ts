import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import type { ChatParams, ChatResult, ChatTurn } from "../../src/protocol/chatProtocol";
import type { CompleteParams, CompleteResult } from "../../src/protocol/completionProtocol";
import type { EngineErrorData } from "../../src/protocol/engineProtocol";
import type { EngineState } from "../../src/extension/engine/engineState";
import { sentRange } from "../../src/extension/completion/sentRange";
import { defaultWindowOptions } from "../../src/sidecar/completion/documentWindow";
import { maxDocumentChars } from "../../src/sidecar/requestSchemas";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { createTestEngine, isSettled, settingsFor, type TestEngine } from "../engine/engineHarness";

const isReady = (state: EngineState): boolean => state.kind === "ready";
const token = (): CancellationTokenSource["token"] => new CancellationTokenSource().token;

/** One line of minified JavaScript, `bytes` long. */
function minifiedLine(bytes: number): string {
    const unit = "var a0=1;function f0(x){return x*a0+0x1f}if(a0){f0(2)}else{a0=[1,2,3].map(f0)};";
    return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

/** `sentRange` on a plain string, as the extension runs it on a VS Code document. */
function sentRangeOf(text: string, cursor: number): { start: number; end: number } {
    const lineStarts = [0];
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) lineStarts.push(at + 1);
    const positionAt = (offset: number): { line: number; character: number } => {
        let line = 0;
        while (line + 1 < lineStarts.length && (lineStarts[line + 1] ?? Infinity) <= offset) line++;
        return { line, character: offset - (lineStarts[line] ?? 0) };
    };
    return sentRange(cursor, text.length, positionAt, (line) => lineStarts[line] ?? text.length);
}

function completion(documentNumber: number, text: string, cursor: number, budget: Partial<CompleteParams["budget"]> = {}): CompleteParams {
    return {
        document: { id: `file:///bounded-${documentNumber}.js`, path: "bounded.js", languageId: "javascript", text },
        cursor,
        mode: "line",
        layout: "psm",
        budget: { maxTokens: 8, maxLines: 1, maxMs: 60_000, ...budget },
    };
}

describe("reliability: work bounded by size (huge lines, long conversations), lanes and budgets", function () {
    this.timeout(300_000);
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-bounded-fixtures-"));
    let fixtures: FixturePaths;
    let engine: TestEngine;

    before(async () => {
        fixtures = await ensureFixtures(fixtureDir);
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tiny, { contextSize: 2048 }));
        assert.ok(isReady(await engine.waitFor(isSettled, "the tiny model")));
    });

    after(async () => {
        await engine.client.dispose();
        rmSync(fixtureDir, { recursive: true, force: true });
    });

    for (const megabytes of [1, 5, 50]) {
        it(`a one-line document of ${megabytes} MB: the extension sends a bounded window, the sidecar completes it with a bounded prompt`, async () => {
            const text = minifiedLine(megabytes * 1024 * 1024);
            const cursor = Math.floor(text.length * 0.7);
            const { start, end } = sentRangeOf(text, cursor);
            const sent = text.slice(start, end);
            assert.ok(sent.length <= 256 * 1024 + 64 * 1024 + 64 * 1024, `sent ${sent.length} characters`);
            // The window stays put while the user types: 100 characters on, the same start.
            assert.equal(sentRangeOf(text.slice(0, cursor) + "x".repeat(100) + text.slice(cursor), cursor + 100).start, start);
            const started = performance.now();
            const result: CompleteResult = await engine.client.complete(completion(megabytes, sent, cursor - start), token());
            const ms = performance.now() - started;
            const maxChars = defaultWindowOptions.maxPrefixChars + defaultWindowOptions.maxSuffixChars + defaultWindowOptions.charStep;
            assert.ok(result.counts.promptTokens <= maxChars, `prompt of ${result.counts.promptTokens} tokens`);
            assert.ok(result.counts.promptTokens <= 2048 - 512, "it fits the context with room to generate");
            console.log(
                `      ${megabytes} MB line: ${sent.length} characters sent, prompt ${result.counts.promptTokens} tokens, ${result.counts.evaluatedTokens} evaluated, ${Math.round(ms)} ms`,
            );
            if (text.length <= maxDocumentChars) {
                // A client that sends the whole line (the sidecar's own bound): the prompt is as bounded.
                const whole: CompleteResult = await engine.client.complete(completion(100 + megabytes, text, cursor), token());
                assert.ok(whole.counts.promptTokens <= 2048 - 512, `whole line: prompt of ${whole.counts.promptTokens} tokens`);
            }
        });
    }

    it("a document past the sidecar's own limit (a foreign client sending 50 MB) is refused as tooLarge, and the next request is served", async () => {
        const text = minifiedLine(50 * 1024 * 1024);
        let error: unknown;
        try {
            await engine.client.complete(completion(60, text, text.length), token());
        } catch (caught) {
            error = caught;
        }
        assert.ok(error instanceof ResponseError);
        assert.equal((error.data as EngineErrorData).kind, "tooLarge");
        const next = await engine.client.complete(completion(61, "const x = ", 10), token());
        assert.ok(next.counts.promptTokens > 0);
    });

    it("a 10,000-message conversation: answered from its newest messages, with O(log n) renders of the prompt", async () => {
        const messages: ChatTurn[] = [{ role: "system", content: "You are a helpful assistant." }];
        for (let i = 0; i < 5000; i++) {
            messages.push({ role: "user", content: `Question ${i}: what does function f${i} return?` });
            messages.push({ role: "assistant", content: `It returns ${i} times two, which is ${i * 2}.` });
        }
        messages.push({ role: "user", content: "And the last one?" });
        const started = performance.now();
        const result: ChatResult = await engine.client.chat({ conversationId: "long", messages, maxTokens: 4, temperature: 0 }, token());
        const ms = performance.now() - started;
        assert.ok(result.trimmedMessages > 9_900, `trimmed ${result.trimmedMessages}`);
        assert.ok(result.trimmedMessages < 10_000, "the newest messages stay");
        assert.ok(result.counts.promptTokens <= 2048, `prompt ${result.counts.promptTokens}`);
        assert.ok(result.counts.promptRenders <= 2 + Math.ceil(Math.log2(5001)), `${result.counts.promptRenders} renders`);
        console.log(
            `      10,001 messages: ${result.trimmedMessages} left out, prompt ${result.counts.promptTokens} tokens, ${result.counts.promptRenders} renders, ${Math.round(ms)} ms`,
        );
    });

    it("the chat view's answer and a command's answer stream side by side: neither cancels the other, each streams only to its own listener", async () => {
        /** An answer, and the parts streamed to its listener (recorded until the request settles, and after). */
        const ask = (lane: ChatParams["lane"], topic: string = lane ?? "chat"): { readonly answer: Promise<ChatResult>; readonly parts: string[] } => {
            const parts: string[] = [];
            const answer = engine.client.chat(
                { conversationId: `lane-${lane}`, messages: [{ role: "user", content: `Tell me about ${topic}s.` }], maxTokens: 40, temperature: 0, lane },
                token(),
                ({ text }) => parts.push(text),
            );
            return { answer, parts };
        };
        /** Its parts are this answer's: as many as the tokens it generated (one fewer where a stop text cut the last), the last one the answer. */
        const assertOwnParts = (result: ChatResult, parts: readonly string[], which: string): void => {
            assert.ok(
                parts.length >= result.counts.generatedTokens - 1 && parts.length <= result.counts.generatedTokens,
                `${which}: ${parts.length} parts for ${result.counts.generatedTokens} tokens`,
            );
            if (result.stopReason !== "done") assert.equal((parts.at(-1) ?? "").trim(), result.text, `${which}: the last part is the answer`);
        };
        const chat = ask("chat");
        const action = ask("action");
        const [chatResult, actionResult] = await Promise.all([chat.answer, action.answer]);
        for (const [result, parts, which] of [
            [chatResult, chat.parts, "chat"],
            [actionResult, action.parts, "action"],
        ] as const) {
            assert.notEqual(result.stopReason, "stopped");
            assert.ok(result.counts.generatedTokens > 0);
            assertOwnParts(result, parts, which);
        }
        // Within a lane, the newer request still supersedes the older one; each still hears only its own parts.
        const older = ask("chat", "older question");
        const newer = ask("chat", "newer question");
        const [olderResult, newerResult] = await Promise.all([older.answer, newer.answer]);
        assert.equal(olderResult.stopReason, "stopped");
        assert.notEqual(newerResult.stopReason, "stopped");
        assertOwnParts(olderResult, older.parts, "superseded");
        assertOwnParts(newerResult, newer.parts, "newer");
        // Nothing arrives for a settled request.
        const counts = [chat, action, older, newer].map(({ parts }) => parts.length);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(
            [chat, action, older, newer].map(({ parts }) => parts.length),
            counts,
        );
    });

    it("the completion time budget holds during prompt evaluation: past it the request ends as a timeout, and what was evaluated stays cached", async () => {
        const text = Array.from({ length: 120 }, (_, i) => `function f${i}(x) { return x * ${i} + ${i % 7}; }`).join("\n") + "\nfunction g(x) { return ";
        const params = completion(90, text, text.length, { maxMs: 1 });
        const first = await engine.client.complete(params, token());
        assert.equal(first.stopReason, "timeout");
        assert.equal(first.text, "");
        assert.ok(
            first.counts.evaluatedTokens < first.counts.promptTokens,
            `${first.counts.evaluatedTokens} of ${first.counts.promptTokens} evaluated before the budget ran out`,
        );
        const second = await engine.client.complete({ ...params, budget: { ...params.budget, maxMs: 60_000 } }, token());
        assert.notEqual(second.stopReason, "timeout");
        assert.ok(second.counts.reusedTokens >= first.counts.evaluatedTokens - 1, `the second request reused ${second.counts.reusedTokens} tokens`);
    });
});
