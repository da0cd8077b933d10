import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as vscode from "vscode";
import type { HearthApi } from "../../src/extension/api";
import type { FixturePaths } from "../fixtures/gguf";
import { fixtureModels, readyHearth, readyWith, revertAll, setting, until } from "./support";

describe("Hearth in VS Code: chat", () => {
    let api: HearthApi;
    let models: FixturePaths;

    before(async () => {
        models = fixtureModels();
        api = await readyHearth(models.tiny, { "chat.maxTokens": 24 });
    });

    after(async () => {
        api.chat.setDecision(undefined);
        await setting("chat.maxTokens", undefined);
        await setting("completions.model", undefined);
        await revertAll();
    });

    afterEach(revertAll);

    it("answers a message with the generated model and keeps the conversation", async () => {
        api.chat.handle({ type: "newConversation" });
        const answers = api.chat.stats.answers;
        api.chat.handle({ type: "send", text: "What does this project do?" });
        await until(() => api.chat.stats.answers > answers, "the answer");
        const { messages, title } = api.chat.conversation;
        assert.equal(title, "What does this project do?");
        assert.deepEqual(
            messages.map((m) => m.role),
            ["user", "assistant"],
        );
        assert.equal(messages[1]?.state, "done");
        assert.ok((messages[1]?.text.length ?? 0) > 0);

        // Stored as a file of its own under global storage (written within the store's 500 ms coalescing).
        const file = join(dirname(api.models.folder), "conversations", `conversation-${api.chat.conversation.id}.json`);
        type StoredFile = { conversation: { title: string; messages: { role: string; text: string }[] } };
        const read = (): StoredFile | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as StoredFile) : undefined);
        await until(
            () => read()?.conversation.messages.length === messages.length && read()?.conversation.messages[1]?.text === messages[1]?.text,
            "the conversation's file",
        ).catch((error: unknown) => {
            const folder = dirname(file);
            const names = existsSync(folder) ? readdirSync(folder).join(", ") : "no folder";
            throw new Error(
                `${String(error)}; ${folder} holds: ${names}; the file reads: ${existsSync(file) ? readFileSync(file, "utf8").slice(0, 500) : "none"}`,
            );
        });
        const stored = read()!;
        assert.equal(stored.conversation.title, title);
        assert.deepEqual(
            stored.conversation.messages.map((m) => [m.role, m.text]),
            messages.map((m) => [m.role, m.text]),
        );
    });

    it("attached code travels with the message, trimmed to the budget with a visible note", async () => {
        const folder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(folder);
        const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, "src/format.ts"));
        const editor = await vscode.window.showTextDocument(document);
        editor.selection = new vscode.Selection(0, 0, 2, 0);
        await vscode.commands.executeCommand("hearth.chat.attachSelection");
        const big = await vscode.workspace.openTextDocument({ language: "typescript", content: "export const x = 1;\n".repeat(2000) });
        await vscode.window.showTextDocument(big);
        api.chat.handle({ type: "attachFile" });
        const answers = api.chat.stats.answers;
        api.chat.handle({ type: "send", text: "Explain these." });
        await until(() => api.chat.stats.answers > answers, "the answer");
        const user = api.chat.conversation.messages.at(-2);
        assert.ok(user?.text.startsWith("Explain these."));
        assert.match(user?.text ?? "", /with src\/format\.ts:1-2, Untitled-\d+ \(trimmed\)/);
        await revertAll();
    });

    it("Stop ends an answer mid-way and keeps what was said", async () => {
        await setting("chat.maxTokens", 4000);
        api.chat.handle({ type: "newConversation" });
        const stopped = api.chat.stats.stopped;
        api.chat.handle({ type: "send", text: "Tell me everything about parsers." });
        await until(() => (api.chat.conversation.messages.filter((m) => m.role === "assistant").at(-1)?.text.length ?? 0) > 10, "the answer to stream");
        api.chat.handle({ type: "stop" });
        await until(() => api.chat.stats.stopped > stopped, "the stop");
        const last = api.chat.conversation.messages.filter((m) => m.role === "assistant").at(-1);
        assert.equal(last?.state, "stopped");
        assert.ok((last?.text.length ?? 0) > 0, "the partial answer is kept");
        await setting("chat.maxTokens", 24);
    });

    it("Apply shows a diff and applies the accepted change as one undoable edit; Reject leaves the file", async () => {
        const folder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(folder);
        const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, "src/format.ts"));
        const editor = await vscode.window.showTextDocument(document);
        const original = document.getText();
        const range = document.lineAt(0).range;
        editor.selection = new vscode.Selection(range.start, range.end);
        let asked = "";
        api.chat.setDecision((question) => {
            asked = question;
            const diff = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
            assert.ok(diff instanceof vscode.TabInputTextDiff, "the proposal is shown as a diff");
            return Promise.resolve("Reject");
        });
        let outcomes = api.chat.proposalOutcomes.length;
        api.chat.handle({ type: "applyCode", code: "// replaced by Hearth" });
        assert.equal(await until(() => api.chat.proposalOutcomes[outcomes], "the proposal's outcome"), "rejected");
        assert.ok(asked !== "", "the user was asked");
        assert.equal(document.getText(), original, "Reject leaves the file as it was");

        await vscode.window.showTextDocument(document);
        editor.selection = new vscode.Selection(range.start, range.end);
        asked = "";
        api.chat.setDecision(() => Promise.resolve("Accept"));
        outcomes = api.chat.proposalOutcomes.length;
        api.chat.handle({ type: "applyCode", code: "// replaced by Hearth" });
        assert.equal(await until(() => api.chat.proposalOutcomes[outcomes], "the proposal's outcome"), "applied");
        assert.equal(document.getText(), ["// replaced by Hearth", ...original.split("\n").slice(1)].join("\n"));
        await vscode.window.showTextDocument(document);
        await vscode.commands.executeCommand("undo");
        assert.equal(document.getText(), original, "one Undo restores the original");
    });

    it("Apply never clobbers text that changed while the user looked at the diff", async () => {
        await revertAll();
        const folder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(folder);
        const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, "src/format.ts"));
        const editor = await vscode.window.showTextDocument(document);
        const range = document.lineAt(0).range;
        editor.selection = new vscode.Selection(range.start, range.end);
        let changedTo = "";
        api.chat.setDecision(async () => {
            const edit = new vscode.WorkspaceEdit();
            edit.insert(document.uri, range.start.translate(0, 7), "/* the user typed this meanwhile */ ");
            await vscode.workspace.applyEdit(edit);
            changedTo = document.getText();
            return "Accept";
        });
        const outcomes = api.chat.proposalOutcomes.length;
        api.chat.handle({ type: "applyCode", code: "// replaced by Hearth" });
        assert.equal(await until(() => api.chat.proposalOutcomes[outcomes], "the proposal's outcome"), "conflict");
        assert.equal(document.getText(), changedTo, "the proposal was not applied over the user's change");
        await vscode.window.showTextDocument(document);
        await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    });

    it("Insert puts code at the cursor", async () => {
        const folder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(folder);
        const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, "src/format.ts"));
        const editor = await vscode.window.showTextDocument(document);
        const at = new vscode.Position(1, 0);
        editor.selection = new vscode.Selection(at, at);
        const before = document.getText();
        api.chat.handle({ type: "insertCode", code: "const inserted = true;\n" });
        await until(() => document.getText() !== before, "the insert");
        assert.equal(document.lineAt(1).text, "const inserted = true;");
        await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    });

    it("runAction runs only a command the view was offered: anything else is logged and ignored", async () => {
        await until(() => readyWith(models.tiny)(api.engineState), "the engine to be ready");
        let probed = 0;
        const probe = vscode.commands.registerCommand("hearth.test.chatProbe", () => probed++);
        const states: string[] = [];
        const watch = api.onDidChangeEngineState((state) => states.push(state.kind));
        try {
            const refused = api.chat.stats.refusedActions;
            const pid = api.sidecarPid;
            // No view has been shown a button in these tests (the view is never opened here), so nothing was offered.
            for (const command of ["hearth.restartEngine", "hearth.test.chatProbe", "workbench.action.closeAllEditors", "hearth.showLog"]) {
                api.chat.handle({ type: "runAction", command });
            }
            // Had any of them been run, it would have started by now (a command round trip, then a moment more).
            await vscode.commands.executeCommand("hearth.test.chatProbe");
            await new Promise((resolve) => setTimeout(resolve, 500));
            assert.equal(probed, 1, "only the test's own call ran the probe command");
            assert.deepEqual(states, [], "the engine was not restarted");
            assert.equal(api.sidecarPid, pid, "the same engine process");
            assert.equal(api.chat.stats.refusedActions, refused + 4, "each request was refused (and logged)");
        } finally {
            watch.dispose();
            probe.dispose();
        }
    });

    it("an engine error shows in the conversation and nothing typed is lost", async () => {
        api.chat.handle({ type: "newConversation" });
        await setting("completions.model", models.notGguf);
        await until(() => api.engineState.kind === "error", "the error state");
        const failed = api.chat.stats.failed;
        api.chat.handle({ type: "send", text: "Are you there?" });
        await until(() => api.chat.stats.failed > failed, "the failure");
        const messages = api.chat.conversation.messages;
        assert.equal(messages.at(-2)?.text, "Are you there?", "the message is kept");
        assert.equal(messages.at(-1)?.state, "error");
        await setting("completions.model", models.tiny);
        await until(() => readyWith(models.tiny)(api.engineState), "the model again");
        const answers = api.chat.stats.answers;
        api.chat.handle({ type: "regenerate" });
        await until(() => api.chat.stats.answers > answers, "the regenerated answer");
        assert.equal(api.chat.conversation.messages.at(-1)?.state, "done");
    });
});
