// The conversation: messages, the streaming answer, errors. Only the answer that changed re-renders, at most
// once per animation frame, and within it only the chunks of top-level blocks whose markup changed are
// replaced (a streaming answer re-parses only its last two blocks: see markdown.ts, which also bounds each
// render). Rendering is sliced: a frame renders messages until its budget is spent and leaves the rest to the
// next, and an answer that was costly to render waits a multiple of that cost before it renders again, so
// even a stream of pathological updates leaves the view most of its time to respond.
import type { AnswerState, ChatMessageView, ChatRole, ConversationView, ViewAction } from "../protocol/chatViewProtocol";
import { el, icon, iconButton, setIconButton, textButton } from "./dom";
import { MarkdownRenderer } from "./markdown";
import { buildBlock } from "./sanitize";
import type { Post } from "./vscodeApi";

interface MessageRecord {
    readonly id: string;
    readonly role: ChatRole;
    text: string;
    state: AnswerState | undefined;
    readonly element: HTMLElement;
    readonly body: HTMLElement;
    readonly status: HTMLElement | undefined;
    readonly footer: HTMLElement | undefined;
    /** What the body shows, block by block, with the markup each was built from. */
    blocks: RenderedBlock[];
    codes: readonly string[];
    /** The state the header and footer show (they change only when it does). */
    shownState: AnswerState | undefined | null;
    /** The answer's renderer (it keeps what a streaming re-render can reuse). */
    readonly renderer: MarkdownRenderer | undefined;
    /** When (performance.now()) it may render again: a costly render is followed by a pause. */
    notBefore: number;
}

interface RenderedBlock {
    readonly key: string;
    readonly nodes: readonly ChildNode[];
}

type CodeAction = "copyCode" | "insertCode" | "applyCode";
const codeActions: readonly { readonly action: CodeAction; readonly icon: string; readonly label: string }[] = [
    { action: "copyCode", icon: "copy", label: "Copy" },
    { action: "insertCode", icon: "insert", label: "Insert at Cursor" },
    { action: "applyCode", icon: "replace", label: "Apply to Selection" },
];
const isCodeAction = (value: string | undefined): value is CodeAction => codeActions.some((entry) => entry.action === value);

const authors: Readonly<Record<ChatRole, { readonly name: string; readonly icon: string }>> = {
    user: { name: "You", icon: "account" },
    assistant: { name: "Hearth", icon: "flame" },
    note: { name: "Note", icon: "info" },
};

/** How close to the bottom (px) still counts as "following" the answer. */
const followSlack = 32;
/** A frame renders messages for about this long (ms), then leaves the rest to the next frame. */
const frameBudgetMs = 12;
/** After a render that took t ms, the same answer renders again no sooner than this many times t later. */
const cooldownFactor = 3;
const maxCooldownMs = 2000;

export class ConversationPane {
    /** The scrolling region; a polite live log for screen readers. */
    readonly element: HTMLElement;
    private readonly list: HTMLElement;
    private readonly errors: HTMLElement;
    private readonly empty: HTMLElement;
    private conversationId: string | undefined;
    private readonly records = new Map<string, MessageRecord>();
    private readonly byElement = new WeakMap<Element, MessageRecord>();
    private order: MessageRecord[] = [];
    private readonly pending = new Set<MessageRecord>();
    private frame: number | undefined;
    private timer: ReturnType<typeof setTimeout> | undefined;
    private timerDue = 0;
    private following = true;
    private wasStreaming = false;

    constructor(
        private readonly post: Post,
        /** Called when whether an answer streams, or what the last message is, may have changed. */
        private readonly onChange: () => void,
    ) {
        this.empty = el(
            "div",
            { className: "empty-state" },
            icon("flame", "empty-icon"),
            el("p", { className: "empty-title", text: "Ask Hearth about your code" }),
            el("p", { className: "empty-detail", text: "Answers come from a model running on this machine. Attach a selection or a file to give it context." }),
        );
        this.list = el("div", { className: "messages" });
        this.errors = el("div", { className: "errors" });
        this.element = el(
            "div",
            {
                className: "conversation",
                attrs: {
                    id: "conversation",
                    role: "log",
                    "aria-live": "polite",
                    "aria-relevant": "additions text",
                    "aria-label": "Conversation",
                    tabindex: "0",
                },
            },
            this.empty,
            this.list,
            this.errors,
        );
        this.element.addEventListener("scroll", () => {
            const { scrollHeight, scrollTop, clientHeight } = this.element;
            this.following = scrollHeight - scrollTop - clientHeight < followSlack;
        });
        this.element.addEventListener("click", (event) => this.onClick(event));
    }

    get currentId(): string | undefined {
        return this.conversationId;
    }

    /** True while an answer in this conversation is streaming. */
    get streaming(): boolean {
        return this.order.some((record) => record.state === "streaming");
    }

    /** True when the last message is a finished assistant answer (Regenerate applies to it). */
    get endsWithAnswer(): boolean {
        const last = this.order.at(-1);
        return last !== undefined && last.role === "assistant" && last.state !== "streaming";
    }

