import * as vscode from "vscode";
import { commandFor, registerCommands } from "./status/engineCommands";
import { ChatController, type ChatStats } from "./chat/chatController";
import { ChatView, chatViewId } from "./chat/chatView";
import { ConversationStore, viewOf } from "./chat/conversationStore";
import type { ConversationView, FromWebview } from "../protocol/chatViewProtocol";
import { SelectionActions, type ActionStats } from "./actions/selectionActions";
import { CompletionWarmer } from "./completion/completionWarmer";
import { ProposedEdits } from "./edits/proposedEdit";
import { InlineCompletionProvider, type CompletionStats } from "./completion/inlineCompletionProvider";
import { Config } from "./settings/config";
import { EngineClient } from "./engine/engineClient";
import type { EngineState } from "./engine/engineState";
import { settingsFilterFor } from "./engine/errorMessages";
import { EngineNotifier } from "./status/engineNotifier";
import { Log } from "./core/log";
import { EngineStatusBar } from "./status/statusBar";
import type { DownloadStats } from "./modelSetup/modelDownloads";
import { ModelSetup } from "./modelSetup/modelSetup";

/** What the extension exports: read by the integration tests, useful to other extensions. */
export interface HearthApi {
    readonly engineState: EngineState;
    readonly onDidChangeEngineState: vscode.Event<EngineState>;
    readonly sidecarPid: number | undefined;
    readonly statusBarText: string;
    readonly statusBarTooltip: string;
    /** Every notice shown, in order. */
    readonly notifications: readonly string[];
    /** The notices still on screen (a notice closes when its problem is gone). */
    readonly openNotices: readonly string[];
    readonly completionStats: Readonly<CompletionStats>;
    readonly lastSuggestion: string | undefined;
    /** Characters after the cursor the last suggestion replaces (closers it supplies itself). */
    readonly lastReplaceEnd: number;
    /** The running completion request and what it has streamed so far (text, and how many updates); undefined when none runs. */
    readonly completionStreaming: { readonly requestId: number; readonly text: string; readonly updates: number } | undefined;
    /** Warm-up requests that finished. */
    readonly warmed: number;
    /** Warm-ups asked for because the cursor came to rest on another line. */
    readonly jumpWarmups: number;
    readonly models: {
        /** The models folder in global storage. */
        readonly folder: string;
        readonly downloads: Readonly<DownloadStats>;
        /** The completion and chat references in effect (each setting falls back to the other). */
        readonly references: { readonly completion: string; readonly chat: string };
    };
    readonly chat: {
        readonly stats: Readonly<ChatStats>;
        readonly actionStats: Readonly<ActionStats>;
        /** What became of each proposed edit. */
        readonly proposalOutcomes: readonly string[];
        readonly droppedMessages: number;
        /** The active conversation as the view shows it. */
        readonly conversation: ConversationView;
        /** Handles a message as if the chat view had sent it (the view's own tests drive the real webview). */
        handle(message: FromWebview): void;
        /** Answers Accept/Reject for Apply instead of the user (tests). */
        setDecision(decide: ((question: string) => Promise<"Accept" | "Reject" | undefined>) | undefined): void;
    };
}

/**
 * Owns everything Hearth creates and their lifetimes (rust-analyzer's `Ctx`): each
 * disposable is pushed here and released on deactivation.
 */
export class Hearth implements vscode.Disposable {
    readonly log = new Log();
    readonly config = new Config();
    readonly engine: EngineClient;
    private readonly statusBar = new EngineStatusBar();
    private readonly notifier: EngineNotifier;
    private readonly completions: InlineCompletionProvider;
    private readonly warmer: CompletionWarmer;
    private readonly edits = new ProposedEdits();
    private readonly chatView: ChatView;
    private readonly chat: ChatController;
    private readonly actions: SelectionActions;
    private readonly models: ModelSetup;
    private readonly stateEmitter = new vscode.EventEmitter<EngineState>();
    private readonly disposables: vscode.Disposable[] = [];

    private readonly version: string;

