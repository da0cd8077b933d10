import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as vscode from "vscode";
import type { HearthApi } from "../../src/extension/api";
import type { FixturePaths } from "../fixtures/gguf";
import { ModelServer, sha256 } from "../fixtures/modelServer";
import { activateHearth, fixtureModels, readyWith, setting, until } from "./support";

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
    try {
        return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((entry) => statSync(join(dir, entry)).isFile());
    } catch {
        return [];
    }
}

describe("Hearth in VS Code: choosing, downloading and fitting models", () => {
    let api: HearthApi;
    let models: FixturePaths;
    let server: ModelServer;

    before(async () => {
        models = fixtureModels();
        api = await activateHearth();
        server = await ModelServer.start();
        await setting("models.huggingFaceEndpoint", server.url);
    });

    after(async () => {
        await setting("models.huggingFaceEndpoint", undefined);
        await setting("chat.model", undefined);
        await setting("contextSize", undefined);
        await server.close();
    });

    it("Choose Model with a local file switches the engine and the status bar", async () => {
        await setting("chat.model", undefined);
        await setting("completions.model", models.tiny);
        await until(() => readyWith(models.tiny)(api.engineState), "the tiny model");

        const switched = await vscode.commands.executeCommand<boolean>("hearth.selectModel", { reference: models.tinyChat, role: "both" });
        assert.equal(switched, true);
        assert.equal(vscode.workspace.getConfiguration("hearth").get("completions.model"), models.tinyChat);
        await until(() => readyWith(models.tinyChat)(api.engineState), "the newly selected model");
        assert.match(api.statusBarText, /Hearth test chat model/);
        assert.equal(api.engineState.kind === "ready" && api.engineState.load.chatModel, null, "one file serves both");
    });

    it("a separate chat model loads beside the completion model, and the status bar names both", async () => {
        await setting("completions.model", models.tiny);
        await vscode.commands.executeCommand("hearth.selectChatModel", { reference: models.tinyChat });
        const state = await until(
            () => (api.engineState.kind === "ready" && api.engineState.load.chatModel !== null ? api.engineState : undefined),
            "two models",
        );
        assert.equal(state.load.model.path, models.tiny);
        assert.equal(state.load.chatModel?.path, models.tinyChat);
        assert.equal(api.statusBarText, "$(flame) Hearth test model + chat model");
        await setting("chat.model", undefined);
        await until(() => api.engineState.kind === "ready" && api.engineState.load.chatModel === null, "one model again");
    });

    it("downloads a Hugging Face model into global storage with progress, then loads it", async () => {
        const body = readFileSync(models.tiny);
        server.addFile({ owner: "hearth-test", repo: "Tiny-GGUF", path: "tiny-q8_0.gguf", body });
        server.knobs = { chunkBytes: 8 * 1024, redirectToCdn: true };
        const reference = "hf:hearth-test/Tiny-GGUF/tiny-q8_0.gguf";
        const before = api.models.downloads;

        const chosen = await vscode.commands.executeCommand<boolean>("hearth.selectModel", { reference, role: "both" });
        assert.equal(chosen, true, `the download finished: ${api.models.downloads.lastMessage ?? ""}`);
        const after = api.models.downloads;
        assert.equal(after.completed, before.completed + 1);
        assert.ok(after.progressReports > before.progressReports, "the notification showed progress");

        const stored = filesUnder(api.models.folder);
        const file = stored.find((entry) => entry.endsWith("tiny-q8_0.gguf"));
        assert.ok(file, `the model is in the models folder: ${stored.join(", ")}`);
        assert.ok(!stored.some((entry) => entry.endsWith(".partial")), "no partial file is left");
        const path = join(api.models.folder, file);
        assert.equal(sha256(readFileSync(path)), sha256(body), "the bytes the server published");
        assert.ok(!relative(api.models.folder, path).startsWith(".."));

        assert.equal(vscode.workspace.getConfiguration("hearth").get("completions.model"), reference, "the setting keeps the portable reference");
        await until(() => readyWith(path)(api.engineState), "the downloaded model");
    });

    it("a configured model that is not downloaded says so, and Download fetches and loads it", async () => {
        const body = readFileSync(models.tinyChat);
        server.addFile({ owner: "hearth-test", repo: "Chat-GGUF", path: "chat.gguf", body });
        const reference = "hf:hearth-test/Chat-GGUF/chat.gguf";
        await setting("completions.model", reference);
        await until(() => api.engineState.kind === "error" && api.engineState.error.kind === "modelNotDownloaded", "the not-downloaded state");
        assert.match(api.statusBarText, /not downloaded/);
        assert.ok(
            api.notifications.some((message) => message.includes(`${reference} is not downloaded yet`)),
            api.notifications.join("\n"),
        );

        await vscode.commands.executeCommand("hearth.downloadModel");
        await until(
            () => api.engineState.kind === "ready" && api.engineState.load.model.path.endsWith("chat.gguf") && api.engineState,
            "the downloaded chat model",
        );
    });

    it("a model too large for this machine's memory is refused with the estimate and choices, and nothing is loaded", async () => {
        await setting("completions.model", models.tiny);
        await until(() => readyWith(models.tiny)(api.engineState), "the tiny model");
        await setting("completions.model", models.oversized);
        const refused = await until(
            () => (api.engineState.kind === "error" && api.engineState.error.kind === "insufficientMemory" ? api.engineState : undefined),
            "the memory refusal",
        );
        assert.equal(refused.error.path, models.oversized);
        assert.ok((refused.error.memory?.modelBytes ?? 0) > 1e12);
        assert.match(api.statusBarText, /not enough memory/);
        const warning = await until(
            () => api.notifications.find((message) => message.includes(models.oversized) && message.includes("needs about")),
            "the warning",
        );
        assert.match(warning, /but only [\d.]+ [GMk]B is free/);
        assert.match(warning, /smaller quantisation/);

        await setting("completions.model", models.tiny);
        await until(() => readyWith(models.tiny)(api.engineState), "the tiny model again");
    });

    it("the walkthrough opens", async () => {
        await vscode.commands.executeCommand("hearth.openWalkthrough");
        const tab = await until(() => vscode.window.tabGroups.activeTabGroup.activeTab, "an active tab");
        assert.match(tab.label, /Walkthrough|Welcome|Get Started/i, `the active tab is ${tab.label}`);
        await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
    });
});
