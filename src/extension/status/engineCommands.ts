import * as vscode from "vscode";
import type { Config } from "../settings/config";
import type { EngineClient } from "../engine/engineClient";
import { settingsOfFilter, settingsQuery, type EngineAction } from "../engine/errorMessages";
import type { EngineSettings } from "../engine/engineState";
import type { Log } from "../core/log";

interface CommandDeps {
    readonly config: Config;
    readonly engine: EngineClient;
    readonly log: Log;
    /** The engine settings with the model settings resolved to files. */
    readonly engineSettings: () => Promise<EngineSettings>;
    /** Loads again with the current settings (servers are asked afresh); the process keeps running. */
    readonly reload: () => Promise<void>;
}

const extensionId = "hearth-dev.hearth";

/**
 * Opens Hearth's settings, narrowed to `filter` (e.g. "model"), in the tab where they live: the
 * workspace's when it sets them; in a remote window (code-server, SSH, WSL, a container) the remote
 * side's, since Hearth runs there and its model settings are machine-scoped (the User tab does not
 * show them); else the user's.
 */
function openSettings(filter?: unknown): Thenable<unknown> {
    // From a command link, so anything may arrive: only a few plain words narrow the list.
    const words = typeof filter === "string" && /^[\w. -]{1,40}$/.test(filter) ? filter : undefined;
    const query = settingsQuery(extensionId, words);
    const config = vscode.workspace.getConfiguration("hearth");
    const fromWorkspace = (settingsOfFilter[words ?? ""] ?? []).some((key) => {
        const where = config.inspect(key);
        return where?.workspaceValue !== undefined || where?.workspaceFolderValue !== undefined;
    });
    if (fromWorkspace) return vscode.commands.executeCommand("workbench.action.openWorkspaceSettings", { query });
    return vscode.env.remoteName !== undefined
        ? vscode.commands.executeCommand("workbench.action.openRemoteSettings", { query })
        : vscode.commands.executeCommand("workbench.action.openSettings", query);
}

/** The command that carries out an engine action (each is declared in package.json). */
export function commandFor(action: EngineAction): string {
    return `hearth.${action}`;
}

export function registerEngineCommands({ config, engine, log, engineSettings, reload }: CommandDeps): vscode.Disposable[] {
    const restart = async (): Promise<void> => {
        log.info("Restarting the engine (requested).");
        await engine.start(await engineSettings());
    };
    const toggleCompletions = (): Thenable<unknown> => vscode.commands.executeCommand("hearth.toggleCompletions");
    const toggleForLanguage = (): Thenable<unknown> => vscode.commands.executeCommand("hearth.toggleCompletionsForLanguage");
    const showMenu = async (): Promise<void> => {
        const languageId = vscode.window.activeTextEditor?.document.languageId;
        const items: (vscode.QuickPickItem & { run: () => Thenable<unknown> })[] = [
            { label: config.completionsEnabled ? "$(circle-slash) Disable Completions" : "$(check) Enable Completions", run: toggleCompletions },
            ...(languageId !== undefined && config.completionsEnabled
                ? [
                      {
                          label: config.disabledLanguages.includes(languageId)
                              ? `$(check) Enable Completions for ${languageId}`
                              : `$(circle-slash) Disable Completions for ${languageId}`,
                          run: toggleForLanguage,
                      },
                  ]
                : []),
            { label: "$(comment-discussion) Open Chat", run: () => vscode.commands.executeCommand("hearth.openChat") },
            { label: "$(debug-restart) Restart Engine", run: restart },
            { label: "$(output) Show Log", run: () => Promise.resolve(log.show()) },
            { label: "$(settings-gear) Open Hearth Settings", run: () => vscode.commands.executeCommand(commandFor("openSettings")) },
            { label: "$(file-binary) Choose Model…", run: () => vscode.commands.executeCommand("hearth.selectModel") },
            { label: "$(database) Manage Models…", run: () => vscode.commands.executeCommand("hearth.manageModels") },
            ...((["completion", "chat"] as const).some((role) => config.serverFor(role) !== undefined)
                ? [{ label: "$(key) Set API Key…", run: () => vscode.commands.executeCommand(commandFor("setApiKey")) }]
                : []),
        ];
        const picked = await vscode.window.showQuickPick(items, { title: "Hearth", placeHolder: "Choose an action" });
        await picked?.run();
    };
    return [
        vscode.commands.registerCommand(commandFor("restartEngine"), restart),
        vscode.commands.registerCommand(commandFor("reloadEngine"), () => {
            log.info("Loading the engine again (requested).");
            return reload();
        }),
        vscode.commands.registerCommand(commandFor("showLog"), () => log.show()),
        vscode.commands.registerCommand(commandFor("openSettings"), (filter?: unknown) => openSettings(filter)),
        vscode.commands.registerCommand("hearth.showMenu", showMenu),
    ];
}
