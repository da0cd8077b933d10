import { join } from "node:path";
import * as vscode from "vscode";
import type { ConversationView, FromWebview } from "../../protocol/chatViewProtocol";
import { disposeAll, type HearthServices } from "../core/services";
import { ProposedEdits } from "../edits/proposedEdit";
import { ChatController, type ChatStats } from "./chatController";
import { ChatView, chatViewId } from "./chatView";
import { ConversationStore, viewOf } from "./conversationStore";

export interface ChatApi {
    readonly stats: Readonly<ChatStats>;
    /** What became of each proposed edit. */
    readonly proposalOutcomes: readonly string[];
    readonly droppedMessages: number;
    /** The active conversation as the view shows it. */
    readonly conversation: ConversationView;
    /** Handles a message as if the chat view had sent it (the view's own tests drive the real webview). */
    handle(message: FromWebview): void;
    /** Answers Accept/Reject for Apply instead of the user (tests). */
    setDecision(decide: ((question: string) => Promise<"Accept" | "Reject" | undefined>) | undefined): void;
}

/** The chat view in its activity-bar container: the webview, the conversations, and the edits an answer proposes. */
export class ChatFeature implements vscode.Disposable {
    readonly edits = new ProposedEdits();
    readonly chat: ChatController;
    private readonly view: ChatView;
    private readonly disposables: vscode.Disposable[] = [];

    private readonly store: ConversationStore;

    constructor({ context, engine, config, log }: HearthServices) {
        // Each conversation is a file of its own under global storage; globalState keeps the index.
        this.store = new ConversationStore(context.globalState, join(context.globalStorageUri.fsPath, "conversations"), (message) => log.warn(message));
        const store = this.store;
        this.view = new ChatView(context.extensionUri, log, (message) => this.chat.handle(message));
        this.chat = new ChatController(this.view, store, engine, config, this.edits, log);
        this.disposables.push(
            store,
            this.edits,
            this.view,
            this.chat,
            vscode.window.registerWebviewViewProvider(chatViewId, this.view, { webviewOptions: { retainContextWhenHidden: true } }),
            vscode.commands.registerCommand("hearth.openChat", () => this.view.reveal()),
            vscode.commands.registerCommand("hearth.chat.attachSelection", () => this.chat.attachFromEditor(vscode.window.activeTextEditor)),
            vscode.commands.registerCommand("hearth.chat.newConversation", () => this.chat.handle({ type: "newConversation" })),
        );
    }

    get api(): ChatApi {
        const { chat, view, edits } = this;
        return {
            get stats() {
                return { ...chat.stats };
            },
            get proposalOutcomes() {
                return [...edits.outcomes];
            },
            get droppedMessages() {
                return view.dropped;
            },
            get conversation() {
                return viewOf(chat.activeConversation);
            },
            handle(message) {
                chat.handle(message);
            },
            setDecision(decide) {
                edits.decide = decide;
            },
        };
    }

    /** Writes what is not stored yet (the conversation being answered included) and waits for it. */
    flush(): Promise<void> {
        return this.store.flush();
    }

    dispose(): void {
        disposeAll(this.disposables);
    }
}
