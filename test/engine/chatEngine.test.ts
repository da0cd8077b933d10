import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Llama, LlamaContext, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { ChatParams, ChatTurn } from "../../src/protocol/chatProtocol";
import { ChatEngine } from "../../src/sidecar/chat/chatEngine";
import { CompletionEngine } from "../../src/sidecar/completion/completionEngine";
import { EngineError } from "../../src/sidecar/engineError";
import { chatSequences, completionSequences, createModelContext } from "../../src/sidecar/modelContext";
import { ensureFixtures } from "../fixtures/gguf";
import { readRealSource } from "./typingReplay";

describe("chat engine: a sequence of its own, KV reuse across turns (real node-llama-cpp)", function () {
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-chat-fixtures-"));
    let llama: Llama;
    let model: LlamaModel;
    let context: LlamaContext;
    let chat: ChatEngine;
    let completion: CompletionEngine;
    const never = new AbortController().signal;
    const system: ChatTurn = { role: "system", content: "You are Hearth, a coding assistant. Answer briefly." };
    const ask = (conversationId: string, messages: ChatTurn[], maxTokens = 16): ChatParams => ({
        conversationId,
        messages: [system, ...messages],
        maxTokens,
        temperature: 0,
    });

    before(async () => {
        const fixtures = await ensureFixtures(fixtureDir);
        const lib = await import("node-llama-cpp");
        llama = await lib.getLlama({ build: "never", gpu: false, logLevel: lib.LlamaLogLevel.error });
        model = await llama.loadModel({ modelPath: fixtures.tiny });
        context = await createModelContext(model, { contextSize: 2048, threads: 1, sequences: completionSequences + chatSequences });
        const created = CompletionEngine.create(model, context, { sequences: completionSequences, tokenBias: lib.TokenBias });
        assert.ok(created);
        completion = created;
        chat = ChatEngine.create(lib, model, context, completion);
    });

    after(async () => {
        await context?.dispose();
        await model?.dispose();
        await llama?.dispose();
        rmSync(fixtureDir, { recursive: true, force: true });
    });

    it("uses the chat template from the GGUF", () => {
        assert.equal(chat.wrapperName, "ChatML");
    });

    it("evaluates turn 2 reusing the KV cache of turn 1", async () => {
        const question = { role: "user", content: "What does Array.prototype.map return?" } as const;
        const first = await chat.chat(ask("a", [question]), never, () => undefined);
        assert.ok(first.text.length > 0);
        assert.equal(first.counts.reusedTokens + first.counts.evaluatedTokens, first.counts.promptTokens);
        const second = await chat.chat(
            ask("a", [question, { role: "assistant", content: first.text }, { role: "user", content: "And filter?" }]),
            never,
            () => undefined,
        );
        assert.ok(
            second.counts.reusedTokens >= first.counts.promptTokens - 1,
            `turn 2 reused ${second.counts.reusedTokens} tokens; turn 1's prompt was ${first.counts.promptTokens}`,
        );
        assert.ok(
            second.counts.evaluatedTokens < second.counts.promptTokens / 2,
            `turn 2 evaluated ${second.counts.evaluatedTokens} of ${second.counts.promptTokens}`,
        );
    });

    it("stopping mid-answer keeps what was said and the session stays usable", async () => {
        const stop = new AbortController();
        let chunks = 0;
        const stopped = await chat.chat(ask("b", [{ role: "user", content: "Write a long essay about parsers." }], 200), stop.signal, () => {
            if (++chunks === 5) stop.abort();
        });
        assert.equal(stopped.stopReason, "stopped");
        assert.ok(stopped.counts.generatedTokens >= 5 && stopped.counts.generatedTokens < 200, `${stopped.counts.generatedTokens} tokens`);
        assert.ok(stopped.text.length > 0, "the partial answer is kept");
        const next = await chat.chat(
            ask("b", [
                { role: "user", content: "Write a long essay about parsers." },
                { role: "assistant", content: stopped.text },
                { role: "user", content: "Shorter." },
            ]),
            never,
            () => undefined,
        );
        assert.ok(next.counts.generatedTokens > 0);
        assert.ok(next.counts.reusedTokens > 0, "the stopped answer's prompt is still cached");
    });

    it("switching conversations restores their history and reuses the shared prefix", async () => {
        const a1 = await chat.chat(ask("a", [{ role: "user", content: "Name a sorting algorithm." }]), never, () => undefined);
        await chat.chat(ask("other", [{ role: "user", content: "Something else entirely." }]), never, () => undefined);
        const back = await chat.chat(
            ask("a", [
                { role: "user", content: "Name a sorting algorithm." },
                { role: "assistant", content: a1.text },
                { role: "user", content: "Another?" },
            ]),
            never,
            () => undefined,
        );
        assert.ok(back.counts.reusedTokens > 0, "the system prompt's tokens are reused");
        assert.ok(back.counts.promptTokens > a1.counts.promptTokens, "the whole history was restored into the prompt");
    });

    it("trims long conversations from the oldest turns, and says how many", async () => {
        const long = readRealSource().slice(0, 2500);
        const turns: ChatTurn[] = [];
        for (let i = 0; i < 6; i++) turns.push({ role: "user", content: `Part ${i}: ${long}` }, { role: "assistant", content: `Noted part ${i}.` });
        turns.push({ role: "user", content: "Summarise." });
        const result = await chat.chat(ask("long", turns), never, () => undefined);
        assert.ok(result.trimmedMessages >= 2 && result.trimmedMessages % 2 === 0, `trimmed ${result.trimmedMessages}`);
        assert.ok(result.counts.promptTokens <= 2048);
    });

    it("a message too long for the context is refused with what to do", async () => {
        const huge = readRealSource().repeat(3);
        await assert.rejects(
            chat.chat(ask("huge", [{ role: "user", content: huge }]), never, () => undefined),
            (error: unknown) => error instanceof EngineError && error.kind === "contextOverflow" && /hearth\.contextSize/.test(error.message),
        );
    });

    it("yields to a completion while an answer streams", async () => {
        const source = readRealSource();
        const answering = chat.chat(ask("c", [{ role: "user", content: "Explain closures in detail." }], 120), never, () => undefined);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const cursor = source.indexOf("\n", 3000);
        const typed = await completion.complete(
            {
                document: { id: "file:///chat-priority.ts", path: "x.ts", languageId: "typescript", text: source },
                cursor,
                mode: "block",
                layout: "psm",
                budget: { maxTokens: 8, maxLines: 2, maxMs: 60_000 },
            },
            never,
        );
        const answered = await answering;
        assert.ok(typed.counts.generatedTokens > 0);
        assert.ok(answered.timings.yieldedMs > 0, "chat waited while the completion ran");
    });
});
