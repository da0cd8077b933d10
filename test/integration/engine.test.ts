import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { EngineState } from "../../src/extension/engine/engineState";
import type { HearthApi } from "../../src/extension/api";
import type { FixturePaths } from "../fixtures/gguf";
import { hostileModels } from "../fixtures/gguf/hostileModels";
import { activateHearth, fixtureModels, patienceMs } from "./support";

function waitForState(api: HearthApi, predicate: (state: EngineState) => boolean, what: string, timeoutMs = patienceMs): Promise<EngineState> {
    return new Promise((resolve, reject) => {
        if (predicate(api.engineState)) {
            resolve(api.engineState);
            return;
        }
        const timer = setTimeout(() => {
            subscription.dispose();
            reject(new Error(`Timed out waiting for ${what}; state is ${JSON.stringify(api.engineState)}`));
        }, timeoutMs);
        const subscription = api.onDidChangeEngineState((state) => {
            if (!predicate(state)) return;
            clearTimeout(timer);
            subscription.dispose();
            resolve(state);
        });
    });
}

async function setModel(path: string | undefined): Promise<void> {
    await vscode.workspace.getConfiguration("hearth").update("completions.model", path, vscode.ConfigurationTarget.Global);
}

const readyWith = (path: string) => (state: EngineState) => state.kind === "ready" && state.load.model.path === path;

describe("Hearth in VS Code: the engine", () => {
    let api: HearthApi;
    let models: FixturePaths;

    before(async () => {
        models = fixtureModels();
        api = await activateHearth();
    });

    after(async () => {
        await setModel(undefined);
    });

    it("with no model configured, says so and offers the models recommended for this machine", async () => {
        await setModel(undefined);
        const state = await waitForState(api, (s) => s.kind === "error", "the no-model state");
        assert.ok(state.kind === "error" && state.error.kind === "noModel");
        assert.equal(api.statusBarText, "$(warning) Hearth: no model");
        const offer = api.notifications.find((m) => m.includes("Hearth has no model yet"));
        assert.ok(offer, api.notifications.join("\n"));
        assert.match(
            offer,
            /Recommended for this machine \([\d.]+ GB\): Qwen2\.5-Coder .+ \([\d.]+ [GM]B download, ~[\d.]+ [GM]B memory\) for completions and Qwen2\.5-Coder .+ Instruct .+ for chat/,
        );
        assert.ok(api.openNotices.includes(offer), "the offer is on screen while there is no model");
    });

    it("the status bar reaches ready with the generated model", async () => {
        await setModel(models.tiny);
        const state = await waitForState(api, readyWith(models.tiny), "the tiny model to be ready");
        assert.ok(state.kind === "ready");
        assert.equal(state.backend.backend, "cpu");
        assert.notEqual(state.load.model.fim, null);
        // Short: the icon and the model's name; backend and the rest are in the tooltip.
        assert.equal(api.statusBarText, "$(flame) Hearth test model");
        assert.match(api.statusBarTooltip, /Hearth is ready: Hearth test model \(random weights\)/);
        assert.match(api.statusBarTooltip, /Backend: CPU, 1 thread/);
        // The problem is gone, and so is its notice.
        assert.ok(!api.openNotices.some((m) => m.includes("Hearth has no model yet")), `still open: ${api.openNotices.join(" | ")}`);
        assert.ok(api.sidecarPid !== undefined && api.sidecarPid !== process.pid, "the model runs in a separate process");
    });

    it("a bad hearth.model shows the error and the extension stays alive", async () => {
        await setModel(models.notGguf);
        const notGguf = await waitForState(api, (s) => s.kind === "error" && s.error.path === models.notGguf, "the not-GGUF error");
        assert.ok(notGguf.kind === "error" && notGguf.error.kind === "notGguf");
        assert.equal(api.statusBarText, "$(error) Hearth: error");
        assert.ok(
            api.notifications.some((m) => m.includes(models.notGguf) && m.includes("is not a GGUF model")),
            api.notifications.join("\n"),
        );

        await setModel(models.truncated);
        const truncated = await waitForState(api, (s) => s.kind === "error" && s.error.path === models.truncated, "the truncated error");
        assert.ok(truncated.kind === "error" && truncated.error.kind === "truncated");
        assert.ok(api.notifications.some((m) => m.includes(models.truncated) && m.includes("incomplete")));

        // One problem, one notice: the truncated file's replaced the not-GGUF one.
        assert.equal(api.openNotices.length, 1, api.openNotices.join(" | "));
        assert.match(api.openNotices[0] ?? "", /incomplete/);

        // Still alive: its commands run and a good model loads again.
        await vscode.commands.executeCommand("hearth.showLog");
        await setModel(models.tiny);
        assert.equal((await waitForState(api, readyWith(models.tiny), "the good model again")).kind, "ready");
        assert.deepEqual(api.openNotices, [], "the error's notice closed once the model loaded");
    });

    it("a crafted model file is refused before llama.cpp reads it, with words that name the file and the value", async () => {
        const hostile = hostileModels.find((model) => model.name === "block-count-2e31");
        assert.ok(hostile !== undefined);
        const dir = mkdtempSync(join(tmpdir(), "hearth-hostile-"));
        const file = join(dir, "crafted.gguf");
        await hostile.write(file);
        const pid = api.sidecarPid;
        try {
            await setModel(file);
            const refused = await waitForState(api, (s) => s.kind === "error" && s.error.path === file, "the crafted file's error");
            assert.ok(refused.kind === "error" && refused.error.kind === "corruptModel", JSON.stringify(refused));
            assert.ok(
                api.notifications.some((m) => m.includes(file) && m.includes("block_count is 2147483648")),
                api.notifications.join("\n"),
            );
            assert.equal(api.sidecarPid, pid, "the engine did not crash (llama.cpp would have aborted on this file)");
            await setModel(models.tiny);
            assert.equal((await waitForState(api, readyWith(models.tiny), "the good model again")).kind, "ready");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a demo model is loaded with a plain warning that its output is random", async () => {
        await setModel(models.demo);
        const state = await waitForState(api, readyWith(models.demo), "the demo model");
        assert.ok(state.kind === "ready" && state.load.model.isDemo);
        assert.ok(api.notifications.some((m) => m.includes("demo model") && m.includes("random")));
        assert.ok(api.openNotices.some((m) => m.includes("demo model")));
        // Another model: the demo warning no longer applies.
        await setModel(models.tiny);
        await waitForState(api, readyWith(models.tiny), "the tiny model");
        assert.deepEqual(api.openNotices, []);
    });

    it("killing the sidecar's process leads to a working engine again", async () => {
        await setModel(models.tiny);
        await waitForState(api, readyWith(models.tiny), "the tiny model");
        const pid = api.sidecarPid;
        assert.ok(pid !== undefined);
        process.kill(pid, "SIGKILL");
        await waitForState(api, (s) => s.kind === "restarting", "the crash to be noticed");
        const state = await waitForState(api, readyWith(models.tiny), "the engine to come back");
        assert.equal(state.kind, "ready");
        assert.ok(api.sidecarPid !== undefined && api.sidecarPid !== pid, "a new sidecar process");
        assert.equal(api.statusBarText, "$(flame) Hearth test model");
    });

    it("Restart Engine from the command palette starts a new sidecar", async () => {
        const pid = api.sidecarPid;
        await vscode.commands.executeCommand("hearth.restartEngine");
        await waitForState(api, (s) => readyWith(models.tiny)(s) && api.sidecarPid !== pid, "the restarted engine");
        assert.ok(api.sidecarPid !== undefined);
    });
});
