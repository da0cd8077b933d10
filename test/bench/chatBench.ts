/**
 * `npm run bench:chat`: chat time to first token, and completion latency while a chat answer
 * streams (completions have priority), through the same EngineClient and sidecar as the
 * extension.
 *
 *   --model PATH   any GGUF (default: the generated Qwen2.5-Coder-0.5B-shape model of `npm run bench`)
 *   --keystrokes N keystrokes timed per condition (default 24)
 *   --gap-ms N     pause between keystrokes, as a person types (default 150)
 *   --json FILE    write the figures
 *
 * Chat: three conversations of two turns (system prompt, a question about a code snippet);
 * ttft from the sidecar. Completions: the same typing replay as `npm run bench` (PSM), first
 * with nothing else running, then while a long chat answer streams.
 */
import { writeFileSync } from "node:fs";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import { chooseMode } from "../../src/extension/completion/completionSite";
import type { ChatTurn } from "../../src/protocol/chatProtocol";
import type { CompleteResult } from "../../src/protocol/completionProtocol";
import { createTestEngine, settingsFor, type TestEngine } from "../engine/engineHarness";
import { keystrokesAt, percentile, pickSites, readRealSource } from "../engine/typingReplay";
import { benchOption, qwen05bShapeModel } from "./benchModels";

const option = (name: string): string | undefined => benchOption(name);
const systemPrompt: ChatTurn = { role: "system", content: "You are Hearth, a coding assistant running locally inside VS Code. Answer concisely." };
const budget = { maxLines: 8, maxTokens: 128, maxMs: 2000 };

async function main(): Promise<void> {
    const modelPath = option("model") ?? (await qwen05bShapeModel());
    const engine = createTestEngine();
    await engine.client.start(settingsFor(modelPath, { contextSize: 4096, gpu: "auto" }));
    const state = await engine.waitFor((s) => s.kind === "ready" || s.kind === "error", "the model", 300_000);
    if (state.kind !== "ready") throw new Error(`The model did not load: ${JSON.stringify(state)}`);
    const chat = await chatFirstTokens(engine);
    const alone = await typing(engine, Number(option("keystrokes") ?? 24), 1);
    const whileChatting = await typingWhileChatting(engine, Number(option("keystrokes") ?? 24));
    const figures = {
        model: modelPath,
        threads: state.load.threads,
        chat,
        completion_alone: summarize(alone),
        completion_while_chat_streams: summarize(whileChatting.results),
        chat_tokens_streamed_meanwhile: whileChatting.chatTokens,
    };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    const json = option("json");
    if (json !== undefined) writeFileSync(json, JSON.stringify(figures, null, 2));
    await engine.client.dispose();
}

async function chatFirstTokens(
    engine: TestEngine,
): Promise<{ turn1_ttft_ms: { p50: number }; turn2_ttft_ms: { p50: number }; turn2_reused_tokens: { p50: number } }> {
    const snippet = readRealSource().slice(0, 1200);
    const turn1: number[] = [];
    const turn2: number[] = [];
    const reused: number[] = [];
    for (let i = 0; i < 3; i++) {
        const question: ChatTurn = { role: "user", content: `Conversation ${i}. What does this code do?\n\`\`\`ts\n${snippet}\n\`\`\`` };
        const first = await engine.client.chat(
            { conversationId: `c${i}`, messages: [systemPrompt, question], maxTokens: 32, temperature: 0 },
            new CancellationTokenSource().token,
        );
        turn1.push(first.timings.ttftMs);
        const second = await engine.client.chat(
            {
                conversationId: `c${i}`,
                messages: [systemPrompt, question, { role: "assistant", content: first.text }, { role: "user", content: "Shorter, please." }],
                maxTokens: 32,
                temperature: 0,
            },
            new CancellationTokenSource().token,
        );
        turn2.push(second.timings.ttftMs);
        reused.push(second.counts.reusedTokens);
    }
    return {
        turn1_ttft_ms: { p50: percentile(turn1, 50) },
        turn2_ttft_ms: { p50: percentile(turn2, 50) },
        turn2_reused_tokens: { p50: percentile(reused, 50) },
    };
}

async function typing(engine: TestEngine, keystrokes: number, seed: number): Promise<CompleteResult[]> {
    const source = readRealSource();
    const results: CompleteResult[] = [];
    for (const [index, site] of pickSites(source, 6, seed, 6, 8).entries()) {
        const [jump, ...strokes] = keystrokesAt(source, site, index);
        if (jump === undefined) continue;
        const document = (text: string) => ({ id: `file:///bench/chat-${seed}.ts`, path: "src/lexer.ts", languageId: "typescript", text });
        await engine.client.warm({ document: document(jump.text), cursor: jump.cursor, layout: "psm" }, new CancellationTokenSource().token);
        for (const stroke of strokes) {
            if (results.length >= keystrokes) return results;
            const lineStart = stroke.text.lastIndexOf("\n", stroke.cursor - 1) + 1;
            const lineEnd = stroke.text.indexOf("\n", stroke.cursor);
            const mode = chooseMode(stroke.text.slice(lineStart, stroke.cursor), stroke.text.slice(stroke.cursor, lineEnd === -1 ? undefined : lineEnd));
            await new Promise((r) => setTimeout(r, Number(option("gap-ms") ?? 150)));
            results.push(
                await engine.client.complete(
                    { document: document(stroke.text), cursor: stroke.cursor, mode, layout: "psm", budget },
                    new CancellationTokenSource().token,
                ),
            );
        }
    }
    return results;
}

async function typingWhileChatting(engine: TestEngine, keystrokes: number): Promise<{ results: CompleteResult[]; chatTokens: number }> {
    const stop = new CancellationTokenSource();
    const answering = engine.client.chat(
        {
            conversationId: "long",
            messages: [systemPrompt, { role: "user", content: "Explain, at length, how a lexer and a parser work together." }],
            maxTokens: 4000,
            temperature: 0,
        },
        stop.token,
    );
    await new Promise((r) => setTimeout(r, 1500)); // the answer is streaming
    const results = await typing(engine, keystrokes, 2);
    stop.cancel();
    const answer = await answering;
    return { results, chatTokens: answer.counts.generatedTokens };
}

function summarize(results: readonly CompleteResult[]): { keystrokes: number; ttft_ms: { p50: number; p95: number }; evaluated_tokens: { p50: number } } {
    const ttft = results.map((r) => r.timings.ttftMs);
    return {
        keystrokes: results.length,
        ttft_ms: { p50: percentile(ttft, 50), p95: percentile(ttft, 95) },
        evaluated_tokens: {
            p50: percentile(
                results.map((r) => r.counts.evaluatedTokens),
                50,
            ),
        },
    };
}

main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
});
