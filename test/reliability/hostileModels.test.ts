import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineState } from "../../src/extension/engine/engineState";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { hostileModels, writeHostileBase } from "../fixtures/gguf/hostileModels";
import { createTestEngine, isSettled, settingsFor, type TestEngine } from "../engine/engineHarness";

type Ready = Extract<EngineState, { kind: "ready" }>;
const isReady = (state: EngineState): state is Ready => state.kind === "ready";

/** Settled on `file`: an error about it, a load of it, or the engine stopping or restarting (a crash). */
const settledOn =
    (file: string) =>
    (state: EngineState): boolean =>
        state.kind === "restarting" ||
        state.kind === "stopped" ||
        (state.kind === "error" && state.error.path === file) ||
        (isReady(state) && state.load.model.path === file);

describe("reliability: hostile GGUF files end in a clean error on the same sidecar", function () {
    const dir = mkdtempSync(join(tmpdir(), "hearth-hostile-"));
    const files = new Map<string, string>();
    const base = join(dir, "hostile-base.gguf");
    let fixtures: FixturePaths;
    let engine: TestEngine | undefined;

    before(async function () {
        fixtures = await ensureFixtures(join(dir, "fixtures"));
        await writeHostileBase(base);
        for (const hostile of hostileModels) {
            const file = join(dir, `${hostile.name}.gguf`);
            await hostile.write(file);
            files.set(hostile.name, file);
        }
    });

    after(async function () {
        await engine?.client.dispose();
        rmSync(dir, { recursive: true, force: true });
    });

    it("refuses each hostile file with its own error and path, never restarts, and still loads a valid model", async function () {
        engine = createTestEngine();
        // The hostile files are this model with one thing wrong: it loads.
        await engine.client.start(settingsFor(base));
        const first = await engine.waitFor(isSettled, "the unmodified base model");
        assert.ok(isReady(first), `the base model loads: ${JSON.stringify(first)}`);
        const pid = engine.client.sidecarPid;
        assert.ok(pid !== undefined);

        let tried = 0;
        let clean = 0;
        const problems: string[] = [];
        for (const hostile of hostileModels) {
            const file = files.get(hostile.name) ?? assert.fail(`no file for ${hostile.name}`);
            tried++;
            const started = performance.now();
            await engine.client.applySettings(settingsFor(file));
            const state = await engine.waitFor(settledOn(file), hostile.name, 30_000);
            const ms = Math.round(performance.now() - started);
            const samePid = engine.client.sidecarPid === pid;
            if (
                state.kind === "error" &&
                state.error.kind === hostile.expectedKind &&
                state.error.path === file &&
                hostile.expectedDetail.test(state.error.detail) &&
                samePid
            ) {
                clean++;
            } else {
                problems.push(
                    `${hostile.name} (${ms} ms): expected ${hostile.expectedKind} on pid ${pid}, got ${JSON.stringify(state)} on pid ${engine.client.sidecarPid}`,
                );
            }
            if (!samePid) break; // the sidecar died: the rest would test a new one
        }
        console.log(
            `      hostile GGUF files: ${tried} tried, ${clean} clean errors, ${problems.length} problems, sidecar pid ${pid} throughout: ${engine.client.sidecarPid === pid}`,
        );
        assert.deepEqual(problems, []);
        assert.equal(clean, hostileModels.length);
        assert.ok(!engine.states.some((state) => state.kind === "restarting" || state.kind === "stopped"), "the engine never restarted or stopped");
        assert.ok(
            !engine.logs.some((line) => hostileModels.some((hostile) => line.includes(`Loading ${files.get(hostile.name) ?? "?"} `))),
            "llama.cpp never loaded a hostile file",
        );

        // The same sidecar still loads a valid model.
        await engine.client.applySettings(settingsFor(fixtures.tiny));
        const back = await engine.waitFor(settledOn(fixtures.tiny), "the tiny model after the hostile files");
        assert.ok(isReady(back), JSON.stringify(back));
        assert.equal(engine.client.sidecarPid, pid, "the same sidecar process");
    });
});
