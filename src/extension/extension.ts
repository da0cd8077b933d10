import type * as vscode from "vscode";
import type { HearthApi } from "./api";
import { Hearth } from "./hearth";

let hearth: Hearth | undefined;

export function activate(context: vscode.ExtensionContext): HearthApi {
    hearth = new Hearth(context);
    context.subscriptions.push(hearth);
    hearth.start();
    return hearth.api;
}

export async function deactivate(): Promise<void> {
    await hearth?.shutdown();
    hearth = undefined;
}
