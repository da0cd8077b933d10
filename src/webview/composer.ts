// The message box: Enter sends, Shift+Enter adds a line, Escape stops an answer. The draft survives reloads.
import type { EngineStatusView } from "../protocol/chatViewProtocol";
import type { ChipsView } from "./chips";
import { el, icon, iconButton, setIconButton } from "./dom";
import type { Host } from "./vscodeApi";

const draftDelayMs = 300;

export class Composer {
    readonly element: HTMLElement;
    readonly input: HTMLTextAreaElement;
    private readonly sendButton: HTMLButtonElement;
    private readonly hint: HTMLElement;
    private engine: EngineStatusView | undefined;
    private streaming = false;
    private draftTimer: ReturnType<typeof setTimeout> | undefined;

    constructor(
        private readonly host: Host,
        chips: ChipsView,
    ) {
        this.input = el("textarea", {
            className: "input",
            attrs: {
                id: "chat-input",
                rows: "1",
                "aria-label": "Message to Hearth",
                "aria-describedby": "composer-hint",
                placeholder: "Ask about your code (Shift+Enter for a new line)",
            },
        });
        this.sendButton = iconButton("send", "Send", () => this.onSendButton(), "send-button");
        this.hint = el("div", { className: "composer-hint", attrs: { id: "composer-hint" } });
        const attach = el(
            "div",
            { className: "attach-actions" },
            iconButton("selection", "Attach Selection", () => this.host.post({ type: "attachSelection" })),
            iconButton("file-add", "Attach File…", () => this.host.post({ type: "attachFile" })),
        );
        this.element = el(
            "div",
            { className: "composer" },
            chips.element,
            el("div", { className: "input-box" }, this.input, el("div", { className: "input-toolbar" }, attach, this.sendButton)),
            this.hint,
        );

        this.input.value = host.loadState().draft;
        this.input.addEventListener("input", () => this.onInput());
        this.input.addEventListener("keydown", (event) => this.onKeyDown(event));
        window.addEventListener("pagehide", () => this.flushDraft());
        document.addEventListener("visibilitychange", () => {
            if (document.visibilityState === "hidden") this.flushDraft();
        });
        this.update();
        this.updateHint();
    }

    /** The extension's saved draft; text already in the box (e.g. restored after a reload) wins. */
    offerDraft(text: string): void {
        if (this.input.value !== "" || text === "") return;
        this.input.value = text;
        this.host.saveState({ draft: text });
        this.update();
    }

    setEngine(engine: EngineStatusView): void {
        this.engine = engine;
        this.updateHint();
        this.update();
    }

    setStreaming(streaming: boolean): void {
        if (streaming === this.streaming) return;
        this.streaming = streaming;
        this.update();
    }

    focus(): void {
        this.input.focus();
    }

    /** Stops the streaming answer; false when none streams. */
    stop(): boolean {
        if (!this.streaming) return false;
        this.host.post({ type: "stop" });
        return true;
    }

    private get ready(): boolean {
        return this.engine?.ready === true;
    }

    private onKeyDown(event: KeyboardEvent): void {
        if (event.isComposing) return;
        if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
            event.preventDefault();
            this.send();
        } else if (event.key === "Escape" && this.stop()) {
            event.preventDefault();
            event.stopPropagation();
        }
    }

    private onSendButton(): void {
        if (!this.stop()) this.send();
        this.input.focus();
    }

    private send(): void {
        const text = this.input.value;
        if (this.streaming || !this.ready || text.trim() === "") return;
        this.host.post({ type: "send", text });
        this.input.value = "";
        this.clearDraftTimer();
        this.host.saveState({ draft: "" });
        this.host.post({ type: "draft", text: "" });
        this.update();
    }

    private onInput(): void {
        this.host.saveState({ draft: this.input.value });
        this.clearDraftTimer();
        this.draftTimer = setTimeout(() => this.flushDraft(), draftDelayMs);
        this.update();
    }

    private flushDraft(): void {
        if (this.draftTimer === undefined) return;
        this.clearDraftTimer();
        this.host.post({ type: "draft", text: this.input.value });
    }

    private clearDraftTimer(): void {
        if (this.draftTimer !== undefined) clearTimeout(this.draftTimer);
        this.draftTimer = undefined;
    }

    private update(): void {
        if (this.streaming) {
            setIconButton(this.sendButton, "debug-stop", "Stop (Escape)");
            this.sendButton.classList.add("stop");
            this.sendButton.disabled = false;
        } else {
            setIconButton(this.sendButton, "send", "Send (Enter)");
            this.sendButton.classList.remove("stop");
            this.sendButton.disabled = !this.ready || this.input.value.trim() === "";
        }
    }

    private updateHint(): void {
        const engine = this.engine;
        this.element.classList.toggle("unavailable", engine !== undefined && !engine.ready);
        if (engine === undefined) {
            this.hint.replaceChildren(el("span", { text: "Connecting to Hearth…" }));
        } else if (engine.ready) {
            this.hint.replaceChildren(
                icon("chip", "hint-icon"),
                el("span", { className: "hint-text", text: engine.label, attrs: { title: engine.title ?? engine.label } }),
            );
        } else {
            this.hint.replaceChildren(
                icon("warning", "hint-icon"),
                el("span", {
                    className: "hint-text",
                    text: `Chat is unavailable: ${engine.label}${/[.…!?]$/.test(engine.label) ? "" : "."} What you type is kept.`,
                }),
            );
        }
    }
}
