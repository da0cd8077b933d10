import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Llama, LlamaContext, LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { CompleteParams, CompletionMode, PromptLayout } from "../../src/protocol/completionProtocol";
import { CompletionEngine } from "../../src/sidecar/completion/completionEngine";
import { evaluationSliceTokens } from "../../src/sidecar/modelContext";
import { EngineError } from "../../src/sidecar/engineError";
import { chatSequences, completionSequences, createModelContext } from "../../src/sidecar/modelContext";
import { ensureFixtures } from "../fixtures/gguf";
import { keystrokesAt, percentile, pickSites, readRealSource, seededRandom } from "./typingReplay";

const layouts: PromptLayout[] = ["psm", "spm"];

describe("completion engine: prompts that stay in the KV cache (real node-llama-cpp, generated model)", function () {
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-completion-fixtures-"));
    const source = readRealSource();
    let llama: Llama;
    let model: LlamaModel;
    let context: LlamaContext;
    let engine: CompletionEngine;

    const params = (text: string, cursor: number, layout: PromptLayout, extra: Partial<CompleteParams> = {}): CompleteParams => ({
        document: { id: `file:///work/lexer-${layout}.ts`, path: "src/lexer.ts", languageId: "typescript", text },
        cursor,
        mode: modeAt(text, cursor),
        layout,
        budget: { maxTokens: 12, maxLines: 4, maxMs: 60_000 },
        ...extra,
    });
    const never = new AbortController().signal;

    before(async () => {
        const fixtures = await ensureFixtures(fixtureDir);
        const lib = await import("node-llama-cpp");
        llama = await lib.getLlama({ build: "never", gpu: false, logLevel: lib.LlamaLogLevel.error });
        model = await llama.loadModel({ modelPath: fixtures.tiny });
        context = await createModelContext(model, { contextSize: 4096, threads: 1, sequences: completionSequences + chatSequences });
        // As the sidecar creates it: with TokenBias, so prompts ending inside a word are healed.
        const created = CompletionEngine.create(model, context, { sequences: completionSequences, tokenBias: lib.TokenBias });
        assert.ok(created, "the fixture model has FIM tokens");
        engine = created;
    });

    after(async () => {
        await context?.dispose();
        await model?.dispose();
        await llama?.dispose();
        rmSync(fixtureDir, { recursive: true, force: true });
    });

    for (const layout of layouts) {
        it(`${layout}: a completion on a reused KV cache equals one on a fresh sequence, at 60 random edit positions`, async () => {
            const random = seededRandom(layout === "psm" ? 7 : 11);
            let text = source;
            let reusedTotal = 0;
            for (let i = 0; i < 60; i++) {
                // A random edit somewhere in the file, cursor right after it.
                const at = Math.floor(random() * text.length);
                const edit = random() < 0.5 ? "x" : "";
                text = text.slice(0, at) + edit + text.slice(at + (edit === "" ? 1 : 0));
                const cursor = at + edit.length;
                // Moved chunks are close to, not exactly, what evaluating them again gives (see chunkReuse.ts).
                const warm = await engine.complete(params(text, cursor, layout, { features: { chunkReuse: false } }), never);
                const cold = await engine.complete(params(text, cursor, layout, { cold: true }), never);
                assert.equal(cold.counts.reusedTokens, 0, "the cold request starts from an empty sequence");
                assert.equal(cold.counts.promptTokens, warm.counts.promptTokens, "both requests see the same prompt");
                assert.equal(warm.raw, cold.raw, `edit ${i} at ${at}: cached and fresh generations differ`);
                assert.equal(warm.text, cold.text);
                reusedTotal += warm.counts.reusedTokens;
            }
            assert.ok(reusedTotal > 0, "the cache was used");
        });

        it(`${layout}: typing forward evaluates at most 4 prompt tokens on 95% of keystrokes, never more than 8`, async () => {
            const sites = pickSites(source, 12, layout === "psm" ? 3 : 5);
            const evaluated: number[] = [];
            for (const [siteIndex, site] of sites.entries()) {
                const strokes = keystrokesAt(source, site, siteIndex);
                const [jump, ...typing] = strokes;
                assert.ok(jump !== undefined);
                // The jump: the editor warms the prompt when the user lands somewhere and pauses.
                await engine.warm({ document: params(jump.text, jump.cursor, layout).document, cursor: jump.cursor, layout }, never);
                for (const stroke of typing) {
                    const result = await engine.complete(params(stroke.text, stroke.cursor, layout), never);
                    evaluated.push(result.counts.evaluatedTokens);
                }
            }
            const within4 = evaluated.filter((n) => n <= 4).length / evaluated.length;
            assert.ok(evaluated.length >= 100, `${evaluated.length} keystrokes`);
            assert.ok(within4 >= 0.95, `${(within4 * 100).toFixed(1)}% of keystrokes evaluated ≤ 4 tokens; p95 ${percentile(evaluated, 95)}`);
            assert.ok(Math.max(...evaluated) <= 8, `a keystroke evaluated ${Math.max(...evaluated)} tokens`);
        });
    }

    it("token healing: inside a word the typed word's last token is generated again, and the suggestion continues it", async () => {
        const text = "export function total(values: number[]): number {\n    return values.redu\n}\n";
        const cursor = text.indexOf("redu") + "redu".length;
        const healed = await engine.complete({ ...params(text, cursor, "psm"), cold: true }, never);
        assert.ok(healed.counts.healedTokens >= 1, "the prompt's last token(s) were taken back");
        // The same request without healing: one token more in the prompt, none taken back.
        const plain = await engine.complete({ ...params(text, cursor, "psm"), cold: true, features: { tokenHealing: false } }, never);
        assert.equal(plain.counts.healedTokens, 0);
        assert.equal(plain.counts.promptTokens, healed.counts.promptTokens + healed.counts.healedTokens);
        // After a space the last token is a space; after a line break nothing is healed.
        const atLineStart = text.indexOf("    return");
        const none = await engine.complete({ ...params(text, atLineStart, "psm"), cold: true }, never);
        assert.equal(none.counts.healedTokens, 0, "nothing typed on the line: nothing to heal");
    });

    it("a jump down: the text above the new place is moved into place in the KV cache, not read again", async () => {
        const lineStart = (line: number): number => source.split("\n").slice(0, line).join("\n").length + 1;
        const document = { id: "file:///work/jump.ts", path: "src/jump.ts", languageId: "typescript", text: source };
        const jump = async (chunkReuse: boolean): Promise<Awaited<ReturnType<CompletionEngine["complete"]>>> => {
            // The cache holds the prompt at line 120; the cursor then jumps 70 lines down.
            await engine.complete({ ...params(source, lineStart(120), "psm"), document, cold: true }, never);
            return engine.complete({ ...params(source, lineStart(190), "psm"), document, features: { chunkReuse } }, never);
        };
        const without = await jump(false);
        const reused = await jump(true);
        assert.equal(without.counts.movedTokens, 0);
        assert.equal(reused.counts.promptTokens, without.counts.promptTokens, "the same prompt");
        assert.ok(reused.counts.movedTokens >= 64, `${reused.counts.movedTokens} tokens moved`);
        assert.equal(reused.counts.reusedTokens, without.counts.reusedTokens + reused.counts.movedTokens, "the common prefix, then the moved chunk");
        assert.equal(without.counts.evaluatedTokens - reused.counts.evaluatedTokens, reused.counts.movedTokens, "what was moved was not evaluated");
    });

    it("a request cancelled during prompt evaluation settles within one slice and leaves the sequence reusable", async () => {
        const cursor = source.indexOf("\n", Math.floor(source.length * 0.8));
        const id = { document: { id: "file:///work/cancel.ts", path: "src/cancel.ts", languageId: "typescript", text: source } };
        const abort = new AbortController();
        let evaluatedAtAbort = -1;
        const running = engine.complete({ ...params(source, cursor, "psm"), ...id, cold: true }, abort.signal);
        // Abort once the first slices are in: poll the engine's own view of the cache.
        const started = Date.now();
        while (evaluatedAtAbort < 0 && Date.now() - started < 30_000) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            const cached = engine.cachedTokens(id.document.id);
            if (cached >= evaluationSliceTokens) {
                evaluatedAtAbort = cached;
                abort.abort();
            }
        }
        await assert.rejects(running, (error: unknown) => error instanceof EngineError && error.kind === "cancelled");
        const atSettle = engine.cachedTokens(id.document.id);
        assert.ok(atSettle - evaluatedAtAbort <= evaluationSliceTokens, `evaluated ${atSettle - evaluatedAtAbort} tokens after the abort`);

        const resumed = await engine.complete({ ...params(source, cursor, "psm"), ...id }, never);
        assert.ok(resumed.counts.reusedTokens >= evaluatedAtAbort, `reused ${resumed.counts.reusedTokens} of the ${atSettle} evaluated before the cancel`);
        assert.equal(resumed.counts.reusedTokens + resumed.counts.evaluatedTokens, resumed.counts.promptTokens);
        const cold = await engine.complete({ ...params(source, cursor, "psm"), ...id, cold: true }, never);
        assert.equal(resumed.raw, cold.raw, "the resumed prefix gives the same completion as a fresh one");
    });

    it("a newer request supersedes the running one", async () => {
        const cursor = source.indexOf("\n", Math.floor(source.length * 0.5));
        const doc = { id: "file:///work/supersede.ts", path: "src/supersede.ts", languageId: "typescript", text: source };
        const first = engine.complete({ ...params(source, cursor, "spm"), document: doc, cold: true }, never);
        const second = engine.complete({ ...params(source, cursor, "spm"), document: doc }, never);
        await assert.rejects(first, (error: unknown) => error instanceof EngineError && error.kind === "cancelled");
        const result = await second;
        assert.ok(result.counts.generatedTokens > 0);
    });

    it("keeps one sequence per recent document, least recently used reassigned", async () => {
        for (const name of ["a", "b", "c", "d"]) {
            const text = `// file ${name}\nexport const ${name} = 1;\n`;
            await engine.warm(
                { document: { id: `file:///lru/${name}.ts`, path: `${name}.ts`, languageId: "typescript", text }, cursor: text.length, layout: "psm" },
                never,
            );
        }
        const cached = engine.cachedDocuments.filter((id) => id.startsWith("file:///lru/"));
        assert.deepEqual(cached, ["file:///lru/b.ts", "file:///lru/c.ts", "file:///lru/d.ts"]);
    });
});

function modeAt(text: string, cursor: number): CompletionMode {
    const lineEnd = text.indexOf("\n", cursor);
    return text.slice(cursor, lineEnd === -1 ? text.length : lineEnd).trim() === "" ? "block" : "line";
}