    setConversation(conversation: ConversationView): void {
        this.cancelFrame();
        this.pending.clear();
        this.records.clear();
        this.order = [];
        this.list.replaceChildren();
        this.errors.replaceChildren();
        this.conversationId = conversation.id;
        for (const message of conversation.messages) {
            const record = this.createRecord(message);
            this.list.append(record.element);
            this.pending.add(record);
        }
        this.following = true;
        this.flush(); // as much as fits a frame now, the rest in the frames after
        this.onChange();
    }

    /** A new or replaced message. */
    upsertMessage(conversationId: string, message: ChatMessageView): void {
        if (conversationId !== this.conversationId) return;
        const existing = this.records.get(message.id);
        if (existing !== undefined && existing.role === message.role) {
            existing.text = message.text;
            existing.state = message.state;
            this.schedule(existing);
        } else {
            const record = this.createRecord(message);
            if (existing !== undefined) {
                existing.element.replaceWith(record.element);
                this.order = this.order.map((item) => (item === existing ? record : item));
                this.pending.delete(existing);
            } else {
                this.list.append(record.element);
            }
            if (message.role === "user") this.following = true;
            this.schedule(record);
        }
        this.onChange();
    }

    /** The answer so far: the whole text, so a late or repeated update is harmless. */
    updateAnswer(conversationId: string, messageId: string, text: string, state: AnswerState): void {
        if (conversationId !== this.conversationId) return;
        let record = this.records.get(messageId);
        if (record === undefined) {
            record = this.createRecord({ id: messageId, role: "assistant", text, state });
            this.list.append(record.element);
        } else if (record.role !== "assistant" || (record.text === text && record.state === state)) {
            return;
        }
        record.text = text;
        record.state = state;
        this.schedule(record);
        this.onChange();
    }

    showError(message: string, actions: readonly ViewAction[]): void {
        const box = el("div", { className: "error-message", attrs: { role: "alert" } });
        const buttons = actions.map((action) => textButton(action.label, () => this.post({ type: "runAction", command: action.command })));
        box.append(
            icon("error", "error-icon"),
            el(
                "div",
                { className: "error-body" },
                el("p", { className: "error-text", text: message }),
                buttons.length > 0 && el("div", { className: "error-actions" }, ...buttons),
            ),
            iconButton("close", "Dismiss Error", () => {
                box.remove();
                this.updateChrome();
            }),
        );
        this.errors.append(box);
        this.updateChrome();
        this.following = true;
        this.scrollToEnd();
    }

    private createRecord(message: ChatMessageView): MessageRecord {
        const author = authors[message.role];
        const body = el("div", { className: message.role === "assistant" ? "message-body markdown" : "message-body plain" });
        const element = el("div", { className: `message message-${message.role}` });
        let status: HTMLElement | undefined;
        let footer: HTMLElement | undefined;
        if (message.role === "note") {
            element.append(icon(author.icon, "note-icon"), body);
        } else {
            status = message.role === "assistant" ? el("span", { className: "message-status" }) : undefined;
            footer = message.role === "assistant" ? el("div", { className: "message-footer" }) : undefined;
            if (footer !== undefined) footer.hidden = true;
            element.append(
                el("div", { className: "message-header" }, icon(author.icon, "author-icon"), el("span", { className: "author", text: author.name }), status),
                body,
            );
            if (footer !== undefined) element.append(footer);
        }
        const renderer = message.role === "assistant" ? new MarkdownRenderer() : undefined;
        const record: MessageRecord = {
            id: message.id,
            role: message.role,
            text: message.text,
            state: message.state,
            element,
            body,
            status,
            footer,
            blocks: [],
            codes: [],
            shownState: null,
            renderer,
            notBefore: 0,
        };
        this.records.set(message.id, record);
        this.byElement.set(element, record);
        this.order.push(record);
        return record;
    }

    private schedule(record: MessageRecord): void {
        this.pending.add(record);
        this.scheduleFlush();
    }

    /** Asks for a frame when a pending message may render now, or a timer for when the first one may. */
    private scheduleFlush(): void {
        if (this.frame !== undefined || this.pending.size === 0) return;
        const due = Math.min(...Array.from(this.pending, (record) => record.notBefore));
        const now = performance.now();
        if (due <= now) {
            this.clearTimer();
            this.frame = requestAnimationFrame(() => this.flush());
        } else if (this.timer === undefined || this.timerDue > due) {
            this.clearTimer();
            this.timerDue = due;
            this.timer = setTimeout(() => {
                this.timer = undefined;
                this.scheduleFlush();
            }, due - now);
        }
    }

    private clearTimer(): void {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
    }

    private cancelFrame(): void {
        if (this.frame !== undefined) cancelAnimationFrame(this.frame);
        this.frame = undefined;
        this.clearTimer();
    }

