import * as vscode from "vscode";
import type { Config } from "../settings/config";
import { acceptedCommand, type InlineCompletionProvider } from "./inlineCompletionProvider";

const toggleCompletionsCommand = "hearth.toggleCompletions";
const toggleForLanguageCommand = "hearth.toggleCompletionsForLanguage";

/** Turning completions on and off (everywhere, or for the active file's language), and what follows an accepted suggestion. */
export function registerCompletionCommands(config: Config, completions: InlineCompletionProvider): vscode.Disposable[] {
    return [
        vscode.commands.registerCommand(toggleCompletionsCommand, () => config.setCompletionsEnabled(!config.completionsEnabled)),
        vscode.commands.registerCommand(toggleForLanguageCommand, async () => {
            const languageId = vscode.window.activeTextEditor?.document.languageId;
            if (languageId === undefined) {
                void vscode.window.showInformationMessage("Hearth: open a file first, then toggle completions for its language.");
                return;
            }
            await config.setLanguageDisabled(languageId, !config.disabledLanguages.includes(languageId));
        }),
        vscode.commands.registerCommand(acceptedCommand, () => {
            const editor = vscode.window.activeTextEditor;
            if (editor !== undefined) completions.prefetch(editor);
        }),
    ];
}
