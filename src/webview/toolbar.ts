// The strip above the conversation: its title, New Conversation, Regenerate, History.
import { el, iconButton } from "./dom";
import type { Post } from "./vscodeApi";

export class Toolbar {
    readonly element: HTMLElement;
    private readonly title: HTMLElement;
    private readonly regenerate: HTMLButtonElement;
    readonly historyButton: HTMLButtonElement;

    constructor(post: Post, onToggleHistory: () => void) {
        this.title = el("span", { className: "conversation-title", text: "New conversation" });
        this.regenerate = iconButton("refresh", "Regenerate Answer", () => post({ type: "regenerate" }));
        this.historyButton = iconButton("history", "Show History", () => onToggleHistory());
        this.historyButton.setAttribute("aria-controls", "history");
        this.historyButton.setAttribute("aria-expanded", "false");
        this.element = el(
            "div",
            { className: "toolbar" },
            this.title,
            el(
                "div",
                { className: "toolbar-actions" },
                iconButton("add", "New Conversation", () => post({ type: "newConversation" })),
                this.regenerate,
                this.historyButton,
            ),
        );
        this.setCanRegenerate(false);
    }

    setTitle(title: string): void {
        const text = title.trim() === "" ? "New conversation" : title;
        this.title.textContent = text;
        this.title.title = text;
    }

    setCanRegenerate(enabled: boolean): void {
        this.regenerate.disabled = !enabled;
    }

    setHistoryOpen(open: boolean): void {
        this.historyButton.setAttribute("aria-expanded", String(open));
        this.historyButton.classList.toggle("checked", open);
    }
}
