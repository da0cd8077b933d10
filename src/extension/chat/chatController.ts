import * as vscode from "vscode";
import { ResponseError } from "vscode-jsonrpc";
import type { ChatTurn } from "../../protocol/chatProtocol";
import type { EngineStatusView, FromWebview } from "../../protocol/chatViewProtocol";
import type { EngineErrorData } from "../../protocol/engineProtocol";
import type { Config } from "../settings/config";
import type { EngineClient } from "../engine/engineClient";
import type { EngineState } from "../engine/engineState";
import { actionArgs, actionLabel, describeEngineError } from "../engine/errorMessages";
import { shortModelName } from "../engine/modelNames";
import { serverKindName } from "../engine/serverEngines";
import { backendName } from "../engine/statusText";
import type { ProposedEdits } from "../edits/proposedEdit";
import type { Log } from "../core/log";
import { attachFile, attachRange, attachSelection, promptWithAttachments, type Attachment } from "./chatContext";
import type { ChatView } from "./chatView";
import { messageView, viewOf, type Conversation, type ConversationStore, type StoredMessage } from "./conversationStore";

interface Answering {
    readonly conversation: Conversation;
    readonly message: StoredMessage;
    readonly cancellation: vscode.CancellationTokenSource;
}

/** Counts the integration tests read. */
export interface ChatStats {
    answers: number;
    stopped: number;
    failed: number;
    /** `runAction` requests refused: the command was not one the view had been offered. */
    refusedActions: number;
}

/**
 * The chat's behaviour: turns what the user does in the view into engine requests,
 * streams answers back, and keeps every conversation in the store as it goes.
 */
export class ChatController implements vscode.Disposable {
    private answering: Answering | undefined;
    private attachments: Attachment[] = [];
    private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
    private readonly disposables: vscode.Disposable[] = [];
    /** The arguments of the last error's buttons (which settings Open Settings shows): the view sends only the command back. */
    private actionArguments = new Map<string, readonly unknown[]>();
    readonly stats: ChatStats = { answers: 0, stopped: 0, failed: 0, refusedActions: 0 };

    constructor(
        private readonly view: ChatView,
        private readonly store: ConversationStore,
        private readonly engine: EngineClient,
        private readonly config: Config,
        private readonly edits: ProposedEdits,
        private readonly log: Log,
    ) {
        const engineState = engine.onDidChangeState((state) => this.view.post({ type: "engine", engine: engineStatus(state) }));
        this.disposables.push(
            { dispose: () => engineState.dispose() },
            view.onDidBecomeReady(() => this.sendAll()),
            vscode.window.onDidChangeActiveTextEditor((editor) => {
                if (editor !== undefined) this.lastEditor = editor;
            }),
        );
    }

    get activeConversation(): Conversation {
        return this.store.activeConversation();
    }

    get isAnswering(): boolean {
        return this.answering !== undefined;
    }

    handle(message: FromWebview): void {
        void this.dispatch(message).catch((error: unknown) => this.log.error(`Chat: ${error instanceof Error ? error.message : String(error)}`));
    }

    /** Attaches the editor's selection (or, with none, its file) and shows the view. */
    async attachFromEditor(editor: vscode.TextEditor | undefined = this.lastEditor): Promise<void> {
        if (editor === undefined) {
            void vscode.window.showInformationMessage("Hearth: open a file first, then attach its selection or the file to the chat.");
            return;
        }
        this.attachments.push(attachSelection(editor) ?? attachFile(editor.document));
        this.postChips();
        await this.view.reveal();
        this.view.post({ type: "focusInput" });
    }

    /** Opens the chat and asks `question` about a range of code, attached as a chip (Explain). */
    async askAbout(question: string, editor: vscode.TextEditor, range: vscode.Range): Promise<void> {
        this.lastEditor = editor;
        this.attachments.push(attachRange(editor.document, range));
        await this.view.reveal();
        await this.send(question);
    }

    dispose(): void {
        this.answering?.cancellation.cancel();
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
    }

