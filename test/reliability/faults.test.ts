import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancellationTokenSource, ResponseError } from "vscode-jsonrpc/node";
import type { ChatParams, ChatResult } from "../../src/protocol/chatProtocol";
import type { CompleteParams } from "../../src/protocol/completionProtocol";
import type { EngineErrorData } from "../../src/protocol/engineProtocol";
import type { EngineState } from "../../src/extension/engine/engineState";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import type { LivenessOptions } from "../../src/extension/engine/sidecarProcess";
import { createTestEngine, isSettled, settingsFor, type TestEngine } from "../engine/engineHarness";

type Ready = Extract<EngineState, { kind: "ready" }>;
type Failed = Extract<EngineState, { kind: "error" }>;
const isReady = (state: EngineState): state is Ready => state.kind === "ready";
const isError = (state: EngineState): state is Failed => state.kind === "error";

const source = "function add(a: number, b: number): number {\n    return a + b;\n}\n\nfunction mul(a: number, b: number): number {\n    ";
const completion = (text = source): CompleteParams => ({
    document: { id: "file:///faults.ts", path: "faults.ts", languageId: "typescript", text },
    cursor: text.length,
    mode: "block",
    layout: "psm",
    budget: { maxTokens: 8, maxLines: 2, maxMs: 60_000 },
});
const longChat = (lane: ChatParams["lane"] = "chat"): ChatParams => ({
    conversationId: `faults-${lane ?? "chat"}`,
    messages: [{ role: "user", content: "Write a long story about a compiler." }],
    maxTokens: 400,
    temperature: 0,
    lane,
});

/** The typed error a request ended with. */
async function errorOf(promise: Promise<unknown>): Promise<EngineErrorData> {
    try {
        await promise;
    } catch (error) {
        assert.ok(error instanceof ResponseError, `a ResponseError, not ${String(error)}`);
        return error.data as EngineErrorData;
    }
    assert.fail("the request was expected to fail");
}

/** A chat answer's listener for its streamed parts (`onPart`), and `started`, which resolves at the first one. */
function firstPart(): { readonly started: Promise<void>; readonly onPart: () => void } {
    let resolveStarted = (): void => undefined;
    const started = new Promise<void>((resolve) => (resolveStarted = resolve));
    return { started, onPart: () => resolveStarted() };
}

