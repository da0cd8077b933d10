import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { EngineState } from "../../src/extension/engine/engineState";
import type { HearthApi } from "../../src/extension/api";
import type { FixturePaths } from "../fixtures/gguf";

const extensionId = "hearth-dev.hearth";

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

/**
 * How long a test waits for something that will happen: sized for a loaded 2-core machine (a
 * model load, a restart, a streamed answer take seconds there, not milliseconds). Tests wait for
 * events and counts; a deadline only says when to give up and report.
 */
export const patienceMs = 90_000;

/** Polls until `probe` gives a value (not undefined or false). */
export async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = patienceMs): Promise<T> {
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

/**
 * Reverts every changed document, untitled ones too, and closes all editors, so each test starts
 * from the sample workspace as it is. Closing a changed editor asks whether to save it, and under
 * the smoke-test driver the dialog's first answer ("Save") is taken: that would write a test's
 * edits into the sample workspace for every later test.
 */
export async function revertAll(): Promise<void> {
    for (let round = 0; round < 5; round++) {
        const dirty = vscode.workspace.textDocuments.filter((d) => d.isDirty);
        if (dirty.length === 0) break;
        for (const document of dirty) {
            await vscode.window.showTextDocument(document);
            await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
        }
    }
    const left = vscode.workspace.textDocuments.filter((d) => d.isDirty).map((d) => d.uri.toString());
    assert.deepEqual(left, [], "every changed document was reverted");
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
