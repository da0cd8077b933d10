import * as vscode from "vscode";
import { acceptedCommand, type InlineCompletionProvider } from "./completion/inlineCompletionProvider";
import type { Config } from "./config";
import type { EngineClient } from "./engine/engineClient";
import type { EngineAction } from "./engine/errorMessages";
import type { Log } from "./log";

export interface CommandDeps {
    readonly config: Config;
    readonly engine: EngineClient;
    readonly log: Log;
    readonly completions: InlineCompletionProvider;
}

/** Command ids, as declared in package.json. */
export const commandIds: Readonly<Record<EngineAction | "showMenu", string>> = {
    restartEngine: "hearth.restartEngine",
    showLog: "hearth.showLog",
    openSettings: "hearth.openSettings",
    chooseModelFile: "hearth.chooseModelFile",
    showMenu: "hearth.showMenu",
};

export function registerCommands({ config, engine, log, completions }: CommandDeps): vscode.Disposable[] {
    const restart = async (): Promise<void> => {
        log.info("Restarting the engine (requested).");
        await engine.start(config.engineSettings);
    };
    const chooseModelFile = async (): Promise<void> => {
        const picked = await vscode.window.showOpenDialog({
            canSelectMany: false,
            openLabel: "Use This Model",
            title: "Choose a GGUF model file for Hearth",
            filters: { "GGUF models": ["gguf"], "All files": ["*"] },
        });
        if (picked?.[0] !== undefined) await config.setModelPath(picked[0].fsPath);
    };
    const toggleCompletions = (): Thenable<void> => config.setCompletionsEnabled(!config.completionsEnabled);
    const toggleForLanguage = async (): Promise<void> => {
        const languageId = vscode.window.activeTextEditor?.document.languageId;
        if (languageId === undefined) {
            void vscode.window.showInformationMessage("Hearth: open a file first, then toggle completions for its language.");
            return;
        }
        await config.setLanguageDisabled(languageId, !config.disabledLanguages.includes(languageId));
    };
    const showMenu = async (): Promise<void> => {
        const languageId = vscode.window.activeTextEditor?.document.languageId;
        const items: (vscode.QuickPickItem & { run: () => Thenable<unknown> })[] = [
            { label: config.completionsEnabled ? "$(circle-slash) Disable Completions" : "$(check) Enable Completions", run: toggleCompletions },
            ...(languageId !== undefined && config.completionsEnabled
                ? [
                      {
                          label: config.disabledLanguages.includes(languageId) ? `$(check) Enable Completions for ${languageId}` : `$(circle-slash) Disable Completions for ${languageId}`,
                          run: toggleForLanguage,
                      },
                  ]
                : []),
            { label: "$(comment-discussion) Open Chat", run: () => vscode.commands.executeCommand("hearth.openChat") },
            { label: "$(debug-restart) Restart Engine", run: restart },
            { label: "$(output) Show Log", run: () => Promise.resolve(log.show()) },
            { label: "$(settings-gear) Open Hearth Settings", run: () => vscode.commands.executeCommand(commandIds.openSettings) },
            { label: "$(file-binary) Choose Model File…", run: chooseModelFile },
        ];
        const picked = await vscode.window.showQuickPick(items, { title: "Hearth", placeHolder: "Choose an action" });
        await picked?.run();
    };
    return [
        vscode.commands.registerCommand(commandIds.restartEngine, restart),
        vscode.commands.registerCommand(commandIds.showLog, () => log.show()),
        vscode.commands.registerCommand(commandIds.openSettings, () => vscode.commands.executeCommand("workbench.action.openSettings", "@ext:hearth-dev.hearth")),
        vscode.commands.registerCommand(commandIds.chooseModelFile, chooseModelFile),
        vscode.commands.registerCommand(commandIds.showMenu, showMenu),
        vscode.commands.registerCommand("hearth.toggleCompletions", toggleCompletions),
        vscode.commands.registerCommand("hearth.toggleCompletionsForLanguage", toggleForLanguage),
        vscode.commands.registerCommand(acceptedCommand, () => {
            const editor = vscode.window.activeTextEditor;
            if (editor !== undefined) completions.prefetch(editor);
        }),
    ];
}
