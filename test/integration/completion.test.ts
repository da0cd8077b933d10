import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as vscode from "vscode";
import type { HearthApi } from "../../src/extension/api";
import { scriptedBodyText, scriptedCallText, type FixturePaths } from "../fixtures/gguf";
import { fixtureModels, readyHearth, readyWith, revertAll, setting, until } from "./support";

const typingAsIs = [
    ["autoClosingBrackets", "never"],
    ["autoClosingQuotes", "never"],
    ["autoClosingOvertype", "never"],
    ["autoIndent", "none"],
] as const;

describe("Hearth in VS Code: inline completions", () => {
    let api: HearthApi;
    let models: FixturePaths;

    before(async () => {
        models = fixtureModels();
        // Suggestions end by their token and line budgets, never by the clock: on a loaded
        // machine a time budget would cut the same suggestion at different places.
        api = await readyHearth(models.tiny, { "completions.timeBudgetMs": 30_000 });
        // Typing a suggestion's characters must insert exactly them: no closing bracket or quote
        // added, no indentation (the suggestion's first characters vary with the prompt's snippets).
        for (const [key, value] of typingAsIs) await vscode.workspace.getConfiguration("editor").update(key, value, vscode.ConfigurationTarget.Global);
    });

    after(async () => {
        for (const [key] of typingAsIs) await vscode.workspace.getConfiguration("editor").update(key, undefined, vscode.ConfigurationTarget.Global);
        await setting("completions.timeBudgetMs", undefined);
        await setting("completions.disabledLanguages", undefined);
        await setting("completions.model", undefined);
        await revertAll();
    });

    afterEach(revertAll);

    /** Opens a file of the sample workspace and puts the cursor on a new line after `after`. */
    async function newLineAfter(file: string, after: string): Promise<vscode.TextEditor> {
        const folder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(folder, "the sample workspace is open");
        const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, file));
        const editor = await vscode.window.showTextDocument(document);
        const line = document
            .getText()
            .split("\n")
            .findIndex((text) => text.includes(after));
        assert.ok(line >= 0, `${file} has ${after}`);
        const end = document.lineAt(line).range.end;
        const indent = /^\s*/.exec(document.lineAt(line).text)?.[0] ?? "";
        await editor.edit((edit) => edit.insert(end, `\n${indent}`));
        const cursor = new vscode.Position(line + 1, indent.length);
        editor.selection = new vscode.Selection(cursor, cursor);
        return editor;
    }

    async function showSuggestion(): Promise<string> {
        const shown = api.completionStats.shown;
        await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        await until(() => api.completionStats.shown > shown, "a suggestion to be shown");
        return await until(() => api.lastSuggestion, "the suggestion's text");
    }

    it("shows ghost text from the generated model; accepting it inserts exactly that text", async () => {
        const editor = await newLineAfter("src/inventory.ts", "line.quantity += quantity;");
        const { document } = editor;
        const offset = document.offsetAt(editor.selection.active);
        const suggestion = await showSuggestion();
        const replaceEnd = api.lastReplaceEnd;
        assert.ok(suggestion.trim().length > 0, "never empty or whitespace");
        assert.doesNotMatch(suggestion, /<\|fim_|<\|endoftext\|>|<\|file_sep\|>/, "no FIM tokens");
        const before = document.getText();
        const { accepted, requests } = api.completionStats;
        await vscode.commands.executeCommand("editor.action.inlineSuggest.commit");
        await until(() => document.getText() !== before, "the accept");
        assert.equal(document.getText(), before.slice(0, offset) + suggestion + before.slice(offset + replaceEnd));
        await until(() => api.completionStats.accepted > accepted, "the accept to be seen");
        // Nobody asked: the next suggestion is prepared because of the accept.
        await until(() => api.completionStats.requests > requests, "the next suggestion to be prepared after the accept");
        assert.match(api.statusBarTooltip, /Last completion: \d+ ms/, "the status bar's tooltip shows the last completion's latency");
        await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    });

    it("VS Code's accept-next-word takes the suggestion a word at a time", async () => {
        const editor = await newLineAfter("src/inventory.ts", "const line = this.line(sku);");
        const { document } = editor;
        const offset = document.offsetAt(editor.selection.active);
        const suggestion = await showSuggestion();
        const before = document.getText();
        await vscode.commands.executeCommand("editor.action.inlineSuggest.acceptNextWord");
        await until(() => document.getText() !== before, "the partial accept");
        const inserted = document.getText().slice(offset, offset + document.getText().length - before.length);
        assert.ok(inserted.length > 0 && inserted.length <= suggestion.length, `inserted ${JSON.stringify(inserted)} of ${JSON.stringify(suggestion)}`);
        assert.ok(suggestion.startsWith(inserted));
        await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    });

    it("typing the characters of a shown suggestion keeps it, with no model call", async () => {
        const editor = await newLineAfter("src/inventory.ts", "line.quantity -= quantity;");
        const { document } = editor;
        const offset = document.offsetAt(editor.selection.active);
        const suggestion = await showSuggestion();
        assert.ok(suggestion.length >= 3, `a suggestion long enough to type into: ${JSON.stringify(suggestion)}`);
        const before = document.getText();
        const requests = api.completionStats.requests;
        for (const character of suggestion.slice(0, 2)) await vscode.commands.executeCommand("type", { text: character });
        await new Promise((r) => setTimeout(r, 300));
        await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(api.completionStats.requests, requests, "no new request to the model");
        await vscode.commands.executeCommand("editor.action.inlineSuggest.commit");
        await until(() => document.getText().length >= before.length + suggestion.length, "the accept");
        assert.equal(document.getText(), before.slice(0, offset) + suggestion + before.slice(offset));
        assert.ok(api.completionStats.typedAsSuggested >= 1, "the shown suggestion answered the keystrokes");
    });

    it("a new keystroke cancels the superseded request end to end", async () => {
        const source = readFileSync(resolve(__dirname, "../../../test/fixtures/source/lexer.ts.txt"), "utf8");
        const document = await vscode.workspace.openTextDocument({ language: "typescript", content: source });
        const editor = await vscode.window.showTextDocument(document);
        const end = document.positionAt(source.length - 2);
        editor.selection = new vscode.Selection(end, end);
        const { cancelled, requests } = api.completionStats;
        const sidecar = api.sidecarPid;
        assert.ok(sidecar !== undefined);
        // Hold the engine process still, so the first request cannot finish before the second
        // keystroke supersedes it, however fast or busy the machine: no race to win.
        process.kill(sidecar, "SIGSTOP");
        try {
            await vscode.commands.executeCommand("type", { text: "\n" });
            const first = await until(() => api.completionStats.requests > requests && api.completionStreaming, "the first keystroke's request");
            await vscode.commands.executeCommand("type", { text: "x" });
            await until(() => api.completionStreaming?.requestId !== first.requestId, "the extension to give up the superseded request");
        } finally {
            process.kill(sidecar, "SIGCONT");
        }
        // The engine then gets the request and its cancellation, and answers it as cancelled.
        await until(() => api.completionStats.cancelled > cancelled, "the superseded request to be cancelled by the sidecar");
    });

    it("after a jump to another place, the prompt there is read while the cursor rests: the first keystroke costs a few tokens", async () => {
        const source = readFileSync(resolve(__dirname, "../../../test/fixtures/source/lexer.ts.txt"), "utf8");
        const document = await vscode.workspace.openTextDocument({ language: "typescript", content: source });
        const editor = await vscode.window.showTextDocument(document);
        // Wait for the focus warm-up of the top of the file.
        const warmed = api.warmed;
        await until(() => api.warmed > warmed, "the warm-up after opening the file");
        // Jump far down (a new window of the file: thousands of prompt tokens there), as a click would.
        const { jumpWarmups } = api;
        const target = new vscode.Position(Math.floor(document.lineCount * 0.7), 0);
        const line = document.lineAt(target.line);
        const end = line.range.end;
        editor.selection = new vscode.Selection(end, end);
        const warmedBefore = api.warmed;
        await until(() => api.jumpWarmups > jumpWarmups, "the jump to be noticed");
        await until(() => api.warmed > warmedBefore, "the warm-up at the new place");
        const requests = api.completionStats.requests;
        await vscode.commands.executeCommand("type", { text: " " });
        await until(
            () => api.completionStats.requests > requests && api.completionStats.lastEvaluatedTokens !== undefined,
            "the first keystroke's request to finish",
        );
        const evaluated = api.completionStats.lastEvaluatedTokens ?? Infinity;
        assert.ok(evaluated <= 8, `the first keystroke after the jump evaluated ${evaluated} prompt tokens`);
    });

    it("turning completions off for a language stops them", async () => {
        await setting("completions.disabledLanguages", ["typescript"]);
        await newLineAfter("src/inventory.ts", "return line.quantity;");
        const requests = api.completionStats.requests;
        await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(api.completionStats.requests, requests);
        await setting("completions.disabledLanguages", undefined);
        await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    });

    /**
     * With a scripted model (it writes the same text whatever it is asked): the suggestion shown at
     * `cursor` in a new TypeScript document holding `source`, and the document once it is accepted.
     */
    async function acceptScripted(model: string, source: string, cursor: number): Promise<{ suggestion: string; replaceEnd: number; after: string }> {
        await setting("completions.model", model);
        await until(() => readyWith(model)(api.engineState), "the scripted model");
        try {
            const document = await vscode.workspace.openTextDocument({ language: "typescript", content: source });
            const editor = await vscode.window.showTextDocument(document);
            const position = document.positionAt(cursor);
            editor.selection = new vscode.Selection(position, position);
            const suggestion = await showSuggestion();
            const replaceEnd = api.lastReplaceEnd;
            await vscode.commands.executeCommand("editor.action.inlineSuggest.commit");
            await until(() => document.getText() !== source, "the accept");
            const after = document.getText();
            await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
            return { suggestion, replaceEnd, after };
        } finally {
            await setting("completions.model", models.tiny);
            await until(() => readyWith(models.tiny)(api.engineState), "the tiny model again");
        }
    }

    it('a suggestion that writes the closers the editor already has replaces them (a model that always writes `", obj);`)', async () => {
        const source = 'function log(obj: unknown): void {\n    console.log("Obj: ");\n}\n';
        const { suggestion, replaceEnd, after } = await acceptScripted(models.scriptedCall, source, source.indexOf('");'));
        assert.equal(suggestion, scriptedCallText);
        assert.equal(replaceEnd, 3, 'it replaces the `");` after the cursor');
        assert.equal(after.split("\n")[1], '    console.log("Obj: ", obj);', "no stray quote, no doubled closers");
    });

    it("between braces the editor closed, a body that starts on a new line is shown, the `}` on a line of its own", async () => {
        const source = "export function add(a: number, b: number): number {}\n";
        const { suggestion, after } = await acceptScripted(models.scriptedBody, source, source.indexOf("{}") + 1);
        assert.equal(suggestion, `${scriptedBodyText}\n`);
        assert.equal(after, "export function add(a: number, b: number): number {\n    return a + b;\n}\n");
    });

    it("a model without FIM tokens gets no completions and one clear message", async () => {
        await setting("completions.model", models.tinyNoFim);
        await until(() => readyWith(models.tinyNoFim)(api.engineState), "the no-FIM model");
        const message = await until(() => api.notifications.find((m) => m.includes("no fill-in-the-middle tokens")), "the message");
        assert.ok(message.includes(models.tinyNoFim));
        await newLineAfter("src/inventory.ts", "line.quantity -= quantity;");
        const requests = api.completionStats.requests;
        await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(api.completionStats.requests, requests);
        await setting("completions.model", models.tiny);
        await until(() => readyWith(models.tiny)(api.engineState), "the tiny model again");
        await setting("completions.model", models.tinyNoFim);
        await until(() => readyWith(models.tinyNoFim)(api.engineState), "the no-FIM model again");
        assert.equal(api.notifications.filter((m) => m.includes("no fill-in-the-middle tokens")).length, 1, "said once");
        await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    });
});