    private async dispatch(message: FromWebview): Promise<void> {
        switch (message.type) {
            case "ready":
                return;
            case "send":
                return this.send(message.text);
            case "stop":
                this.answering?.cancellation.cancel();
                return;
            case "regenerate":
                return this.regenerate();
            case "newConversation":
                this.answering?.cancellation.cancel();
                this.view.post({ type: "conversation", conversation: viewOf(this.store.create()) });
                this.view.post({ type: "history", history: this.store.summaries() });
                return;
            case "openConversation": {
                const conversation = this.store.open(message.id);
                if (conversation !== undefined) this.view.post({ type: "conversation", conversation: viewOf(conversation) });
                return;
            }
            case "deleteConversation":
                if (this.answering?.conversation.id === message.id) this.answering.cancellation.cancel();
                this.store.delete(message.id);
                this.view.post({ type: "conversation", conversation: viewOf(this.store.activeConversation()) });
                this.view.post({ type: "history", history: this.store.summaries() });
                return;
            case "removeChip":
                this.attachments = this.attachments.filter((a) => a.chip.id !== message.id);
                this.postChips();
                return;
            case "attachSelection":
            case "attachFile":
                if (this.lastEditor === undefined) {
                    this.view.post({ type: "error", message: "Open a file in an editor first: its selection or the file is what gets attached.", actions: [] });
                    return;
                }
                this.attachments.push(
                    message.type === "attachSelection"
                        ? (attachSelection(this.lastEditor) ?? attachFile(this.lastEditor.document))
                        : attachFile(this.lastEditor.document),
                );
                this.postChips();
                return;
            case "copyCode":
                await vscode.env.clipboard.writeText(message.code);
                return;
            case "insertCode":
                return this.insert(message.code);
            case "applyCode":
                return this.apply(message.code);
            case "openLink":
                return this.openLink(message.href);
            case "runAction":
                // Only a button the view was given: a view that asks for anything else is not obeyed.
                if (!this.view.offers(message.command)) {
                    this.stats.refusedActions++;
                    this.log.warn(`Chat view: refused to run ${JSON.stringify(message.command)}: the view was not offered it.`);
                    return;
                }
                await vscode.commands.executeCommand(message.command, ...(this.actionArguments.get(message.command) ?? []));
                return;
            case "draft":
                this.store.draft = message.text;
                return;
        }
    }

    private async send(text: string): Promise<void> {
        if (text.trim() === "") return;
        this.answering?.cancellation.cancel();
        const conversation = this.store.activeConversation();
        const attachments = this.attachments;
        this.attachments = [];
        const prompt = promptWithAttachments(text, attachments);
        const labels = attachments.map((a) => a.chip.label + (a.chip.trimmedNote !== undefined ? " (trimmed)" : ""));
        const title = conversation.title;
        const user = this.store.add(
            conversation,
            prompt === text ? { role: "user", text } : { role: "user", text: labels.length > 0 ? `${text}\n\n— with ${labels.join(", ")}` : text, prompt },
        );
        this.store.draft = "";
        if (conversation.title !== title) this.view.post({ type: "conversation", conversation: viewOf(conversation) });
        else this.view.post({ type: "message", conversationId: conversation.id, message: messageView(user) });
        this.postChips();
        await this.answer(conversation);
    }

    private async regenerate(): Promise<void> {
        const conversation = this.store.activeConversation();
        const last = conversation.messages[conversation.messages.length - 1];
        if (last?.role !== "assistant") return;
        this.answering?.cancellation.cancel();
        conversation.messages.pop();
        this.store.touch(conversation);
        this.view.post({ type: "conversation", conversation: viewOf(conversation) });
        await this.answer(conversation);
    }

    private async answer(conversation: Conversation): Promise<void> {
        const turns = turnsOf(conversation, this.config.chatSystemPrompt);
        const message = this.store.add(conversation, { role: "assistant", text: "", state: "streaming" });
        const cancellation = new vscode.CancellationTokenSource();
        const answering: Answering = { conversation, message, cancellation };
        this.answering = answering;
        this.view.post({ type: "message", conversationId: conversation.id, message: messageView(message) });
        this.view.post({ type: "history", history: this.store.summaries() });
        try {
            const result = await this.engine.chat(
                { conversationId: conversation.id, messages: turns, maxTokens: this.config.chatMaxTokens, temperature: this.config.chatTemperature },
                cancellation.token,
                ({ text }) => {
                    // Only the answer being given streams into its message (not one stopped or superseded).
                    if (this.answering !== answering) return;
                    message.text = text;
                    this.view.post({ type: "answer", conversationId: conversation.id, messageId: message.id, text, state: "streaming" });
                },
            );
            message.text = result.text;
            message.state = result.stopReason === "stopped" || cancellation.token.isCancellationRequested ? "stopped" : "done";
            this.stats.answers++;
            if (message.state === "stopped") this.stats.stopped++;
            if (result.trimmedMessages > 0) {
                const note = this.store.add(conversation, {
                    role: "note",
                    text: `The ${result.trimmedMessages} oldest messages were left out of this answer's prompt so the conversation fits the model's context (raise "hearth.contextSize" to keep more).`,
                });
                this.view.post({ type: "message", conversationId: conversation.id, message: messageView(note) });
            }
            this.log.write(
                "debug",
                `Chat answer: first token ${result.timings.ttftMs} ms, ${result.counts.evaluatedTokens} of ${result.counts.promptTokens} prompt tokens evaluated, ${result.counts.generatedTokens} generated, waited ${result.timings.yieldedMs} ms for completions.`,
            );
        } catch (error) {
            message.state = cancellation.token.isCancellationRequested ? "stopped" : "error";
            if (message.state === "stopped") this.stats.stopped++;
            else {
                this.stats.failed++;
                this.reportError(error);
            }
        } finally {
            cancellation.dispose();
            if (this.answering === answering) this.answering = undefined;
            this.store.touch(conversation);
            this.view.post({ type: "answer", conversationId: conversation.id, messageId: message.id, text: message.text, state: message.state ?? "done" });
        }
    }

