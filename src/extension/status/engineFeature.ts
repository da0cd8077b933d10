import * as vscode from "vscode";
import type { EngineErrorData } from "../../protocol/engineProtocol";
import { disposeAll, type HearthServices } from "../core/services";
import type { EngineState } from "../engine/engineState";
import { actionArgs } from "../engine/errorMessages";
import type { ModelsFeature } from "../modelSetup/modelsFeature";
import { commandFor, registerEngineCommands } from "./engineCommands";
import { EngineNotifier } from "./engineNotifier";
import { EngineStatusBar } from "./statusBar";

export interface EngineApi {
    readonly engineState: EngineState;
    readonly onDidChangeEngineState: vscode.Event<EngineState>;
    readonly sidecarPid: number | undefined;
    readonly statusBarText: string;
    readonly statusBarTooltip: string;
    /** Every notice shown, in order. */
    readonly notifications: readonly string[];
    /** The notices still on screen (a notice closes when its problem is gone). */
    readonly openNotices: readonly string[];
}

/**
 * The engine as the user sees and steers it: starting it, reloading it when its settings change,
 * the status bar, the notices that explain a problem, the menu and Restart Engine.
 */
export class EngineFeature implements vscode.Disposable {
    private readonly statusBar = new EngineStatusBar();
    private readonly notifier: EngineNotifier;
    private readonly stateEmitter = new vscode.EventEmitter<EngineState>();
    private readonly disposables: vscode.Disposable[] = [];

    constructor(
        private readonly services: HearthServices,
        private readonly models: ModelsFeature,
        completionLatency: vscode.Event<number>,
        /** A server's completions failing (the error) or working again: the status bar's warning, never a notice. */
        completionProblem: vscode.Event<EngineErrorData | undefined>,
    ) {
        const { engine, config, log } = services;
        this.notifier = new EngineNotifier(
            (action, error) => ({ command: commandFor(action), args: actionArgs(action, error) }),
            (error) => (error.kind === "noModel" ? models.setup.recommendationText() : undefined),
        );
        this.disposables.push(
            this.statusBar,
            this.notifier,
            this.stateEmitter,
            engine.onDidChangeState((state) => {
                this.statusBar.update(state);
                this.notifier.onEngineState(state);
                this.stateEmitter.fire(state);
                // Lets menus offer what fits the problem at hand (Download only when not downloaded).
                const problem = state.kind === "error" ? state.error.kind : state.kind === "stopped" ? "stopped" : "";
                void vscode.commands.executeCommand("setContext", "hearth.engineProblem", problem);
            }),
            completionLatency((ms) => this.statusBar.setCompletionLatency(ms)),
            completionProblem((error) => this.statusBar.setRequestProblem(error)),
            ...registerEngineCommands({ config, engine, log, engineSettings: () => models.engineSettings(), reload: () => models.reloadEngine() }),
            vscode.workspace.onDidChangeConfiguration((event) => {
                if (!config.affectsEngine(event)) return;
                log.info("Engine settings changed: reloading.");
                void models.reloadEngine();
            }),
        );
        this.statusBar.update(engine.state);
    }

    /** Starts the engine without waiting for it: activation stays instant. */
    start(): void {
        void this.services.engine.startWith(() => this.models.engineSettings());
    }

    get api(): EngineApi {
        const { engine } = this.services;
        const { statusBar, notifier } = this;
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
        };
    }

    dispose(): void {
        disposeAll(this.disposables);
    }
}
