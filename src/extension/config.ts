import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import * as vscode from "vscode";
import type { GpuSetting } from "../protocol/engineProtocol";
import type { EngineSettings } from "./engine/engineState";

const section = "hearth";
/** Settings whose change needs the engine to reload (or, for `gpu`, restart). */
const engineKeys = ["model", "gpu", "threads", "contextSize"] as const;
const gpuValues: readonly GpuSetting[] = ["auto", "metal", "cuda", "vulkan", "cpu"];

/**
 * The only reader of Hearth's settings. Defaults live in package.json; this class
 * validates what users typed and turns it into typed values.
 */
export class Config {
    private get settings(): vscode.WorkspaceConfiguration {
        return vscode.workspace.getConfiguration(section);
    }

    /** The configured model file as an absolute path, or "" when none is set. */
    get modelPath(): string {
        const raw = (this.settings.get<string>("model") ?? "").trim();
        return raw === "" ? "" : expandPath(raw);
    }

    get gpu(): GpuSetting {
        const value = this.settings.get<string>("gpu");
        return gpuValues.find((gpu) => gpu === value) ?? "auto";
    }

    get threads(): number | "auto" {
        const value = this.settings.get<unknown>("threads");
        const count = typeof value === "string" ? Number(value) : value;
        return typeof count === "number" && Number.isInteger(count) && count >= 1 ? count : "auto";
    }

    get contextSize(): number {
        const value = this.settings.get<number>("contextSize");
        return typeof value === "number" && value >= 256 ? Math.floor(value) : 4096;
    }

    get engineSettings(): EngineSettings {
        return { modelPath: this.modelPath, gpu: this.gpu, threads: this.threads, contextSize: this.contextSize };
    }

    affectsEngine(event: vscode.ConfigurationChangeEvent): boolean {
        return engineKeys.some((key) => event.affectsConfiguration(`${section}.${key}`));
    }

    async setModelPath(path: string): Promise<void> {
        await this.settings.update("model", path, vscode.ConfigurationTarget.Global);
    }
}

/** `~`, `${userHome}` and `${workspaceFolder}` expand; relative paths are taken from the first workspace folder. */
export function expandPath(raw: string): string {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    let path = raw
        .replace(/^~(?=$|[\\/])/, homedir())
        .replace(/\$\{userHome\}/g, homedir())
        .replace(/\$\{workspaceFolder\}/g, workspace ?? "");
    if (!isAbsolute(path) && workspace !== undefined) path = resolve(workspace, path);
    return path;
}