describe("reliability: faults the engine survives (kill, stop, files changing under it, unload in flight)", function () {
    this.timeout(180_000);
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-faults-fixtures-"));
    const work = mkdtempSync(join(tmpdir(), "hearth-faults-"));
    let fixtures: FixturePaths;
    let engine: TestEngine | undefined;
    const survived: string[] = [];

    before(async () => {
        fixtures = await ensureFixtures(fixtureDir);
    });

    afterEach(async () => {
        await engine?.client.dispose();
        engine = undefined;
    });

    /** A new engine on the real sidecar, ready on `model`. */
    async function readyEngine(model: string, liveness?: Partial<LivenessOptions>): Promise<TestEngine> {
        const created = createTestEngine(undefined, liveness);
        await created.client.start(settingsFor(model));
        const ready = await created.waitFor(isSettled, `${model} to load`);
        assert.ok(isReady(ready), `${JSON.stringify(ready)}\n${created.logs.slice(-10).join("\n")}`);
        return created;
    }

    /** A copy of the tiny model that a test may cut, replace or delete. */
    function copyOfTiny(name: string): string {
        const file = join(work, name);
        copyFileSync(fixtures.tiny, file);
        return file;
    }

    after(() => {
        console.log(`      faults survived: ${survived.length} (${survived.join("; ")})`);
        rmSync(fixtureDir, { recursive: true, force: true });
        rmSync(work, { recursive: true, force: true });
    });

    it("SIGKILL in the middle of an answer: the pending request ends as engineCrashed, the engine comes back and answers", async () => {
        engine = await readyEngine(fixtures.tiny);
        const pid = engine.client.sidecarPid;
        assert.ok(pid !== undefined);
        const streaming = firstPart();
        const answer = engine.client.chat(longChat(), new CancellationTokenSource().token, streaming.onPart);
        await streaming.started;
        process.kill(pid, "SIGKILL");
        assert.equal((await errorOf(answer)).kind, "engineCrashed");
        await engine.waitFor((state) => isReady(state) && engine?.client.sidecarPid !== pid, "the restarted engine", 60_000);
        const result = await engine.client.complete(completion(), new CancellationTokenSource().token);
        assert.ok(result.counts.generatedTokens > 0);
        assert.ok(engine.states.some((state) => state.kind === "restarting"));
        survived.push("SIGKILL during a chat answer");
    });

    it("a restart while an answer streams: no part of the old engine's answer reaches its listener after the restart began", async () => {
        engine = await readyEngine(fixtures.tiny);
        const pid = engine.client.sidecarPid;
        let parts = 0;
        const streaming = firstPart();
        const answer = engine.client.chat(longChat(), new CancellationTokenSource().token, () => {
            parts++;
            streaming.onPart();
        });
        await streaming.started;
        const restarted = engine.client.restart();
        const partsBeforeRestart = parts;
        // The old sidecar may stream on while it shuts down; those parts are stale and dropped.
        await answer.catch(() => undefined);
        await restarted;
        assert.equal(parts, partsBeforeRestart, "the old engine's parts after the restart began were ignored");
        assert.ok(isReady(await engine.waitFor((state) => isReady(state) && engine?.client.sidecarPid !== pid, "the restarted engine", 60_000)));
        survived.push("a restart during a chat answer");
    });

    it("a chat answer that takes far longer than its idle deadline lives on: each streamed part renews the deadline", async () => {
        const chatIdleMs = 300;
        engine = await readyEngine(fixtures.tiny, { chatIdleMs });
        let parts = 0;
        const started = performance.now();
        const result = await engine.client.chat({ ...longChat(), maxTokens: 900 }, new CancellationTokenSource().token, () => parts++);
        const elapsed = performance.now() - started;
        assert.equal(result.stopReason, "maxTokens");
        assert.ok(elapsed > 2 * chatIdleMs, `the answer took ${Math.round(elapsed)} ms, more than twice its idle deadline (else this shows nothing)`);
        assert.ok(parts >= result.counts.generatedTokens - 1, `${parts} parts streamed`);
        survived.push(`a ${Math.round(elapsed)} ms answer under a ${chatIdleMs} ms idle deadline`);
    });

    it("SIGSTOP: the heartbeat finds the engine hung, kills it, restarts it; pending requests end as engineUnresponsive", async () => {
        engine = await readyEngine(fixtures.tiny, { heartbeatMs: 250, unresponsiveMs: 6000 });
        const pid = engine.client.sidecarPid;
        assert.ok(pid !== undefined);
        const streaming = firstPart();
        const answer = engine.client.chat(longChat(), new CancellationTokenSource().token, streaming.onPart);
        await streaming.started;
        process.kill(pid, "SIGSTOP");
        const pendingCompletion = engine.client.complete(completion(), new CancellationTokenSource().token);
        assert.equal((await errorOf(answer)).kind, "engineUnresponsive");
        assert.equal((await errorOf(pendingCompletion)).kind, "engineUnresponsive");
        await engine.waitFor((state) => isReady(state) && engine?.client.sidecarPid !== pid, "the restarted engine", 60_000);
        assert.throws(() => process.kill(pid, 0), "the stopped process was killed");
        assert.ok(engine.logs.some((line) => line.includes("did not answer")));
        const result = await engine.client.complete(completion(), new CancellationTokenSource().token);
        assert.ok(result.counts.generatedTokens > 0);
        survived.push("SIGSTOP during a chat answer");
    });

    it("a crash while loading a file: the restart does not load it again by itself, and says which file", async () => {
        engine = createTestEngine();
        const crashed = copyOfTiny("crashes-on-load.gguf");
        const active = engine;
        let killed = false;
        active.client.onDidChangeState((state) => {
            if (killed || state.kind !== "loading" || state.modelPath !== crashed) return;
            const pid = active.client.sidecarPid;
            if (pid === undefined) return;
            killed = true;
            process.kill(pid, "SIGKILL"); // as llama.cpp's abort on a file it cannot take would
        });
        await active.client.start(settingsFor(crashed));
        const refused = await active.waitFor((state) => isError(state), "the crashed-while-loading error", 60_000);
        assert.ok(isError(refused));
        assert.equal(refused.error.kind, "crashedLoading");
        assert.equal(refused.error.path, crashed);
        assert.equal(active.states.filter((state) => state.kind === "loading" && state.modelPath === crashed).length, 1, "loaded once, never again by itself");
        assert.equal(active.states.filter((state) => state.kind === "restarting").length, 1);
        // The user asks to try again: the file loads.
        await active.client.restart();
        assert.ok(isReady(await active.waitFor(isSettled, "the retried load")));
        survived.push("a crash while loading");
    });

    it("a loaded model's file cut short on disk: the model is unloaded before llama.cpp reads it, Hearth says so, and a restart refuses the cut file cleanly", async () => {
        const file = copyOfTiny("cut-under-load.gguf");
        engine = await readyEngine(file);
        const pid = engine.client.sidecarPid;
        await engine.client.complete(completion(), new CancellationTokenSource().token);
        truncateSync(file, 4096);
        const changed = await engine.waitFor(isError, "the change to be noticed", 20_000);
        assert.ok(isError(changed));
        assert.equal(changed.error.kind, "modelFileChanged");
        assert.equal(changed.error.path, file);
        assert.match(changed.error.detail, /cut from \d+ to 4096 bytes/);
        assert.equal(engine.client.sidecarPid, pid, "no crash");
        await engine.client.restart();
        const refused = await engine.waitFor(isSettled, "the reload of the cut file");
        assert.ok(isError(refused));
        assert.equal(refused.error.kind, "truncated");
        assert.equal(engine.states.filter((state) => state.kind === "restarting").length, 0, "no crash, so no crash loop");
        survived.push("a file cut under a loaded model");
    });

    it("a loaded model's file replaced by another: noticed, and a restart loads the new one", async () => {
        const file = copyOfTiny("replaced-under-load.gguf");
        engine = await readyEngine(file);
        const replacement = join(work, "replacement.gguf.tmp");
        copyFileSync(fixtures.tinyChat, replacement);
        renameSync(replacement, file);
        const changed = await engine.waitFor(isError, "the replacement to be noticed", 20_000);
        assert.ok(isError(changed));
        assert.equal(changed.error.kind, "modelFileChanged");
        assert.match(changed.error.detail, /replaced/);
        await engine.client.restart();
        const reloaded = await engine.waitFor(isSettled, "the new file");
        assert.ok(isReady(reloaded));
        assert.equal(reloaded.load.model.name, "Hearth test chat model (random weights)");
        survived.push("a file replaced under a loaded model");
    });

    it("a file cut while completions run: at most one crash, never a crash loop, and the cut file is then refused by name", async () => {
        const file = copyOfTiny("cut-while-busy.gguf");
        engine = await readyEngine(file);
        const active = engine;
        let stop = false;
        const typing = (async () => {
            for (let i = 0; !stop && i < 500; i++) {
                await active.client.complete(completion(`${source}${"x".repeat(i % 40)}`), new CancellationTokenSource().token).catch(() => undefined);
            }
        })();
        await new Promise((resolve) => setTimeout(resolve, 200));
        truncateSync(file, 2048);
        const settled = await active.waitFor((state) => isError(state) || state.kind === "stopped", "the cut to be noticed or the crash to end", 60_000);
        stop = true;
        await typing;
        assert.ok(isError(settled), JSON.stringify(settled));
        assert.ok(["modelFileChanged", "truncated"].includes(settled.error.kind), settled.error.kind);
        assert.ok(active.states.filter((state) => state.kind === "restarting").length <= 1, "at most one crash (SIGBUS on a cut mapped file), never a loop");
        survived.push(
            `a file cut during typing (${active.states.some((state) => state.kind === "restarting") ? "one SIGBUS, then a clean refusal" : "no crash"})`,
        );
    });

    it("unloading while a chat answer and completions are in flight: the work is cancelled cleanly, then the new model serves", async () => {
        engine = await readyEngine(fixtures.tiny);
        const pid = engine.client.sidecarPid;
        const streaming = firstPart();
        const answer = engine.client.chat(longChat(), new CancellationTokenSource().token, streaming.onPart);
        await streaming.started;
        const client = engine.client;
        const completions = Array.from({ length: 3 }, () =>
            client.complete(completion(), new CancellationTokenSource().token).catch((error: unknown) => error),
        );
        await engine.client.applySettings(settingsFor(fixtures.tinyChat));
        const outcome = await answer.then(
            (result: ChatResult) => result.stopReason,
            (error: unknown) => (error instanceof ResponseError ? (error.data as EngineErrorData).kind : String(error)),
        );
        assert.ok(["stopped", "cancelled", "noModelLoaded", "done", "maxTokens"].includes(outcome), `the answer ended cleanly: ${outcome}`);
        await Promise.all(completions);
        const reloaded = await engine.waitFor(
            (state) => isReady(state) && state.load.model.name === "Hearth test chat model (random weights)",
            "the new model",
        );
        assert.ok(isReady(reloaded));
        assert.equal(engine.client.sidecarPid, pid, "no crash");
        const result = await engine.client.complete(completion(), new CancellationTokenSource().token);
        assert.ok(result.counts.promptTokens > 0);
        survived.push("an unload with work in flight");
    });
});
