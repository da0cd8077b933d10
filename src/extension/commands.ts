import * as vscode from "vscode";
import type { Config } from "./config";
import type { EngineClient } from "./engine/engineClient";
import type { EngineAction } from "./engine/errorMessages";
import type { Log } from "./log";

export interface CommandDeps {
    readonly config: Config;
    readonly engine: EngineClient;
    readonly log: Log;
}

/** Command ids, as declared in package.json. */
export const commandIds: Readonly<Record<EngineAction | "showMenu", string>> = {
    restartEngine: "hearth.restartEngine",
    showLog: "hearth.showLog",
    openSettings: "hearth.openSettings",
    chooseModelFile: "hearth.chooseModelFile",
    showMenu: "hearth.showMenu",
};

export function registerCommands({ config, engine, log }: CommandDeps): vscode.Disposable[] {
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
    const showMenu = async (): Promise<void> => {
        const items: (vscode.QuickPickItem & { run: () => Thenable<unknown> })[] = [
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
    ];
}
