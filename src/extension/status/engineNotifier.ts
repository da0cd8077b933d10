import * as vscode from "vscode";
import type { EngineState } from "../engine/engineState";
import type { EngineErrorData, LoadModelResult, ModelInfo } from "../../protocol/engineProtocol";
import { actionLabel, describeEngineError, type EngineAction } from "../engine/errorMessages";

/** A notice on screen and how to take it down. */
interface OpenNotice {
    readonly key: string;
    readonly message: string;
    close(): void;
}

/** A notice about the loaded model: which model, and what about it. */
interface ModelNotice extends OpenNotice {
    readonly about: "noFim" | "demo";
    readonly path: string;
}

/** What a notice offers: an action, and the arguments its command takes (a settings query). */
type NoticeCommand = (action: EngineAction, error?: EngineErrorData) => { readonly command: string; readonly args?: readonly unknown[] };

/**
 * Tells the user about engine problems, once each: a message that says what failed, which file,
 * and a link for each thing they can do about it. A notice lasts as long as its problem: when the
 * engine is ready again, or another problem replaces it, the notice closes.
 *
 * VS Code's extension API can close only progress notifications, so notices are shown as one
 * (with a Dismiss button; its actions are command links in the message, since a progress
 * notification takes no buttons). A message notification could only be left behind, stale.
 */
export class EngineNotifier implements vscode.Disposable {
    /** The problem notice (an engine error, or the engine stopped). */
    private problem: OpenNotice | undefined;
    /** Notices about the model that is loaded (no FIM tokens, a demo model). */
    private readonly modelNotices: ModelNotice[] = [];
    /**
     * Notices about server engines the last load could not use, one per server and problem (two roles on
     * one server that is down make one notice). Undefined: the user dismissed it; not shown again while it lasts.
     */
    private readonly serverNotices = new Map<string, OpenNotice | undefined>();
    /** The last problem shown: not shown again while the engine only retries and fails alike. */
    private lastProblemKey: string | undefined;
    /** Model notices shown: each is said once a session (closed when it no longer applies, not repeated). */
    private readonly warned = new Set<string>();
    private readonly shown: string[] = [];

    constructor(
        private readonly commandFor: NoticeCommand,
        /** Words added to a problem's message: for no model, what to download for this machine. */
        private readonly addendum: (error: EngineErrorData) => string | undefined = () => undefined,
    ) {}

    /** Messages shown so far (the test API reads them). */
    get messages(): readonly string[] {
        return this.shown;
    }

    /** Messages still on screen. */
    get openNotices(): readonly string[] {
        return [
            ...(this.problem !== undefined ? [this.problem.message] : []),
            ...this.modelNotices.map((notice) => notice.message),
            ...[...this.serverNotices.values()].flatMap((notice) => (notice !== undefined ? [notice.message] : [])),
        ];
    }

    onEngineState(state: EngineState): void {
        switch (state.kind) {
            case "error": {
                const key = `${state.error.kind}:${state.error.path ?? ""}:${state.error.memory?.contextSize ?? ""}:${state.error.server?.url ?? ""}`;
                this.closeModelNotices();
                this.updateServerNotices(undefined);
                if (key === this.lastProblemKey) return;
                const problem = describeEngineError(state.error);
                const addendum = this.addendum(state.error);
                this.showProblem(key, addendum !== undefined ? `${problem.message} ${addendum}` : problem.message, problem.actions, state.error);
                return;
            }
            case "stopped":
                this.closeModelNotices();
                this.updateServerNotices(undefined);
                if (this.lastProblemKey === "stopped") return;
                this.showProblem("stopped", `Hearth: ${state.reason} Check the log, then restart it.`, ["restartEngine", "showLog"]);
                return;
            case "ready":
                this.closeProblem();
                this.lastProblemKey = undefined;
                this.onModelsLoaded(state);
                this.updateServerNotices(state.load.serverProblems);
                return;
            default:
                // Starting, loading, restarting: on the way to an answer. A problem's notice stays
                // until the engine is ready or fails otherwise.
                return;
        }
    }

    dispose(): void {
        this.closeProblem();
        this.closeModelNotices();
        this.updateServerNotices(undefined);
    }

    private onModelsLoaded(state: Extract<EngineState, { kind: "ready" }>): void {
        const { model, chatModel } = state.load;
        // What each notice is about must still hold: no FIM tokens matters for the completion
        // model only; a demo model for either role.
        const holds = (notice: ModelNotice): boolean =>
            notice.about === "noFim" ? notice.path === identity(model) && model.fim === null : notice.path === model.path || notice.path === chatModel?.path;
        for (const notice of this.modelNotices.splice(0)) {
            if (holds(notice)) this.modelNotices.push(notice);
            else notice.close();
        }
        if (model.fim === null) {
            // A server's model: its name, and the server's settings to change.
            const error: EngineErrorData =
                model.server !== undefined
                    ? { kind: "noFimTokens", detail: model.name, server: { ...model.server, role: "completion" } }
                    : { kind: "noFimTokens", path: model.path, detail: "" };
            const problem = describeEngineError(error);
            this.showModelNotice("noFim", identity(model), problem.message, problem.actions, error);
        }
        for (const demo of [model, chatModel].filter((info) => info?.isDemo === true)) {
            this.showModelNotice(
                "demo",
                demo?.path ?? "",
                "Hearth is running a generated demo model with random weights: its output is random text until you choose a real model.",
                ["selectModel"],
            );
        }
    }

