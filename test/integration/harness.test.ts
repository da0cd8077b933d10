// Proves the harness: these tests run inside a real VS Code that loaded this checkout's extension.
import assert from "node:assert/strict";
import * as path from "node:path";
import * as vscode from "vscode";
import type { FixturePaths } from "../fixtures/gguf";

describe("integration harness", () => {
    it("runs inside a real VS Code", () => {
        assert.match(vscode.version, /^\d+\.\d+\.\d+/);
    });

    it("loaded the Hearth extension under development", () => {
        const ext = vscode.extensions.getExtension("hearth-dev.hearth");
        assert.ok(ext, "hearth-dev.hearth is not among the loaded extensions");
        assert.equal(ext.extensionPath, path.resolve(__dirname, "..", "..", ".."), "not the checkout under test");
    });

    it("opened the sample workspace and passed the fixtures through the environment", () => {
        assert.deepEqual(
            vscode.workspace.workspaceFolders?.map((f) => f.name),
            ["sample-workspace"],
        );
        const fixtures = JSON.parse(process.env.HEARTH_FIXTURES_JSON ?? "{}") as Partial<FixturePaths>;
        assert.ok(fixtures.tiny?.startsWith(process.env.HEARTH_FIXTURES_DIR ?? "?"), "HEARTH_FIXTURES_JSON/_DIR not passed through");
    });
});
