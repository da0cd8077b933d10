import * as vscode from "vscode";
import type { AnswerState, ChatMessageView, ChatRole, ConversationSummary, ConversationView } from "../../protocol/chatViewProtocol";

export interface StoredMessage {
    readonly id: string;
    readonly role: ChatRole;
    /** What the user sees. */
    text: string;
    /** What the model is given for a user message when it differs (attached context). */
    readonly prompt?: string;
    state?: AnswerState;
}

export interface Conversation {
    readonly id: string;
    title: string;
    readonly createdAt: number;
    updatedAt: number;
    messages: StoredMessage[];
}

interface Stored {
    readonly version: 1;
    readonly conversations: Conversation[];
    readonly activeId: string | undefined;
    readonly draft: string;
}

const key = "hearth.chat.conversations";
const maxConversations = 100;

/**
 * Conversations in the extension's global state: they survive reloading the window and
 * restarting VS Code. Every change is written at once, so nothing typed or answered is lost.
 */
export class ConversationStore {
    private conversations: Conversation[];
    private active: string | undefined;
    private draftText: string;
    private writing: Promise<void> = Promise.resolve();

    constructor(private readonly memento: vscode.Memento) {
        const stored = memento.get<Stored>(key);
        this.conversations = stored?.version === 1 && Array.isArray(stored.conversations) ? stored.conversations : [];
        this.active = stored?.activeId;
        this.draftText = typeof stored?.draft === "string" ? stored.draft : "";
        // An answer that was streaming when VS Code closed is kept, marked as stopped.
        for (const message of this.conversations.flatMap((c) => c.messages)) if (message.state === "streaming") message.state = "stopped";
    }

    get draft(): string {
        return this.draftText;
    }

    set draft(text: string) {
        this.draftText = text;
        this.save();
    }

    /** The active conversation, created when there is none. */
    activeConversation(): Conversation {
        const found = this.conversations.find((c) => c.id === this.active);
        if (found !== undefined) return found;
        return this.create();
    }

    create(): Conversation {
        const current = this.conversations.find((c) => c.id === this.active);
        if (current !== undefined && current.messages.length === 0) return current; // no pile of empty conversations
        const now = Date.now();
        const conversation: Conversation = { id: newId(), title: "New conversation", createdAt: now, updatedAt: now, messages: [] };
        this.conversations.unshift(conversation);
        this.conversations.splice(maxConversations);
        this.active = conversation.id;
        this.save();
        return conversation;
    }

    open(id: string): Conversation | undefined {
        const conversation = this.conversations.find((c) => c.id === id);
        if (conversation !== undefined) {
            this.active = id;
            this.save();
        }
        return conversation;
    }

    delete(id: string): void {
        this.conversations = this.conversations.filter((c) => c.id !== id);
        if (this.active === id) this.active = this.conversations[0]?.id;
        this.save();
    }

    add(conversation: Conversation, message: Omit<StoredMessage, "id">): StoredMessage {
        const stored: StoredMessage = { id: newId(), ...message };
        conversation.messages.push(stored);
        if (conversation.title === "New conversation" && message.role === "user") conversation.title = titleOf(message.text);
        this.touch(conversation);
        return stored;
    }

    /** Records a change to a message of `conversation` (e.g. streamed text). */
    touch(conversation: Conversation): void {
        conversation.updatedAt = Date.now();
        this.conversations = [conversation, ...this.conversations.filter((c) => c.id !== conversation.id)];
        this.save();
    }

    summaries(): ConversationSummary[] {
        return this.conversations.filter((c) => c.messages.length > 0).map((c) => ({ id: c.id, title: c.title, updatedAt: c.updatedAt, messageCount: c.messages.length }));
    }

    private save(): void {
        const snapshot: Stored = { version: 1, conversations: this.conversations, activeId: this.active, draft: this.draftText };
        this.writing = this.writing.then(() => this.memento.update(key, snapshot)).catch(() => undefined);
    }
}

export function viewOf(conversation: Conversation): ConversationView {
    return { id: conversation.id, title: conversation.title, messages: conversation.messages.map(messageView) };
}

export function messageView(message: StoredMessage): ChatMessageView {
    return message.state === undefined ? { id: message.id, role: message.role, text: message.text } : { id: message.id, role: message.role, text: message.text, state: message.state };
}

function titleOf(text: string): string {
    const line = text.trim().split("\n")[0] ?? "";
    return line.length > 60 ? `${line.slice(0, 59)}…` : line || "Conversation";
}

function newId(): string {
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