    private showProblem(key: string, message: string, actions: readonly EngineAction[], error?: EngineErrorData): void {
        this.closeProblem();
        this.lastProblemKey = key;
        this.problem = this.open(key, message, actions, error, (closed) => {
            if (this.problem?.close === closed.close) this.problem = undefined;
        });
    }

    /**
     * Shows a notice per server problem of the load, keeps those that last (or stay dismissed), and closes
     * those that are gone. Undefined: no load is in effect, so every one closes.
     */
    private updateServerNotices(problems: LoadModelResult["serverProblems"]): void {
        const current = new Map<string, EngineErrorData>();
        for (const { role, error } of problems ?? []) {
            const key = `${error.kind}|${error.server?.url ?? role}`;
            const other = current.get(key);
            // One server for both roles: one notice, about both (no role).
            const server = error.server === undefined ? undefined : other === undefined ? { ...error.server, role } : { ...error.server, role: undefined };
            current.set(key, server === undefined ? error : { ...error, server });
        }
        for (const [key, notice] of [...this.serverNotices]) {
            if (current.has(key)) continue;
            this.serverNotices.delete(key);
            notice?.close();
        }
        for (const [key, error] of current) {
            if (this.serverNotices.has(key)) continue;
            const problem = describeEngineError(error);
            this.serverNotices.set(
                key,
                this.open(`server:${key}`, problem.message, problem.actions, error, (closed) => {
                    if (this.serverNotices.get(key)?.close === closed.close) this.serverNotices.set(key, undefined);
                }),
            );
        }
    }

    /** Shows a notice about a loaded model, once a session. */
    private showModelNotice(about: ModelNotice["about"], path: string, message: string, actions: readonly EngineAction[], error?: EngineErrorData): void {
        const key = `${about}:${path}`;
        if (this.warned.has(key)) return;
        this.warned.add(key);
        const notice: ModelNotice = {
            about,
            path,
            ...this.open(key, message, actions, error, (closed) => {
                const index = this.modelNotices.findIndex((candidate) => candidate.close === closed.close);
                if (index >= 0) this.modelNotices.splice(index, 1);
            }),
        };
        this.modelNotices.push(notice);
    }

    /** Shows a notice; `onClosed` runs when it closes, whether Hearth or the user closed it. */
    private open(
        key: string,
        message: string,
        actions: readonly EngineAction[],
        error: EngineErrorData | undefined,
        onClosed: (notice: OpenNotice) => void,
    ): OpenNotice {
        this.shown.push(message);
        const links = actions.map((action) => ({ label: actionLabel(action, error), ...this.commandFor(action, error) }));
        const notice: OpenNotice = { key, message, close: showNotice(message, links, () => onClosed(notice)) };
        return notice;
    }

    private closeProblem(): void {
        this.problem?.close();
        this.problem = undefined;
    }

    private closeModelNotices(): void {
        for (const notice of this.modelNotices.splice(0)) notice.close();
    }
}

/** What a model notice is about: a file, or a server's model (its URL and name). */
function identity(model: ModelInfo): string {
    return model.server !== undefined ? `${model.path} ${model.name}` : model.path;
}

interface NoticeLink {
    readonly label: string;
    readonly command: string;
    readonly args?: readonly unknown[];
}

/**
 * Shows `message` with its actions as command links until the returned function is called or the
 * user dismisses it; `onClosed` runs once either way.
 */
function showNotice(message: string, links: readonly NoticeLink[], onClosed: () => void): () => void {
    let close = (): void => undefined;
    const closed = new Promise<void>((resolve) => (close = resolve));
    const text = [inert(message), links.map(commandLink).join(" · ")].filter((part) => part !== "").join(" ");
    void vscode.window
        .withProgress(
            // The workbench shows a string `cancellable` as the button's label; an older one shows "Cancel".
            { location: vscode.ProgressLocation.Notification, cancellable: "Dismiss" as unknown as boolean },
            (progress, token) => {
                // A finished bar rather than an endless one: nothing is in progress, the notice waits for the user.
                progress.report({ message: text, increment: 100 });
                token.onCancellationRequested(() => close());
                return closed;
            },
        )
        .then(onClosed);
    return close;
}

/** `[label](command:id?args)`: a link VS Code renders in a notification and runs when clicked. */
function commandLink(link: NoticeLink): string {
    const query = link.args !== undefined && link.args.length > 0 ? `?${encodeURIComponent(JSON.stringify(link.args))}` : "";
    return `[${link.label.replace(/[[\]]/g, "")}](command:${link.command}${query})`;
}

/**
 * Text from outside (paths, model names, error details) must not become a link: a crafted file
 * name could otherwise put a command link in Hearth's message. Links need `](`; break it.
 */
function inert(text: string): string {
    return text.replace(/\]\(/g, "] (");
}
