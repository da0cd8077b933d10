/**
 * Messages between the extension and the chat view's webview. Both directions are typed
 * unions and are validated on arrival: anything unknown or malformed is dropped (and the
 * receiver logs it). The webview says `ready` first; the extension answers with `init`.
 */

export type ChatRole = "user" | "assistant" | "note";
export type AnswerState = "streaming" | "done" | "stopped" | "error";

export interface ChatMessageView {
    readonly id: string;
    readonly role: ChatRole;
    /** Markdown for the assistant, plain text for the user and for notes. */
    readonly text: string;
    readonly state?: AnswerState;
}

export interface ConversationView {
    readonly id: string;
    readonly title: string;
    readonly messages: readonly ChatMessageView[];
}

export interface ConversationSummary {
    readonly id: string;
    readonly title: string;
    readonly updatedAt: number;
    readonly messageCount: number;
}

/** Context the next message carries: visible to the user, removable. */
export interface ContextChip {
    readonly id: string;
    readonly kind: "selection" | "file";
    /** e.g. "inventory.ts:12-30" */
    readonly label: string;
    /** Set when the text was cut to the context budget: says how much was kept. */
    readonly trimmedNote?: string;
}

export interface EngineStatusView {
    readonly ready: boolean;
    /** Short: e.g. "Qwen2.5 Coder 7B Instruct · Metal", or why chat is unavailable. */
    readonly label: string;
    /** The full text behind a shortened label (its tooltip): the chat model's whole name, backend and file. */
    readonly title?: string;
}

export interface ViewAction {
    /** A command id the extension runs when the button is clicked (only if it offered it: see OfferedCommands). */
    readonly command: string;
    readonly label: string;
}

export type ToWebview =
    | {
          readonly type: "init";
          readonly conversation: ConversationView;
          readonly history: readonly ConversationSummary[];
          readonly chips: readonly ContextChip[];
          readonly engine: EngineStatusView;
          /** Text the user had typed and not sent (kept across reloads). */
          readonly draft: string;
      }
    | { readonly type: "conversation"; readonly conversation: ConversationView }
    | { readonly type: "history"; readonly history: readonly ConversationSummary[] }
    | { readonly type: "message"; readonly conversationId: string; readonly message: ChatMessageView }
    /** The answer so far (whole text, not a delta: idempotent, order-safe). */
    | { readonly type: "answer"; readonly conversationId: string; readonly messageId: string; readonly text: string; readonly state: AnswerState }
    | { readonly type: "chips"; readonly chips: readonly ContextChip[] }
    | { readonly type: "engine"; readonly engine: EngineStatusView }
    | { readonly type: "error"; readonly message: string; readonly actions: readonly ViewAction[] }
    | { readonly type: "focusInput" };

export type FromWebview =
    | { readonly type: "ready" }
    | { readonly type: "send"; readonly text: string }
    | { readonly type: "stop" }
    | { readonly type: "regenerate" }
    | { readonly type: "newConversation" }
    | { readonly type: "openConversation"; readonly id: string }
    | { readonly type: "deleteConversation"; readonly id: string }
    | { readonly type: "removeChip"; readonly id: string }
    | { readonly type: "attachSelection" }
    | { readonly type: "attachFile" }
    | { readonly type: "copyCode"; readonly code: string }
    | { readonly type: "insertCode"; readonly code: string }
    | { readonly type: "applyCode"; readonly code: string }
    | { readonly type: "openLink"; readonly href: string }
    | { readonly type: "runAction"; readonly command: string }
    | { readonly type: "draft"; readonly text: string };

const maxText = 1_000_000;

type Checker = (value: Record<string, unknown>) => boolean;
const isString = (value: unknown, max = maxText): value is string => typeof value === "string" && value.length <= max;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isArrayOf = (value: unknown, item: (v: unknown) => boolean): boolean => Array.isArray(value) && value.every(item);
const answerStates: readonly string[] = ["streaming", "done", "stopped", "error"];
const roles: readonly string[] = ["user", "assistant", "note"];

const isMessage = (v: unknown): boolean =>
    isObject(v) &&
    isString(v.id, 200) &&
    typeof v.role === "string" &&
    roles.includes(v.role) &&
    isString(v.text) &&
    (v.state === undefined || (typeof v.state === "string" && answerStates.includes(v.state)));
