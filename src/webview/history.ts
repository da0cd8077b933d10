// The list of saved conversations: open one, or delete one after confirming.
import type { ConversationSummary } from "../protocol/chatViewProtocol";
import { el, iconButton, textButton } from "./dom";
import type { Post } from "./vscodeApi";

/** "just now", "5 minutes ago", "yesterday", or a date. */
function relativeTime(then: number, now = Date.now()): string {
    const seconds = Math.round((then - now) / 1000);
    const size = Math.abs(seconds);
    const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
    if (size < 45) return "just now";
    if (size < 45 * 60) return format.format(Math.round(seconds / 60), "minute");
    if (size < 22 * 3600) return format.format(Math.round(seconds / 3600), "hour");
    if (size < 26 * 86400) return format.format(Math.round(seconds / 86400), "day");
    return new Date(then).toLocaleDateString();
}

export class HistoryView {
    readonly element: HTMLElement;
    private readonly list: HTMLUListElement;
    private readonly emptyNote: HTMLElement;
    private items: readonly ConversationSummary[] = [];
    private currentId: string | undefined;
    private confirming: string | undefined;

    constructor(
        private readonly post: Post,
        /** Closes the panel; `opened` when a conversation was just opened (focus then goes to the input). */
        private readonly onClose: (opened: boolean) => void,
    ) {
        this.list = el("ul", { className: "history-list", attrs: { "aria-label": "Conversations" } });
        this.emptyNote = el("p", { className: "history-empty", text: "No saved conversations yet." });
        this.element = el(
            "section",
            { className: "history", attrs: { id: "history", "aria-label": "Conversation history" } },
            el(
                "div",
                { className: "history-header" },
                el("h2", { className: "history-title", text: "Conversations" }),
                iconButton("close", "Close History", () => this.onClose(false)),
            ),
            this.list,
            this.emptyNote,
        );
        this.element.hidden = true;
        this.element.addEventListener("keydown", (event) => {
            if (event.key !== "Escape") return;
            event.preventDefault();
            event.stopPropagation();
            if (this.confirming !== undefined) this.cancelDelete();
            else this.onClose(false);
        });
    }

    get isOpen(): boolean {
        return !this.element.hidden;
    }

    setItems(items: readonly ConversationSummary[]): void {
        this.items = [...items].sort((a, b) => b.updatedAt - a.updatedAt);
        if (this.confirming !== undefined && !this.items.some((item) => item.id === this.confirming)) this.confirming = undefined;
        this.render();
    }

    setCurrent(id: string | undefined): void {
        this.currentId = id;
        this.render();
    }

    show(visible: boolean): void {
        this.element.hidden = !visible;
        this.confirming = undefined;
        if (visible) {
            this.render();
            (this.list.querySelector<HTMLButtonElement>("button.history-open") ?? this.element.querySelector<HTMLButtonElement>("button"))?.focus();
        }
    }

    private render(focus?: "confirm" | { readonly deleteOf: string }): void {
        const now = Date.now();
        this.list.replaceChildren(...this.items.map((item) => this.row(item, now)));
        this.emptyNote.hidden = this.items.length > 0;
        if (focus === "confirm") this.list.querySelector<HTMLButtonElement>(".history-confirm button")?.focus();
        else if (focus !== undefined) {
            const index = this.items.findIndex((item) => item.id === focus.deleteOf);
            this.list.querySelectorAll<HTMLButtonElement>("button.history-delete")[index]?.focus();
        }
    }

    private row(item: ConversationSummary, now: number): HTMLLIElement {
        const title = item.title.trim() === "" ? "Untitled conversation" : item.title;
        const current = item.id === this.currentId;
        if (item.id === this.confirming) {
            return el(
                "li",
                { className: "history-item history-confirm" },
                el("span", { className: "history-confirm-text", text: `Delete “${title}”?` }),
                textButton("Delete", () => this.confirmDelete(item.id), { label: `Delete ${title}` }),
                textButton("Cancel", () => this.cancelDelete(), { secondary: true }),
            );
        }
        const when = relativeTime(item.updatedAt, now);
        const open = el(
            "button",
            {
                className: "history-open",
                attrs: { type: "button", "aria-label": `${title}, ${when}${current ? ", current" : ""}`, title: new Date(item.updatedAt).toLocaleString() },
            },
            el("span", { className: "history-item-title", text: title }),
            el("span", { className: "history-item-time", text: when }),
        );
        if (current) open.setAttribute("aria-current", "true");
        open.addEventListener("click", () => {
            this.post({ type: "openConversation", id: item.id });
            this.onClose(true);
        });
        const remove = iconButton(
            "trash",
            `Delete ${title}`,
            () => {
                this.confirming = item.id;
                this.render("confirm");
            },
            "history-delete",
        );
        return el("li", { className: `history-item${current ? " current" : ""}` }, open, remove);
    }

    private confirmDelete(id: string): void {
        const index = this.items.findIndex((item) => item.id === id);
        this.confirming = undefined;
        this.post({ type: "deleteConversation", id });
        // Gone at once; the extension's next `history` message confirms it.
        this.items = this.items.filter((item) => item.id !== id);
        this.render();
        const rows = this.list.querySelectorAll<HTMLButtonElement>("button.history-open");
        (rows[Math.min(index, rows.length - 1)] ?? this.element.querySelector<HTMLButtonElement>("button"))?.focus();
    }

    private cancelDelete(): void {
        const id = this.confirming;
        this.confirming = undefined;
        this.render(id === undefined ? undefined : { deleteOf: id });
    }
}
