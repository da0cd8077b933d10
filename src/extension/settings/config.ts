import { homedir } from "node:os";
import { isAbsolute, resolve } from "node:path";
import * as vscode from "vscode";
import type { CompletionBudget, PromptLayout } from "../../protocol/completionProtocol";
import type { EngineErrorData, EngineRole, GpuSetting, ServerKind } from "../../protocol/engineProtocol";
import type { EngineSettings } from "../engine/engineState";
import { defaultServerUrls, roleWord } from "../engine/serverEngines";
import { boundsOf, choicesOf, defaultNumber, defaultString } from "./settingDefaults";

const section = "hearth";

/** Which setting a chosen model goes into. */
export type ModelRoleChoice = "completion" | "chat" | "both";
/** Settings whose change needs the engine to reload (or, for `gpu`, restart). */
const engineKeys = [
    "completions.model",
    "chat.model",
    "gpu",
    "threads",
    "contextSize",
    "models.huggingFaceEndpoint",
    "completions.engine",
    "completions.serverUrl",
    "completions.serverModel",
    "chat.engine",
    "chat.serverUrl",
    "chat.serverModel",
] as const;
const gpuValues = choicesOf<GpuSetting>("gpu");
/** `hearth.completions.engine` and `hearth.chat.engine` declare the same choices. */
const engineChoices = choicesOf<"local" | ServerKind>("completions.engine");

/** A role's server engine as the settings name it (its API key is in SecretStorage, never in the settings). */
export interface ServerSetting {
    readonly kind: ServerKind;
    /** An http(s) URL without a trailing slash: the setting, or the kind's usual local address when the setting is empty. */
    readonly url: string;
    /** The model to ask for; "" lets llama.cpp's server use its own. */
    readonly model: string;
}

/**
 * The only reader of Hearth's settings. Defaults and bounds live in package.json (VS Code applies
 * the defaults, and `settingDefaults` reads them for the fallbacks here); this class validates what
 * users typed (settings.json accepts anything) and turns it into typed values.
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
        return /^https?:\/\/[^\s]+$/.test(value) ? value.replace(/\/+$/, "") : defaultString("models.huggingFaceEndpoint");
    }

    get gpu(): GpuSetting {
        const value = this.settings.get<string>("gpu");
        return gpuValues.find((gpu) => gpu === value) ?? (defaultString("gpu") as GpuSetting);
    }

    get threads(): number | "auto" {
        const value = this.settings.get<unknown>("threads");
        const count = typeof value === "string" ? Number(value) : value;
        return typeof count === "number" && Number.isInteger(count) && count >= 1 ? count : "auto";
    }

    get contextSize(): number {
        return this.integer("contextSize");
    }

    /** Backend, threads and context: the engine settings that need no model resolution. */
    get runtimeSettings(): Omit<EngineSettings, "modelPath" | "chatModelPath" | "unavailable"> {
        return { gpu: this.gpu, threads: this.threads, contextSize: this.contextSize };
    }

    /**
     * The server engine that serves `role`, undefined when the local engine does. A URL Hearth cannot use
     * gives the error to show instead (the load reports it: the user fixes the setting).
     */
    serverFor(role: EngineRole): ServerSetting | { readonly error: EngineErrorData } | undefined {
        const section = roleWord(role);
        const value = this.settings.get<unknown>(`${section}.engine`);
        const kind = engineChoices.find((choice) => choice === value) ?? (defaultString(`${section}.engine`) as "local" | ServerKind);
        if (kind === "local") return undefined;
        const model = this.settings.get<unknown>(`${section}.serverModel`);
        const raw = this.settings.get<unknown>(`${section}.serverUrl`);
        const written = typeof raw === "string" ? raw.trim() : "";
        const url = serverUrl(written === "" ? defaultServerUrls[kind] : written);
        if ("problem" in url) {
            return {
                error: {
                    kind: "serverUnreachable",
                    detail: `"hearth.${section}.serverUrl" ${url.problem}. Set it to the server's address, such as ${defaultServerUrls[kind]}.`,
                    server: { kind, url: "", role },
                },
            };
        }
        return { kind, url: url.url, model: typeof model === "string" ? model.trim() : "" };
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
        const value = this.settings.get<string>("completions.promptLayout");
        return (
            choicesOf<PromptLayout>("completions.promptLayout").find((layout) => layout === value) ??
            (defaultString("completions.promptLayout") as PromptLayout)
        );
    }

    /**
     * A request's budget, as the settings give it: a block's. A single line stops at its line break and
     * at 48 tokens (the sidecar's rule) unless it turns out to start a block, which then has this budget.
     */
    get completionBudget(): CompletionBudget {
        return {
            maxLines: this.integer("completions.maxLines"),
            maxTokens: this.integer("completions.maxTokens"),
            maxMs: this.integer("completions.timeBudgetMs"),
        };
    }

    get chatSystemPrompt(): string {
        return this.settings.get<string>("chat.systemPrompt") ?? defaultString("chat.systemPrompt");
    }

    get chatMaxTokens(): number {
        return this.integer("chat.maxTokens");
    }

    get chatTemperature(): number {
        const value = this.settings.get<number>("chat.temperature");
        const { minimum, maximum } = boundsOf("chat.temperature");
        return typeof value === "number" && value >= minimum && value <= maximum ? value : defaultNumber("chat.temperature");
    }

    /** An integer setting: at least its declared minimum, else its default (settings.json may hold anything). */
    private integer(key: string): number {
        const value = this.settings.get<unknown>(key);
        return typeof value === "number" && Number.isFinite(value) && value >= boundsOf(key).minimum ? Math.floor(value) : defaultNumber(key);
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

/** A server's base URL as Hearth sends to it (no trailing slash), or what is wrong with what the setting holds. */
function serverUrl(raw: string): { readonly url: string } | { readonly problem: string } {
    const shown = JSON.stringify(raw.length > 100 ? `${raw.slice(0, 99)}…` : raw);
    let parsed: URL;
    try {
        parsed = new URL(raw);
    } catch {
        return { problem: `is not an http(s) URL: ${shown}` };
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return { problem: `is not an http(s) URL: ${shown}` };
    // Neither is echoed: what is in them may be a password or a token.
    if (parsed.username !== "" || parsed.password !== "")
        return { problem: `has a user name or password in it: remove them, and give the key with "Hearth: Set API Key…" instead` };
    if (parsed.search !== "" || parsed.hash !== "") return { problem: "has a query or fragment (after ? or #): give the server's base URL only" };
    return { url: `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}` };
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
