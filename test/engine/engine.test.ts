import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineErrorKind } from "../../src/protocol/engineProtocol";
import type { EngineState } from "../../src/extension/engine/engineState";
import { RestartPolicy } from "../../src/extension/engine/restartPolicy";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { createTestEngine, isSettled, settingsFor, sidecarScript, type TestEngine } from "./engineHarness";

type Ready = Extract<EngineState, { kind: "ready" }>;
const isReady = (state: EngineState): state is Ready => state.kind === "ready";

describe("engine: the real sidecar over its real protocol", function () {
    // Fresh fixtures every run (they take well under a second), so a changed generator is never masked by a cache.
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-engine-fixtures-"));
    let fixtures: FixturePaths;
    let engine: TestEngine;

    before(async () => {
        fixtures = await ensureFixtures(fixtureDir);
    });

    after(() => rmSync(fixtureDir, { recursive: true, force: true }));

    afterEach(async () => {
        await engine?.client.dispose();
    });

    it("starts the sidecar, loads the generated model and reports what it offers", async () => {
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tiny, { contextSize: 2048 }));
        const state = await engine.waitFor(isSettled, "the tiny model to load");
        assert.ok(isReady(state), `expected ready, got ${JSON.stringify(state)}`);
        assert.equal(state.backend.backend, "cpu");
        assert.equal(state.load.model.architecture, "qwen2");
        assert.notEqual(state.load.model.fim, null, "the fixture tokenizer has FIM tokens");
        assert.equal(state.load.model.hasFileSeparator, true);
        assert.equal(state.load.model.hasChatTemplate, true);
        assert.equal(state.load.model.chatWrapper, "ChatML", "the fixture's ChatML template is recognised");
        assert.equal(state.load.model.isDemo, false);
        assert.ok(state.load.contextSize <= 2048 && state.load.contextSize >= 1024, `context ${state.load.contextSize}`);
        assert.ok(state.load.threads >= 1);
        assert.ok(engine.client.sidecarPid !== undefined && engine.client.sidecarPid !== process.pid);
        // Progress was reported on the way.
        assert.ok(engine.states.some((s) => s.kind === "loading"));
    });

    it("reports models without FIM tokens or chat template, and demo models", async () => {
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tinyNoFim));
        const noFim = await engine.waitFor(isSettled, "the no-FIM model");
        assert.ok(isReady(noFim));
        assert.equal(noFim.load.model.fim, null);

        await engine.client.applySettings(settingsFor(fixtures.tinyNoChatTemplate));
        const noTemplate = await engine.waitFor((s) => isReady(s) && s.load.model.path === fixtures.tinyNoChatTemplate, "the no-template model");
        assert.ok(isReady(noTemplate));
        assert.equal(noTemplate.load.model.hasChatTemplate, false);

        await engine.client.applySettings(settingsFor(fixtures.demo));
        const demo = await engine.waitFor((s) => isReady(s) && s.load.model.path === fixtures.demo, "the demo model");
        assert.ok(isReady(demo) && demo.load.model.isDemo);
    });

    describe("bad model files end in a clear error and the engine keeps working", () => {
        const cases: [name: string, path: (f: FixturePaths, dir: string) => string, kind: EngineErrorKind][] = [
            ["no model configured", () => "", "noModel"],
            ["a missing file", (_f, dir) => join(dir, "does-not-exist.gguf"), "fileMissing"],
            ["a folder", (_f, dir) => dir, "notAFile"],
            ["an empty file", (f) => f.empty, "notGguf"],
            ["a text file named .gguf", (f) => f.notGguf, "notGguf"],
            ["a file cut inside its header", (f) => f.truncatedHeader, "truncated"],
            ["a file cut inside its tensor data", (f) => f.truncated, "truncated"],
            ["an unknown architecture", (f) => f.unsupportedArch, "unsupportedArchitecture"],
            ["a file that cannot be read", () => "/proc/self/mem", "unreadable"],
        ];

        it("each bad file gives its own error, naming the file", async () => {
            engine = createTestEngine();
            await engine.client.start(settingsFor(fixtures.tiny));
            await engine.waitFor(isReady, "the first load");
            const pid = engine.client.sidecarPid;
            const details: string[] = [];
            for (const [name, pathOf, kind] of cases) {
                const path = pathOf(fixtures, fixtureDir);
                await engine.client.applySettings(settingsFor(path));
                const state = await engine.waitFor(isSettled, name);
                assert.equal(state.kind, "error", `${name}: ${JSON.stringify(state)}`);
                assert.ok(state.kind === "error");
                assert.equal(state.error.kind, kind, `${name}: ${state.error.detail}`);
                if (kind !== "noModel") assert.equal(state.error.path, path, `${name} names the file`);
                details.push(state.error.detail);
            }
            assert.ok(
                details.some((d) => d.startsWith("The GGUF header is cut short")),
                "a cut header is named as such",
            );
            assert.ok(
                details.some((d) => /tensors need \d+/.test(d)),
                "cut tensor data is named as such",
            );
            // Same process throughout: no bad file crashed the sidecar.
            assert.equal(engine.client.sidecarPid, pid);
            await engine.client.applySettings(settingsFor(fixtures.tiny));
            const back = await engine.waitFor(isReady, "the good model again");
            assert.ok(isReady(back));
        });
    });

    it("a newer load cancels the one in progress", async () => {
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tiny));
        await engine.waitFor(isReady, "the first load");
        const first = engine.client.applySettings(settingsFor(fixtures.tinyNoFim));
        const second = engine.client.applySettings(settingsFor(fixtures.demo));
        await Promise.all([first, second]);
        const state = await engine.waitFor(isReady, "the last load");
        assert.ok(isReady(state));
        assert.equal(state.load.model.path, fixtures.demo, "the last requested model wins");
        const readies = engine.states.filter(isReady).map((s) => s.load.model.path);
        assert.ok(!readies.includes(fixtures.tinyNoFim) || readies.indexOf(fixtures.tinyNoFim) < readies.lastIndexOf(fixtures.demo));
    });

    it("changing the backend starts a new sidecar", async () => {
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tiny, { gpu: "cpu" }));
        await engine.waitFor(isReady, "cpu load");
        const before = engine.client.sidecarPid;
        await engine.client.applySettings(settingsFor(fixtures.tiny, { gpu: "auto" }));
        const state = await engine.waitFor(isReady, "auto load");
        assert.ok(isReady(state));
        assert.notEqual(engine.client.sidecarPid, before);
        assert.equal(state.backend.backend, "cpu", "this machine has no GPU: auto falls back to the CPU");
    });

    it("after kill -9 the sidecar comes back and reloads the model", async () => {
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tiny));
        await engine.waitFor(isReady, "first load");
        const pid = engine.client.sidecarPid;
        assert.ok(pid !== undefined);
        process.kill(pid, "SIGKILL");
        await engine.waitFor((s) => s.kind === "restarting", "the crash to be noticed");
        const state = await engine.waitFor(isReady, "the reload after the crash");
        assert.ok(isReady(state));
        assert.equal(state.load.model.path, fixtures.tiny);
        assert.notEqual(engine.client.sidecarPid, pid);
        assert.ok(
            engine.logs.some((line) => line.includes("killed by SIGKILL")),
            "the crash is logged",
        );
    });

    it("stops restarting after 5 crashes within 3 minutes, and restarts on request", async () => {
        // The real policy with short delays, so the test does not wait 15 s of backoff.
        engine = createTestEngine(new RestartPolicy({ maxCrashes: 5, windowMs: 180_000, initialDelayMs: 50, maxDelayMs: 200 }));
        await engine.client.start(settingsFor(fixtures.tiny));
        for (let crash = 1; crash <= 5; crash++) {
            // Killed once ready: a kill while loading would blame the file, which is then not loaded again (faults.test.ts).
            await engine.waitFor((s) => s.kind === "ready", `sidecar ${crash} to run`);
            const pid = engine.client.sidecarPid;
            assert.ok(pid !== undefined, `a sidecar runs before crash ${crash}`);
            process.kill(pid, "SIGKILL");
            await engine.waitFor((s) => s.kind === (crash < 5 ? "restarting" : "stopped"), `crash ${crash} to be handled`);
        }
        assert.equal(engine.client.state.kind, "stopped");
        assert.equal(engine.client.sidecarPid, undefined);
        assert.equal(engine.states.filter((s) => s.kind === "restarting").length, 4);

        await engine.client.restart();
        assert.ok(isReady(await engine.waitFor(isSettled, "the restart")));
    });

    it("dispose shuts the sidecar down", async () => {
        engine = createTestEngine();
        await engine.client.start(settingsFor(fixtures.tiny));
        await engine.waitFor(isReady, "load");
        const pid = engine.client.sidecarPid;
        assert.ok(pid !== undefined);
        await engine.client.dispose();
        assert.throws(() => process.kill(pid, 0), /ESRCH/, "the sidecar process is gone");
    });
});

describe("engine: the sidecar cannot be started by hand", () => {
    it("exits with a message when run without the extension's IPC channel", () => {
        const dir = mkdtempSync(join(tmpdir(), "hearth-sidecar-"));
        const run = spawnSync(process.execPath, [sidecarScript], { encoding: "utf8", cwd: dir });
        assert.equal(run.status, 2);
        assert.match(run.stderr, /must be started by the extension/);
    });
});
