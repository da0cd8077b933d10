import * as vscode from "vscode";
import type { EngineErrorData } from "../../protocol/engineProtocol";
import type { EngineState } from "../engine/engineState";
import { presentEngineState } from "../engine/statusText";

/** The status bar item: the engine's state, backend and model; a click opens Hearth's menu. */
export class EngineStatusBar implements vscode.Disposable {
    private readonly item = vscode.window.createStatusBarItem("hearth.engine", vscode.StatusBarAlignment.Right, 100);
    private state: EngineState | undefined;
    private latencyMs: number | undefined;
    /** A server engine's failing requests since the engine loaded (completions say so here, not in notices). */
    private requestProblem: EngineErrorData | undefined;
    private details: readonly string[] = [];

    constructor() {
        this.item.name = "Hearth Engine";
        this.item.command = "hearth.showMenu";
        this.item.show();
    }

    get text(): string {
        return this.item.text;
    }

    /** The tooltip as plain text (the test API reads it). */
    get tooltip(): string {
        return this.details.join("\n");
    }

    /** Shows the last completion's latency next to the model. */
    setCompletionLatency(ms: number): void {
        this.latencyMs = ms;
        if (this.state !== undefined) this.update(this.state);
    }

    /** A server's request failed (an error), or one succeeded again (undefined). */
    setRequestProblem(error: EngineErrorData | undefined): void {
        if (error === this.requestProblem) return;
        this.requestProblem = error;
        if (this.state !== undefined) this.update(this.state);
    }

    update(state: EngineState): void {
        if (state.kind !== "ready") this.latencyMs = undefined;
        // A new state is a new load (or none): the servers are asked afresh.
        if (state !== this.state) this.requestProblem = undefined;
        this.state = state;
        const presentation = presentEngineState(state, this.latencyMs, this.requestProblem !== undefined ? [this.requestProblem] : []);
        this.item.text = presentation.text;
        this.details = presentation.details;
        this.item.tooltip = new vscode.MarkdownString(presentation.details.map(escapeMarkdown).join("  \n"));
        this.item.accessibilityInformation = {
            label: `${presentation.text.replace(/\$\([^)]*\)\s*/g, "")}. ${presentation.details.join(". ")}`,
            role: "button",
        };
        this.item.backgroundColor =
            presentation.severity === "error"
                ? new vscode.ThemeColor("statusBarItem.errorBackground")
                : presentation.severity === "warning"
                  ? new vscode.ThemeColor("statusBarItem.warningBackground")
                  : undefined;
    }

    dispose(): void {
        this.item.dispose();
    }
}

function escapeMarkdown(text: string): string {
    return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, "\\$&");
}
