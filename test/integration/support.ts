import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { EngineState } from "../../src/extension/engine/engineState";
import type { HearthApi } from "../../src/extension/hearth";
import type { FixturePaths } from "../fixtures/gguf";

export const extensionId = "hearth-dev.hearth";

/** The generated models the launcher wrote (HEARTH_FIXTURES_JSON). */
export function fixtureModels(): FixturePaths {
    const json = process.env.HEARTH_FIXTURES_JSON;
    assert.ok(json, "the launcher passes the generated fixtures in HEARTH_FIXTURES_JSON");
    return JSON.parse(json) as FixturePaths;
}

/** Activates the real extension and returns its API. */
export async function activateHearth(): Promise<HearthApi> {
    const extension = vscode.extensions.getExtension<HearthApi>(extensionId);
    assert.ok(extension, `${extensionId} is installed`);
    const api = await extension.activate();
    assert.ok(extension.isActive);
    return api;
}

/** Polls until `probe` gives a value (not undefined or false). */
export async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
    const started = Date.now();
    for (;;) {
        const value = probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}

export function setting(key: string, value: unknown): Thenable<void> {
    return vscode.workspace.getConfiguration("hearth").update(key, value, vscode.ConfigurationTarget.Global);
}

export const readyWith =
    (path: string) =>
    (state: EngineState): boolean =>
        state.kind === "ready" && state.load.model.path === path;

/** Reverts every changed document and closes all editors, so each test starts from the sample workspace as it is. */
export async function revertAll(): Promise<void> {
    for (const document of vscode.workspace.textDocuments.filter((d) => d.isDirty && !d.isUntitled)) {
        await vscode.window.showTextDocument(document);
        await vscode.commands.executeCommand("workbench.action.files.revert");
    }
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
}

/** Activates Hearth and loads `path` (after applying `settings`), waiting until the engine is ready with it. */
export async function readyHearth(path: string, settings: Readonly<Record<string, unknown>> = {}): Promise<HearthApi> {
    const api = await activateHearth();
    for (const [key, value] of Object.entries(settings)) await setting(key, value);
    await setting("completions.model", path);
    await until(() => readyWith(path)(api.engineState), `the model ${path}`);
    return api;
}
