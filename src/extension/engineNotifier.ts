import * as vscode from "vscode";
import type { EngineState } from "./engine/engineState";
import type { EngineErrorData } from "../protocol/engineProtocol";
import { actionLabel, describeEngineError, type EngineAction } from "./engine/errorMessages";

/**
 * Tells the user about engine problems, once each: a message that says what failed,
 * which file, and a button for each thing they can do about it.
 */
export class EngineNotifier {
    private lastKey: string | undefined;
    private readonly demoWarned = new Set<string>();
    private readonly noFimWarned = new Set<string>();
    private readonly shown: string[] = [];

    constructor(
        private readonly runAction: (action: EngineAction) => Thenable<unknown>,
        /** Words added to a problem's message: for no model, what to download for this machine. */
        private readonly addendum: (error: EngineErrorData) => string | undefined = () => undefined,
    ) {}

    /** Messages shown so far (the test API reads them). */
    get messages(): readonly string[] {
        return this.shown;
    }

    onEngineState(state: EngineState): void {
        switch (state.kind) {
            case "error": {
                const key = `${state.error.kind}:${state.error.path ?? ""}:${state.error.memory?.contextSize ?? ""}`;
                if (key === this.lastKey) return;
                this.lastKey = key;
                const problem = describeEngineError(state.error);
                const addendum = this.addendum(state.error);
                const show = state.error.kind === "noModel" ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
                this.offer(show, addendum !== undefined ? `${problem.message} ${addendum}` : problem.message, problem.actions, state.error);
                return;
            }
            case "stopped":
                if (this.lastKey === "stopped") return;
                this.lastKey = "stopped";
                this.offer(vscode.window.showErrorMessage, `Hearth: ${state.reason} Check the log, then restart it.`, ["restartEngine", "showLog"]);
                return;
            case "ready":
                this.lastKey = undefined;
                if (state.load.model.fim === null && !this.noFimWarned.has(state.load.model.path)) {
                    this.noFimWarned.add(state.load.model.path);
                    const problem = describeEngineError({ kind: "noFimTokens", path: state.load.model.path, detail: "" });
                    this.offer(vscode.window.showWarningMessage, problem.message, problem.actions);
                }
                if (state.load.model.isDemo && !this.demoWarned.has(state.load.model.path)) {
                    this.demoWarned.add(state.load.model.path);
                    this.offer(
                        vscode.window.showWarningMessage,
                        "Hearth is running a generated demo model with random weights: its output is random text until you choose a real model.",
                        ["selectModel"],
                    );
                }
                return;
            default:
                return;
        }
    }

    private offer(
        show: (message: string, ...items: string[]) => Thenable<string | undefined>,
        message: string,
        actions: readonly EngineAction[],
        error?: EngineErrorData,
    ): void {
        this.shown.push(message);
        void Promise.resolve(show(message, ...actions.map((action) => actionLabel(action, error)))).then((chosen) => {
            const action = actions.find((candidate) => actionLabel(candidate, error) === chosen);
            return action !== undefined ? this.runAction(action) : undefined;
        });
    }
}
