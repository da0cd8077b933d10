import type * as vscode from "vscode";
import type { EngineClient } from "../engine/engineClient";
import type { Config } from "../settings/config";
import type { Log } from "./log";

/**
 * What every feature is given: the extension's context, the log, the settings and the engine.
 * `Hearth` (hearth.ts) creates them once; each feature folder's `*Feature.ts` wires its own parts
 * from them and owns what it creates.
 */
export interface HearthServices {
    readonly context: vscode.ExtensionContext;
    readonly log: Log;
    readonly config: Config;
    readonly engine: EngineClient;
}

/** Releases everything in `disposables`, newest first (what a feature created last may use what it created first). */
export function disposeAll(disposables: vscode.Disposable[]): void {
    for (const disposable of disposables.splice(0).reverse()) disposable.dispose();
}
