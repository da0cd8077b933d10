// Hearth's chat view, in the browser. Every message from the extension is validated (parseToWebview) and
// anything malformed is dropped with a warning. The view says `ready` once loaded; the extension answers `init`.
import { parseToWebview, type ConversationView, type EngineStatusView, type ToWebview } from "../protocol/chatViewProtocol";
import { ChipsView } from "./chips";
import { Composer } from "./composer";
import { ConversationPane } from "./conversation";
import { el } from "./dom";
import { HistoryView } from "./history";
import { isSafeHref } from "./links";
import { Toolbar } from "./toolbar";
import { connectHost } from "./vscodeApi";

const host = connectHost();
const { post } = host;

let engine: EngineStatusView | undefined;

const chips = new ChipsView(post, () => composer.focus());
const composer: Composer = new Composer(host, chips);
const conversation = new ConversationPane(post, () => refreshControls());
const history = new HistoryView(post, (opened) => {
    setHistoryOpen(false);
    if (opened) composer.focus();
});
const toolbar = new Toolbar(post, () => setHistoryOpen(!history.isOpen));

function refreshControls(): void {
    const streaming = conversation.streaming;
    composer.setStreaming(streaming);
    toolbar.setCanRegenerate(conversation.endsWithAnswer && engine?.ready === true);
}

function setHistoryOpen(open: boolean): void {
    if (open === history.isOpen) return;
    const focusWasInside = history.element.contains(document.activeElement);
    history.show(open);
    conversation.element.hidden = open;
    toolbar.setHistoryOpen(open);
    if (!open && focusWasInside) toolbar.historyButton.focus();
}

function handle(message: ToWebview): void {
    switch (message.type) {
        case "init":
            engine = message.engine;
            composer.setEngine(message.engine);
            composer.offerDraft(message.draft);
            chips.set(message.chips);
            history.setItems(message.history);
            showConversation(message.conversation);
            break;
        case "conversation":
            showConversation(message.conversation);
            break;
        case "history":
            history.setItems(message.history);
            break;
        case "message":
            conversation.upsertMessage(message.conversationId, message.message);
            break;
        case "answer":
            conversation.updateAnswer(message.conversationId, message.messageId, message.text, message.state);
            break;
        case "chips":
            chips.set(message.chips);
            break;
        case "engine":
            engine = message.engine;
            composer.setEngine(message.engine);
            refreshControls();
            break;
        case "error":
            if (history.isOpen) setHistoryOpen(false);
            conversation.showError(message.message, message.actions);
            break;
        case "focusInput":
            if (history.isOpen) setHistoryOpen(false);
            composer.focus();
            break;
    }
}

function showConversation(view: ConversationView): void {
    conversation.setConversation(view);
    toolbar.setTitle(view.title);
    history.setCurrent(view.id);
    refreshControls();
}

/** A short description of a dropped message for the log (never the whole payload). */
function describe(data: unknown): string {
    if (typeof data === "object" && data !== null && "type" in data) return `type ${JSON.stringify(data.type)?.slice(0, 60) ?? "?"}`;
    return data === null ? "null" : typeof data;
}

window.addEventListener("message", (event: MessageEvent<unknown>) => {
    const message = parseToWebview(event.data);
    if (message === undefined) {
        console.warn(`Hearth: dropped a malformed message from the extension (${describe(event.data)})`);
        return;
    }
    try {
        handle(message);
    } catch (error) {
        console.error(`Hearth: failed to show a "${message.type}" message`, error);
    }
});

// Links never navigate the view: each click becomes an `openLink` request (http, https and mailto only).
const onLinkActivation = (event: MouseEvent): void => {
    const link = event.target instanceof Element ? event.target.closest("a") : null;
    if (link === null) return;
    event.preventDefault();
    if (event.type === "auxclick" && event.button !== 1) return;
    const href = link.getAttribute("href");
    if (href !== null && isSafeHref(href)) post({ type: "openLink", href });
};
document.addEventListener("click", onLinkActivation, true);
document.addEventListener("auxclick", onLinkActivation, true);

// Dropping something outside the message box must not navigate the view (text dropped on the box is typed in).
for (const type of ["dragover", "drop"] as const) {
    document.addEventListener(type, (event) => {
        if (event.target !== composer.input) event.preventDefault();
    });
}

document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    if (history.isOpen) setHistoryOpen(false);
    else if (composer.stop()) event.preventDefault();
});

const root = document.getElementById("root") ?? document.body.appendChild(el("div", { attrs: { id: "root" } }));
root.classList.add("chat");
root.replaceChildren(toolbar.element, el("div", { className: "main" }, conversation.element, history.element), composer.element);

post({ type: "ready" });
