import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { HearthApi } from "../../src/extension/api";
import { startLlamaServer, type RunningLlamaServer } from "../servers/llamaServer";
import { activateHearth, fixtureModels, revertAll, setting, until } from "./support";

/** llama.cpp's server counts what it did: its Prometheus metrics (`--metrics`). */
async function tokensPredicted(server: RunningLlamaServer): Promise<number> {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const value = /^llamacpp:tokens_predicted_total (\d+(?:\.\d+)?)/m.exec(metrics)?.[1];
    assert.ok(value !== undefined, `the server reports tokens_predicted_total:\n${metrics.slice(0, 500)}`);
    return Number(value);
}

const serverSettings = ["completions.engine", "completions.serverUrl", "chat.engine", "chat.serverUrl", "completions.timeBudgetMs", "chat.maxTokens"];

describe("Hearth in VS Code: a llama.cpp server serves completions and chat", () => {
    let api: HearthApi;
    let server: RunningLlamaServer;

    before(async function () {
        this.timeout(300_000);
        server = await startLlamaServer({ model: fixtureModels().tiny, slots: 3, contextSize: 2048, threads: 1 });
        api = await activateHearth();
        await setting("completions.timeBudgetMs", 30_000);
        await setting("chat.maxTokens", 16);
        await setting("completions.serverUrl", server.url);
        await setting("chat.serverUrl", server.url);
        await setting("completions.engine", "llama.cpp");
        await setting("chat.engine", "llama.cpp");
        await until(() => {
            const state = api.engineState;
            return state.kind === "ready" && state.load.model.server?.url === server.url && state.load.chatModel?.server?.url === server.url;
        }, "the engine on the llama.cpp server");
    });

    after(async () => {
        for (const key of serverSettings) await setting(key, undefined);
        await revertAll();
        await server?.stop();
    });

    afterEach(revertAll);

    it("shows ghost text that the server generated, and says which engine serves each role", async () => {
        assert.match(api.statusBarTooltip, /llama\.cpp/, "the status bar's tooltip names the server engine");
        const folder = vscode.workspace.workspaceFolders?.[0];
        assert.ok(folder, "the sample workspace is open");
        const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, "src/inventory.ts"));
        const editor = await vscode.window.showTextDocument(document);
        const line = document
            .getText()
            .split("\n")
            .findIndex((text) => text.includes("line.quantity += quantity;"));
        assert.ok(line >= 0);
        const indent = /^\s*/.exec(document.lineAt(line).text)?.[0] ?? "";
        await editor.edit((edit) => edit.insert(document.lineAt(line).range.end, `\n${indent}`));
        const cursor = new vscode.Position(line + 1, indent.length);
        editor.selection = new vscode.Selection(cursor, cursor);

        const predicted = await tokensPredicted(server);
        const shown = api.completionStats.shown;
        await vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        await until(() => api.completionStats.shown > shown, "a suggestion from the server to be shown");
        const suggestion = await until(() => api.lastSuggestion, "the suggestion's text");
        assert.ok(suggestion.trim().length > 0, "never empty or whitespace");
        assert.doesNotMatch(suggestion, /<\|fim_|<\|endoftext\|>|<\|file_sep\|>/, "no FIM tokens");
        assert.ok((await tokensPredicted(server)) > predicted, "the server generated it");

        const before = document.getText();
        const offset = document.offsetAt(editor.selection.active);
        await vscode.commands.executeCommand("editor.action.inlineSuggest.commit");
        await until(() => document.getText() !== before, "the accept");
        assert.equal(document.getText(), before.slice(0, offset) + suggestion + before.slice(offset + api.lastReplaceEnd));
    });

    it("answers in the chat view from the server, streamed into the conversation", async () => {
        const predicted = await tokensPredicted(server);
        api.chat.handle({ type: "newConversation" });
        const answers = api.chat.stats.answers;
        api.chat.handle({ type: "send", text: "What does inventory.ts do?" });
        await until(() => api.chat.stats.answers > answers, "the server's answer");
        const { messages } = api.chat.conversation;
        assert.deepEqual(
            messages.map((message) => message.role),
            ["user", "assistant"],
        );
        assert.equal(messages[1]?.state, "done");
        assert.ok((messages[1]?.text.length ?? 0) > 0, "the answer has text");
        assert.ok((await tokensPredicted(server)) > predicted, "the server generated it");
    });

    it("a server that stops answering gets a clear error in the chat, and nothing typed is lost", async () => {
        await server.stop();
        api.chat.handle({ type: "newConversation" });
        const failed = api.chat.stats.failed;
        const answers = api.chat.stats.answers;
        api.chat.handle({ type: "send", text: "Are you there?" });
        await until(() => api.chat.stats.failed > failed, "the chat's error");
        const messages = api.chat.conversation.messages;
        assert.equal(messages.at(-2)?.text, "Are you there?", "the user's message is kept");
        assert.equal(messages.at(-1)?.state, "error");
        assert.equal(api.chat.stats.answers, answers);
    });
});
