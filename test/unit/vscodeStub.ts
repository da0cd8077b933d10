/**
 * A stand-in for the `vscode` module, so that unit tests run the extension's own code (Config, the
 * model resolver, API keys, the notifier) outside VS Code. Import it before the code under test: from
 * then on `require("vscode")` gives this module. It holds what a test sets (settings, the user's
 * answers to input boxes and quick picks) and records what the code showed (messages, notices).
 * Only what that code uses is here; anything else is undefined, and a test that needs it fails loudly.
 */
import Module from "node:module";
import { join } from "node:path";
import type * as vscode from "vscode";

/** A notice shown as a progress notification (how the notifier shows notices). */
interface ShownNotice {
    /** The text it shows, command links included. */
    message: string;
    /** False once Hearth or the user closed it. */
    open: boolean;
    /** The user clicks its Dismiss button. */
    dismiss(): void;
}

/** What the user answers an input box (text, or undefined to cancel) or a quick pick (the item picked). */
type Answer = string | undefined | ((items: readonly vscode.QuickPickItem[]) => vscode.QuickPickItem | undefined);

export const vscodeStub = {
    /** Settings by full key ("hearth.completions.engine"): what settings.json holds. */
    settings: new Map<string, unknown>(),
    /** The answers the next input boxes and quick picks get, in order. */
    answers: [] as Answer[],
    inputBoxes: [] as vscode.InputBoxOptions[],
    quickPicks: [] as { readonly items: readonly vscode.QuickPickItem[]; readonly options: vscode.QuickPickOptions | undefined }[],
    /** Information, warning and error messages shown. */
    messages: [] as string[],
    notices: [] as ShownNotice[],

    reset(): void {
        this.settings.clear();
        this.answers.length = 0;
        this.inputBoxes.length = 0;
        this.quickPicks.length = 0;
        this.messages.length = 0;
        this.notices.length = 0;
    },
};

function nextAnswer(items: readonly vscode.QuickPickItem[] = []): vscode.QuickPickItem | string | undefined {
    if (vscodeStub.answers.length === 0) throw new Error("vscodeStub: the code asked the user something the test did not answer");
    const answer = vscodeStub.answers.shift();
    return typeof answer === "function" ? answer(items) : answer;
}

function showMessage(message: string): Promise<undefined> {
    vscodeStub.messages.push(message);
    return Promise.resolve(undefined);
}

const fake = {
    workspace: {
        workspaceFolders: undefined,
        getConfiguration: (section: string) => ({
            get: (key: string): unknown => vscodeStub.settings.get(`${section}.${key}`),
            update: (key: string, value: unknown): Promise<void> => {
                vscodeStub.settings.set(`${section}.${key}`, value);
                return Promise.resolve();
            },
            inspect: (key: string) => ({ key: `${section}.${key}`, globalValue: vscodeStub.settings.get(`${section}.${key}`) }),
        }),
    },
    window: {
        showInputBox: (options: vscode.InputBoxOptions): Promise<unknown> => {
            vscodeStub.inputBoxes.push(options);
            return Promise.resolve(nextAnswer());
        },
        showQuickPick: async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>, options?: vscode.QuickPickOptions) => {
            const resolved = await items;
            vscodeStub.quickPicks.push({ items: resolved, options });
            return nextAnswer(resolved);
        },
        showInformationMessage: showMessage,
        showWarningMessage: showMessage,
        showErrorMessage: showMessage,
        withProgress: <R>(
            _options: vscode.ProgressOptions,
            task: (progress: vscode.Progress<{ message?: string }>, token: vscode.CancellationToken) => Thenable<R>,
        ): Promise<R> => {
            let cancel = (): void => undefined;
            const token = {
                isCancellationRequested: false,
                onCancellationRequested: (listener: () => void) => {
                    cancel = listener;
                    return { dispose: () => undefined };
                },
            };
            const notice: ShownNotice = {
                message: "",
                open: true,
                dismiss: () => {
                    token.isCancellationRequested = true;
                    cancel();
                },
            };
            vscodeStub.notices.push(notice);
            const progress = { report: ({ message }: { message?: string }) => (notice.message = message ?? notice.message) };
            return Promise.resolve(task(progress, token as unknown as vscode.CancellationToken)).then((result) => {
                notice.open = false;
                return result;
            });
        },
    },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
};

// `require("vscode")` resolves to this module from now on.
const stubFile = join(__dirname, "vscode.stub.js");
const loader = Module as unknown as { _resolveFilename: (this: unknown, request: string, ...rest: unknown[]) => string };
const resolveFilename = loader._resolveFilename;
loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === "vscode" ? stubFile : resolveFilename.call(this, request, ...rest);
};
const stubModule = new Module(stubFile);
stubModule.filename = stubFile;
stubModule.loaded = true;
stubModule.exports = fake;
require.cache[stubFile] = stubModule;

/** Lets promise callbacks run (a notice closes when its promise settles). */
export function settle(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}
