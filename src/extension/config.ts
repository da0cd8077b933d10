import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import * as vscode from "vscode";
import type { PromptLayout } from "../protocol/completionProtocol";
import type { GpuSetting } from "../protocol/engineProtocol";
import type { BudgetSettings } from "./completion/completionSite";
import type { EngineSettings } from "./engine/engineState";

const section = "hearth";

/** Which setting a chosen model goes into. */
export type ModelRoleChoice = "completion" | "chat" | "both";
/** Settings whose change needs the engine to reload (or, for `gpu`, restart). */
const engineKeys = ["completions.model", "chat.model", "gpu", "threads", "contextSize", "models.huggingFaceEndpoint"] as const;
const gpuValues: readonly GpuSetting[] = ["auto", "metal", "cuda", "vulkan", "cpu"];

/**
 * The only reader of Hearth's settings. Defaults live in package.json; this class
 * validates what users typed and turns it into typed values.
 */
export class Config {
    private get settings(): vscode.WorkspaceConfiguration {
        return vscode.workspace.getConfiguration(section);
    }

    /** The completion model as the user wrote it: a file path or an `hf:` reference; "" when unset. */
    get completionModel(): string {
        return (this.settings.get<string>("completions.model") ?? "").trim();
    }

    /** The chat model as the user wrote it; "" means the completion model serves chat too. */
    get chatModel(): string {
        return (this.settings.get<string>("chat.model") ?? "").trim();
    }

    /** Where `hf:` references are resolved and downloaded from (a mirror, or Hugging Face itself). */
    get huggingFaceEndpoint(): string {
        const value = (this.settings.get<string>("models.huggingFaceEndpoint") ?? "").trim();
        return /^https?:\/\/[^\s]+$/.test(value) ? value.replace(/\/+$/, "") : "https://huggingface.co";
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

    /** Backend, threads and context: the engine settings that need no model resolution. */
    get runtimeSettings(): Omit<EngineSettings, "modelPath" | "chatModelPath" | "unavailable"> {
        return { gpu: this.gpu, threads: this.threads, contextSize: this.contextSize };
    }

    get completionsEnabled(): boolean {
        return this.settings.get<boolean>("completions.enabled") !== false;
    }

    get disabledLanguages(): readonly string[] {
        const value = this.settings.get<unknown>("completions.disabledLanguages");
        return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
    }

    completionsEnabledFor(languageId: string): boolean {
        return this.completionsEnabled && !this.disabledLanguages.includes(languageId);
    }

    get promptLayout(): PromptLayout {
        return this.settings.get<string>("completions.promptLayout") === "spm" ? "spm" : "psm";
    }

    get completionBudget(): BudgetSettings {
        const integer = (key: string, fallback: number, min: number): number => {
            const value = this.settings.get<number>(key);
            return typeof value === "number" && Number.isFinite(value) && value >= min ? Math.floor(value) : fallback;
        };
        return { maxLines: integer("completions.maxLines", 8, 1), maxTokens: integer("completions.maxTokens", 128, 8), maxMs: integer("completions.timeBudgetMs", 2000, 100) };
    }

    get chatSystemPrompt(): string {
        return this.settings.get<string>("chat.systemPrompt") ?? "";
    }

    get chatMaxTokens(): number {
        const value = this.settings.get<number>("chat.maxTokens");
        return typeof value === "number" && value >= 16 ? Math.floor(value) : 1024;
    }

    get chatTemperature(): number {
        const value = this.settings.get<number>("chat.temperature");
        return typeof value === "number" && value >= 0 && value <= 2 ? value : 0.3;
    }

    async setCompletionsEnabled(enabled: boolean): Promise<void> {
        await this.settings.update("completions.enabled", enabled, vscode.ConfigurationTarget.Global);
    }

    async setLanguageDisabled(languageId: string, disabled: boolean): Promise<void> {
        const others = this.disabledLanguages.filter((id) => id !== languageId);
        await this.settings.update("completions.disabledLanguages", disabled ? [...others, languageId] : others, vscode.ConfigurationTarget.Global);
    }

    affectsEngine(event: vscode.ConfigurationChangeEvent): boolean {
        return engineKeys.some((key) => event.affectsConfiguration(`${section}.${key}`));
    }

    /** Sets the model for completions, chat, or both (a path or an `hf:` reference). */
    async setModel(role: ModelRoleChoice, reference: string): Promise<void> {
        if (role !== "chat") await this.settings.update("completions.model", reference, vscode.ConfigurationTarget.Global);
        // "both" clears the chat setting: an empty chat model means "the completion model".
        if (role !== "completion") await this.settings.update("chat.model", role === "both" ? "" : reference, vscode.ConfigurationTarget.Global);
    }

    async setContextSize(tokens: number): Promise<void> {
        await this.settings.update("contextSize", tokens, vscode.ConfigurationTarget.Global);
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