const isConversation = (v: unknown): boolean => isObject(v) && isString(v.id, 200) && isString(v.title, 1000) && isArrayOf(v.messages, isMessage);
const isSummary = (v: unknown): boolean =>
    isObject(v) && isString(v.id, 200) && isString(v.title, 1000) && typeof v.updatedAt === "number" && typeof v.messageCount === "number";
const isChip = (v: unknown): boolean =>
    isObject(v) &&
    isString(v.id, 200) &&
    (v.kind === "selection" || v.kind === "file") &&
    isString(v.label, 1000) &&
    (v.trimmedNote === undefined || isString(v.trimmedNote, 1000));
const isEngine = (v: unknown): boolean => isObject(v) && typeof v.ready === "boolean" && isString(v.label, 1000);
const isAction = (v: unknown): boolean => isObject(v) && isString(v.command, 200) && isString(v.label, 200);

const toWebviewChecks: Readonly<Record<ToWebview["type"], Checker>> = {
    init: (v) => isConversation(v.conversation) && isArrayOf(v.history, isSummary) && isArrayOf(v.chips, isChip) && isEngine(v.engine) && isString(v.draft),
    conversation: (v) => isConversation(v.conversation),
    history: (v) => isArrayOf(v.history, isSummary),
    message: (v) => isString(v.conversationId, 200) && isMessage(v.message),
    answer: (v) =>
        isString(v.conversationId, 200) && isString(v.messageId, 200) && isString(v.text) && typeof v.state === "string" && answerStates.includes(v.state),
    chips: (v) => isArrayOf(v.chips, isChip),
    engine: (v) => isEngine(v.engine),
    error: (v) => isString(v.message, 10_000) && isArrayOf(v.actions, isAction),
    focusInput: () => true,
};

const fromWebviewChecks: Readonly<Record<FromWebview["type"], Checker>> = {
    ready: () => true,
    send: (v) => isString(v.text),
    stop: () => true,
    regenerate: () => true,
    newConversation: () => true,
    openConversation: (v) => isString(v.id, 200),
    deleteConversation: (v) => isString(v.id, 200),
    removeChip: (v) => isString(v.id, 200),
    attachSelection: () => true,
    attachFile: () => true,
    copyCode: (v) => isString(v.code),
    insertCode: (v) => isString(v.code),
    applyCode: (v) => isString(v.code),
    openLink: (v) => isString(v.href, 10_000),
    runAction: (v) => isString(v.command, 200),
    draft: (v) => isString(v.text),
};

function parse<T extends { type: string }>(value: unknown, checks: Readonly<Record<string, Checker>>): T | undefined {
    if (!isObject(value) || typeof value.type !== "string" || !Object.hasOwn(checks, value.type)) return undefined;
    const check = checks[value.type];
    return check !== undefined && check(value) ? (value as unknown as T) : undefined;
}

/** The message, if it is a well-formed message for the webview; undefined otherwise. */
export function parseToWebview(value: unknown): ToWebview | undefined {
    return parse<ToWebview>(value, toWebviewChecks);
}

/** The message, if it is a well-formed message from the webview; undefined otherwise. */
export function parseFromWebview(value: unknown): FromWebview | undefined {
    return parse<FromWebview>(value, fromWebviewChecks);
}

/**
 * The commands the extension offered the view as buttons (the actions of `error` messages). The view asks to
 * run one with `runAction`; the extension runs it only if it offered it to the view since the view (re)loaded,
 * and only a Hearth command (`hearth.*`). Anything else a view asks for (a compromised or confused view could
 * ask for any command) is refused.
 */
export class OfferedCommands {
    private readonly commands = new Set<string>();

    /** Notes the commands `message` offers; call it for every message actually posted to the view. */
    note(message: ToWebview): void {
        if (message.type !== "error") return;
        for (const action of message.actions) {
            if (action.command.startsWith("hearth.")) this.commands.add(action.command);
        }
    }

    /** True when `command` was offered to the view. */
    allows(command: string): boolean {
        return this.commands.has(command);
    }

    /** The view (re)loaded: it shows nothing offered before. */
    clear(): void {
        this.commands.clear();
    }
}
