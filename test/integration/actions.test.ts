import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { HearthApi } from "../../src/extension/api";
import type { FixturePaths } from "../fixtures/gguf";
import { fixtureModels, readyHearth, revertAll, setting, until } from "./support";

describe("Hearth in VS Code: commands on selected code", () => {
    let api: HearthApi;
    let models: FixturePaths;

    before(async () => {
        models = fixtureModels();
        api = await readyHearth(models.tiny, { "chat.maxTokens": 48 });
    });

    afterEach(async () => {
        api.chat.setDecision(undefined);
        await revertAll();
    });

    after(async () => {
        await setting("chat.maxTokens", undefined);
        await setting("completions.model", undefined);
    });

    async function openFormat(): Promise<vscode.TextEditor> {
        const folder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(folder);
        const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, "src/format.ts"));
        return vscode.window.showTextDocument(document);
    }

    /** The lines of the first function in format.ts. */
    function firstFunction(document: vscode.TextDocument): vscode.Range {
        const lines = document.getText().split("\n");
        const start = lines.findIndex((line) => /^export function/.test(line));
        const end = lines.findIndex((line, index) => index > start && line === "}");
        assert.ok(start >= 0 && end > start, `format.ts has a function (dirty: ${document.isDirty}):\n${document.getText()}`);
        return new vscode.Range(start, 0, end, 1);
    }

    async function outcomeOf(run: () => Thenable<unknown>): Promise<string> {
        const before = api.chat.proposalOutcomes.length;
        await run();
        return until(() => api.chat.proposalOutcomes[before], "the proposal's outcome");
    }

    it("Edit shows the rewrite as a diff; accepting replaces only the selection, and one Undo restores it", async () => {
        const editor = await openFormat();
        const { document } = editor;
        const range = firstFunction(document);
        editor.selection = new vscode.Selection(range.start, range.end);
        const original = document.getText();
        const head = original.slice(0, document.offsetAt(range.start));
        const tail = original.slice(document.offsetAt(range.end));
        let shownAsDiff = false;
        api.chat.setDecision(() => {
            shownAsDiff = vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputTextDiff;
            return Promise.resolve("Accept");
        });
        assert.equal(await outcomeOf(() => vscode.commands.executeCommand("hearth.edit", "Rename the parameters")), "applied");
        assert.ok(shownAsDiff, "the proposal was shown as a diff");
        assert.ok(document.getText().startsWith(head) && document.getText().endsWith(tail), "only the selection changed");
        assert.notEqual(document.getText(), original);
        await vscode.window.showTextDocument(document);
        await vscode.commands.executeCommand("undo");
        assert.equal(document.getText(), original, "one Undo restores the original");
    });

    it("Reject leaves the document as it was", async () => {
        const editor = await openFormat();
        const range = firstFunction(editor.document);
        editor.selection = new vscode.Selection(range.start, range.end);
        const original = editor.document.getText();
        api.chat.setDecision(() => Promise.resolve("Reject"));
        assert.equal(await outcomeOf(() => vscode.commands.executeCommand("hearth.edit", "Make it faster")), "rejected");
        assert.equal(editor.document.getText(), original);
    });

    it("an edit made while the answer was generated is never clobbered", async () => {
        const editor = await openFormat();
        const { document } = editor;
        const range = firstFunction(document);
        editor.selection = new vscode.Selection(range.start, range.end);
        let changedTo = "";
        api.chat.setDecision(async () => {
            const edit = new vscode.WorkspaceEdit();
            edit.insert(document.uri, range.start.translate(1, 0), "    // the user typed this meanwhile\n");
            await vscode.workspace.applyEdit(edit);
            changedTo = document.getText();
            return "Accept";
        });
        assert.equal(await outcomeOf(() => vscode.commands.executeCommand("hearth.edit", "Simplify")), "conflict");
        assert.equal(document.getText(), changedTo, "the user's edit stands and nothing else changed");
    });

    it("when lines are added above the code meanwhile, the edit goes where that code now is", async () => {
        const editor = await openFormat();
        const { document } = editor;
        const range = firstFunction(document);
        editor.selection = new vscode.Selection(range.start, range.end);
        const selected = document.getText(range);
        api.chat.setDecision(async () => {
            const edit = new vscode.WorkspaceEdit();
            edit.insert(document.uri, new vscode.Position(0, 0), "// a line the user added above\n");
            await vscode.workspace.applyEdit(edit);
            return "Accept";
        });
        assert.equal(await outcomeOf(() => vscode.commands.executeCommand("hearth.edit", "Simplify")), "applied");
        assert.ok(document.getText().startsWith("// a line the user added above\n"), "the user's line stands");
        assert.ok(!document.getText().includes(selected), "the function it replaced is gone");
    });

    it("with an empty selection, Edit takes the enclosing function", async () => {
        const editor = await openFormat();
        const { document } = editor;
        const range = firstFunction(document);
        const inside = range.start.translate(1, 4);
        editor.selection = new vscode.Selection(inside, inside);
        const original = document.getText();
        const head = original.slice(0, document.offsetAt(range.start));
        const tail = original.slice(document.offsetAt(range.end));
        api.chat.setDecision(() => Promise.resolve("Accept"));
        assert.equal(await outcomeOf(() => vscode.commands.executeCommand("hearth.edit", "Add logging")), "applied");
        assert.ok(document.getText().startsWith(head) && document.getText().endsWith(tail), "the function was replaced, nothing around it");
        assert.notEqual(document.getText(), original);
    });

    it("Document writes a comment in the language's convention above the function", async () => {
        const editor = await openFormat();
        const { document } = editor;
        const range = firstFunction(document);
        const definition = document.lineAt(range.start.line).text;
        editor.selection = new vscode.Selection(range.start.translate(1, 0), range.start.translate(1, 0));
        api.chat.setDecision(() => Promise.resolve("Accept"));
        assert.equal(await outcomeOf(() => vscode.commands.executeCommand("hearth.document")), "applied");
        const lines = document.getText().split("\n");
        const at = lines.indexOf(definition);
        assert.ok(at > range.start.line, "the definition moved down by the comment");
        assert.equal(lines[range.start.line]?.trimStart().startsWith("/**"), true, "a JSDoc comment");
        assert.equal(lines[at - 1]?.trim().endsWith("*/"), true);
    });

    it("Fix is offered as a quick fix for a diagnostic and proposes the fix as a diff", async () => {
        const editor = await openFormat();
        const { document } = editor;
        const range = firstFunction(document);
        const problems = vscode.languages.createDiagnosticCollection("hearth-test");
        try {
            const line = document.lineAt(range.start.line + 1).range;
            problems.set(document.uri, [new vscode.Diagnostic(line, "Type 'string' is not assignable to type 'number'.", vscode.DiagnosticSeverity.Error)]);
            const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", document.uri, line);
            const fix = actions.find((action) => action.title === "Fix with Hearth");
            assert.ok(fix?.command, "the light bulb offers Fix with Hearth");
            api.chat.setDecision(() => Promise.resolve("Accept"));
            const command = fix.command;
            assert.equal(await outcomeOf(() => vscode.commands.executeCommand(command.command, ...((command.arguments ?? []) as unknown[]))), "applied");
        } finally {
            problems.dispose();
        }
    });

    it("Write Tests opens the tests in a new editor", async () => {
        const editor = await openFormat();
        const range = firstFunction(editor.document);
        editor.selection = new vscode.Selection(range.start, range.end);
        const runs = api.chat.actionStats.runs;
        await vscode.commands.executeCommand("hearth.writeTests", "untitled");
        await until(() => api.chat.actionStats.runs > runs, "the tests");
        const opened = vscode.window.activeTextEditor?.document;
        assert.ok(opened?.isUntitled, "an untitled editor");
        assert.equal(opened.languageId, "typescript");
        assert.ok(opened.getText().trim().length > 0);
    });

    it("Explain opens the chat with the code attached and streams an explanation", async () => {
        const editor = await openFormat();
        const range = firstFunction(editor.document);
        editor.selection = new vscode.Selection(range.start, range.end);
        const answers = api.chat.stats.answers;
        await vscode.commands.executeCommand("hearth.explain");
        await until(() => api.chat.stats.answers > answers, "the explanation");
        const user = api.chat.conversation.messages.filter((m) => m.role === "user").at(-1);
        assert.match(user?.text ?? "", /^Explain what this typescript code from src\/format\.ts does/);
        assert.match(user?.text ?? "", /with src\/format\.ts:\d+-\d+/);
    });
});