    /** Renders pending messages in order until the frame's budget is spent (at least one); the rest wait. */
    private flush(): void {
        this.frame = undefined;
        const started = performance.now();
        let rendered = 0;
        for (const record of [...this.pending]) {
            if (this.records.get(record.id) !== record) {
                this.pending.delete(record);
                continue;
            }
            const now = performance.now();
            if (record.notBefore > now) continue;
            if (rendered > 0 && now - started > frameBudgetMs) break;
            this.pending.delete(record);
            this.render(record);
            rendered++;
            const cost = performance.now() - now;
            record.notBefore = performance.now() + Math.min(maxCooldownMs, cooldownFactor * cost);
        }
        this.updateChrome();
        if (this.following) this.scrollToEnd();
        this.scheduleFlush();
    }

    private render(record: MessageRecord): void {
        if (record.role !== "assistant") {
            record.body.textContent = record.text;
            return;
        }
        const streaming = record.state === "streaming";
        if (record.text === "" && streaming) {
            record.body.replaceChildren(el("span", { className: "thinking", text: "Thinking…" }));
            record.blocks = [];
        } else {
            this.renderBlocks(record);
        }
        if (record.shownState === record.state) return;
        record.shownState = record.state;
        record.element.classList.toggle("streaming", streaming);
        record.body.setAttribute("aria-busy", String(streaming));
        if (record.status !== undefined) {
            record.status.replaceChildren(
                ...(streaming ? [icon("loading", "codicon-modifier-spin"), el("span", { className: "visually-hidden", text: "Answering" })] : []),
            );
        }
        if (record.footer !== undefined) {
            const note = record.state === "stopped" ? "Stopped." : record.state === "error" ? "The answer ended early because of an error." : "";
            record.footer.textContent = note;
            record.footer.hidden = note === "";
            record.footer.classList.toggle("failed", record.state === "error");
        }
    }

    /** Re-renders an answer, replacing only the chunks whose markup changed (while streaming, the last one or two). */
    private renderBlocks(record: MessageRecord): void {
        const { blocks, codes, incomplete } = (record.renderer ?? new MarkdownRenderer()).render(record.text, record.state === "streaming");
        record.codes = codes;
        if (incomplete) this.pending.add(record); // code left plain this time: highlighted by a later pass
        if (record.blocks.length === 0) record.body.replaceChildren(); // drops the "Thinking…" placeholder
        const next: RenderedBlock[] = [];
        let after: ChildNode | undefined;
        blocks.forEach((key, index) => {
            const previous = record.blocks[index];
            let block: RenderedBlock;
            if (previous !== undefined && previous.key === key) {
                block = previous;
            } else {
                block = { key, nodes: buildBlock(key) };
                for (const node of block.nodes) if (node instanceof Element) decorateCodeBlocks(node);
                for (const node of previous?.nodes ?? []) node.remove();
                if (after === undefined) record.body.prepend(...block.nodes);
                else after.after(...block.nodes);
            }
            next.push(block);
            after = block.nodes.at(-1) ?? after;
        });
        for (const stale of record.blocks.slice(blocks.length)) for (const node of stale.nodes) node.remove();
        record.blocks = next;
    }

    private updateChrome(): void {
        const streaming = this.streaming;
        if (streaming !== this.wasStreaming) {
            this.wasStreaming = streaming;
            this.element.setAttribute("aria-busy", String(streaming));
        }
        this.empty.hidden = this.order.length > 0 || this.errors.childElementCount > 0;
    }

    private scrollToEnd(): void {
        this.element.scrollTop = this.element.scrollHeight;
    }

    private onClick(event: MouseEvent): void {
        const target = event.target instanceof Element ? event.target : null;
        const button = target?.closest<HTMLButtonElement>("button[data-code-action]");
        if (button === null || button === undefined) return;
        const action = button.dataset.codeAction;
        const block = button.closest<HTMLElement>(".code-block");
        const messageElement = button.closest(".message");
        const record = messageElement === null ? undefined : this.byElement.get(messageElement);
        const code = record?.codes[Number(block?.dataset.code)];
        if (!isCodeAction(action) || code === undefined) return;
        this.post({ type: action, code });
        if (action === "copyCode") {
            setIconButton(button, "check", "Copied");
            setTimeout(() => {
                if (button.isConnected) setIconButton(button, "copy", "Copy");
            }, 1500);
        }
    }
}

/** Adds the header (language, Copy / Insert at Cursor / Apply to Selection) to each code block in `root`. */
function decorateCodeBlocks(root: Element): void {
    const blocks = root.matches(".code-block") ? [root] : Array.from(root.querySelectorAll(".code-block"));
    for (const block of blocks) {
        const language = block.getAttribute("data-lang") ?? "";
        const buttons = codeActions.map(({ action, icon: iconName, label }) => {
            const button = iconButton(iconName, label, () => undefined, "code-action");
            button.dataset.codeAction = action;
            return button;
        });
        block.prepend(
            el(
                "div",
                { className: "code-header" },
                el("span", { className: "code-language", text: language }),
                el("div", { className: "code-actions" }, ...buttons),
            ),
        );
    }
}