    constructor(context: vscode.ExtensionContext) {
        this.version = (context.extension.packageJSON as { version?: string }).version ?? "";
        this.engine = new EngineClient({
            sidecarScript: context.asAbsolutePath("dist/sidecar.mjs"),
            log: (level, message) => this.log.write(level, message),
        });
        this.models = new ModelSetup(context, this.config, this.log, () => this.engine.state, () => this.reloadEngine());
        this.notifier = new EngineNotifier(
            (action, error) => {
                const filter = action === "openSettings" ? settingsFilterFor(error) : undefined;
                return { command: commandFor(action), args: filter !== undefined ? [filter] : undefined };
            },
            (error) => (error.kind === "noModel" ? this.models.recommendationText() : undefined),
        );
        this.disposables.push(this.models);
        this.disposables.push(this.log, this.statusBar, this.notifier, this.stateEmitter);
        this.disposables.push(
            this.engine.onDidChangeState((state) => {
                this.statusBar.update(state);
                this.notifier.onEngineState(state);
                this.stateEmitter.fire(state);
                // Lets menus offer what fits the problem at hand (Download only when not downloaded).
                const problem = state.kind === "error" ? state.error.kind : state.kind === "stopped" ? "stopped" : "";
                void vscode.commands.executeCommand("setContext", "hearth.engineProblem", problem);
            }),
        );
        this.completions = new InlineCompletionProvider(this.engine, this.config, this.log);
        this.warmer = new CompletionWarmer(this.engine, this.config, this.log, () => this.completions.busy);
        this.disposables.push(
            this.completions,
            this.warmer,
            vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, this.completions),
            this.completions.onDidMeasureLatency((ms) => this.statusBar.setCompletionLatency(ms)),
        );
        const store = new ConversationStore(context.globalState);
        this.chatView = new ChatView(context.extensionUri, this.log, (message) => this.chat.handle(message));
        this.chat = new ChatController(this.chatView, store, this.engine, this.config, this.edits, this.log);
        this.disposables.push(
            this.edits,
            this.chatView,
            this.chat,
            vscode.window.registerWebviewViewProvider(chatViewId, this.chatView, { webviewOptions: { retainContextWhenHidden: true } }),
            vscode.commands.registerCommand("hearth.openChat", () => this.chatView.reveal()),
            vscode.commands.registerCommand("hearth.chat.attachSelection", () => this.chat.attachFromEditor(vscode.window.activeTextEditor)),
            vscode.commands.registerCommand("hearth.chat.newConversation", () => this.chat.handle({ type: "newConversation" })),
        );
        this.actions = new SelectionActions(this.engine, this.config, this.edits, this.chat, this.log);
        this.disposables.push(...this.actions.register());
        this.disposables.push(
            ...registerCommands({ config: this.config, engine: this.engine, log: this.log, completions: this.completions, engineSettings: () => this.models.resolver.engineSettings() }),
        );
        this.disposables.push(
            vscode.workspace.onDidChangeConfiguration((event) => {
                if (!this.config.affectsEngine(event)) return;
                this.log.info("Engine settings changed: reloading.");
                void this.reloadEngine();
            }),
        );
        this.statusBar.update(this.engine.state);
    }

    /** Starts the engine without waiting for it: activation stays instant. */
    start(): void {
        this.log.info(`Hearth ${this.version} in ${vscode.env.appName} ${vscode.version} (${vscode.env.appHost}).`);
        void this.engine.startWith(() => this.models.resolver.engineSettings());
        void this.models.onActivated().catch((error: unknown) => this.log.warn(`Could not open the walkthrough: ${String(error)}`));
    }

    /** Applies the current settings, the model settings resolved to files. */
    private async reloadEngine(): Promise<void> {
        try {
            await this.engine.applySettings(await this.models.resolver.engineSettings());
        } catch (error) {
            this.log.error(`Could not apply the engine settings: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
    }

    get api(): HearthApi {
        const { engine, statusBar, notifier, completions, warmer, chat, chatView, edits, actions, models } = this;
        return {
            get engineState() {
                return engine.state;
            },
            onDidChangeEngineState: this.stateEmitter.event,
            get sidecarPid() {
                return engine.sidecarPid;
            },
            get statusBarText() {
                return statusBar.text;
            },
            get statusBarTooltip() {
                return statusBar.tooltip;
            },
            get notifications() {
                return notifier.messages;
            },
            get openNotices() {
                return notifier.openNotices;
            },
            get completionStats() {
                return { ...completions.stats };
            },
            get lastSuggestion() {
                return completions.lastSuggestion;
            },
            get lastReplaceEnd() {
                return completions.lastReplaceEnd;
            },
            get completionStreaming() {
                return completions.streaming;
            },
            get warmed() {
                return warmer.warmed;
            },
            get jumpWarmups() {
                return warmer.jumpWarmups;
            },
            models: {
                folder: models.store.root,
                get downloads() {
                    return { ...models.downloads.stats };
                },
                get references() {
                    return models.resolver.references;
                },
            },
            chat: {
                get stats() {
                    return { ...chat.stats };
                },
                get actionStats() {
                    return { ...actions.stats };
                },
                get proposalOutcomes() {
                    return [...edits.outcomes];
                },
                get droppedMessages() {
                    return chatView.dropped;
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
            },
        };
    }

    async shutdown(): Promise<void> {
        await this.engine.dispose();
        this.dispose();
    }

    dispose(): void {
        for (const disposable of this.disposables.splice(0).reverse()) disposable.dispose();
    }
}