    private reportError(error: unknown): void {
        const data = error instanceof ResponseError ? (error.data as EngineErrorData | undefined) : undefined;
        if (data?.kind === "noModelLoaded" || data === undefined) {
            const detail = error instanceof Error ? error.message : String(error);
            this.view.post({
                type: "error",
                message: `The engine could not answer (${detail}). Your message is kept: press Regenerate once the engine is ready (see the status bar).`,
                actions: [
                    { command: "hearth.restartEngine", label: actionLabel("restartEngine") },
                    { command: "hearth.showLog", label: actionLabel("showLog") },
                ],
            });
            return;
        }
        const problem = describeEngineError(data);
        this.actionArguments = new Map(
            problem.actions.flatMap((action) => {
                const args = actionArgs(action, data);
                return args !== undefined ? [[`hearth.${action}`, args] as const] : [];
            }),
        );
        this.view.post({
            type: "error",
            message: problem.message,
            actions: problem.actions.map((action) => ({ command: `hearth.${action}`, label: actionLabel(action, data) })),
        });
    }

    private async insert(code: string): Promise<void> {
        const editor = this.lastEditor;
        if (editor === undefined || editor.document.isClosed) {
            void vscode.window.showInformationMessage("Hearth: open a file and put the cursor where the code should go, then Insert again.");
            return;
        }
        await vscode.window.showTextDocument(editor.document, editor.viewColumn);
        await editor.edit((edit) => edit.replace(editor.selection, code));
    }

    private async apply(code: string): Promise<void> {
        const editor = this.lastEditor;
        if (editor === undefined || editor.document.isClosed || editor.selection.isEmpty) {
            void vscode.window.showInformationMessage("Hearth: select the code to replace in an editor, then Apply again.");
            return;
        }
        const outcome = await this.edits.propose(editor.document, new vscode.Range(editor.selection.start, editor.selection.end), code, "Hearth chat");
        this.log.info(`Apply from chat: ${outcome}.`);
    }

    private async openLink(href: string): Promise<void> {
        let uri: vscode.Uri;
        try {
            uri = vscode.Uri.parse(href, true);
        } catch {
            return;
        }
        if (uri.scheme === "http" || uri.scheme === "https" || uri.scheme === "mailto") await vscode.env.openExternal(uri);
    }

    private sendAll(): void {
        const conversation = this.store.activeConversation();
        this.view.post({
            type: "init",
            conversation: viewOf(conversation),
            history: this.store.summaries(),
            chips: this.attachments.map((a) => a.chip),
            engine: engineStatus(this.engine.state),
            draft: this.store.draft,
        });
    }

    private postChips(): void {
        this.view.post({ type: "chips", chips: this.attachments.map((a) => a.chip) });
    }
}

/** The conversation as chat turns: the system prompt, then what each side said (notes left out). */
function turnsOf(conversation: Conversation, systemPrompt: string): ChatTurn[] {
    const turns: ChatTurn[] = systemPrompt.trim() === "" ? [] : [{ role: "system", content: systemPrompt }];
    for (const message of conversation.messages) {
        if (message.role === "user") turns.push({ role: "user", content: message.prompt ?? message.text });
        else if (message.role === "assistant" && message.text.trim() !== "") turns.push({ role: "assistant", content: message.text });
    }
    return turns;
}

function engineStatus(state: EngineState): EngineStatusView {
    switch (state.kind) {
        case "ready": {
            // The model that answers here: the chat model, or the one model that serves both.
            const model = state.load.chatModel ?? state.load.model;
            if (model.server !== undefined) {
                const server = serverKindName(model.server.kind);
                return {
                    ready: true,
                    label: `${shortModelName(model.name)} · ${model.server.kind}`,
                    title: `Chat model: ${model.name} on the ${server} at ${model.server.url}`,
                };
            }
            const backend = backendName(state.backend.backend);
            return { ready: true, label: `${shortModelName(model.name)} · ${backend}`, title: `Chat model: ${model.name} on ${backend}\n${model.path}` };
        }
        case "error":
            return {
                ready: false,
                label: state.error.kind === "noModel" ? "No model: choose one from the status bar." : "The engine has an error: see the status bar.",
            };
        case "stopped":
            return { ready: false, label: "The engine stopped: restart it from the status bar." };
        default:
            return { ready: false, label: "The engine is starting…" };
    }
}
