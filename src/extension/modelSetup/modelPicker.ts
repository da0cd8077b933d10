import { stat } from "node:fs/promises";
import { basename } from "node:path";
import * as vscode from "vscode";
import type { Config, ModelRoleChoice } from "../settings/config";
import { estimatePresetMemory, modelPresets, presetByReference, type ModelPreset } from "../models/modelCatalog";
import { canonicalReference, isHuggingFaceReference, parseModelReference, ModelReferenceError } from "../models/modelReference";
import type { ModelStore } from "../models/modelStore";
import type { ModelDownloads } from "./modelDownloads";
import { machineMemory, recommendationFor } from "./recommendation";
import type { ModelResolver } from "./modelResolver";
import { formatBytes } from "../../common/units";
import { engineSequences, type EngineRole } from "../../protocol/engineProtocol";
import { serverSettingsFilter } from "../engine/errorMessages";
import { roleWord, serverKindName } from "../engine/serverEngines";

/** Arguments of `hearth.selectModel` (from the walkthrough, other extensions and tests): no picker is shown. */
export interface SelectModelArgs {
    readonly reference?: string;
    readonly role?: ModelRoleChoice;
}

interface Choice extends vscode.QuickPickItem {
    /** What to do when picked: a reference (path or hf:) and the role it suggests, or nothing (cancelled). */
    readonly pick?: () => Promise<{ readonly reference: string; readonly role?: ModelRoleChoice; readonly label?: string } | undefined>;
}

const recentFilesKey = "hearth.recentModelFiles";

/**
 * Hearth: Choose Model…: models already on disk, presets to download, a Hugging Face
 * reference, or a local file. The choice is written to the completion and/or chat model
 * setting, after its download finishes; the engine reloads from the setting change.
 */
export class ModelPicker {
    constructor(
        private readonly config: Config,
        private readonly store: ModelStore,
        private readonly downloads: ModelDownloads,
        private readonly resolver: ModelResolver,
        private readonly globalState: vscode.Memento,
    ) {}

    async select(fixedRole?: ModelRoleChoice, args?: SelectModelArgs): Promise<boolean> {
        const role = args?.role ?? fixedRole;
        if (args?.reference !== undefined) return this.apply(args.reference, role, undefined);
        const picked = await vscode.window.showQuickPick(this.choices(role), {
            title: role === "completion" ? "Hearth: Select the Completion Model" : role === "chat" ? "Hearth: Select the Chat Model" : "Hearth: Choose Model",
            placeHolder: "A model on this computer, one to download, a Hugging Face reference, or a GGUF file",
            matchOnDescription: true,
            matchOnDetail: true,
        });
        const chosen = await picked?.pick?.();
        if (chosen === undefined) return false;
        return this.apply(chosen.reference, role ?? chosen.role, chosen.label);
    }

    /** Downloads the model when it is a reference, asks which role when nothing says, then writes the setting. */
    private async apply(reference: string, role: ModelRoleChoice | undefined, label: string | undefined): Promise<boolean> {
        let canonical: string;
        try {
            canonical = canonicalReference(reference);
        } catch (error) {
            void vscode.window.showErrorMessage(`Hearth: ${error instanceof ModelReferenceError ? error.message : String(error)}`);
            return false;
        }
        const chosenRole = role ?? (await askRole(label ?? canonical));
        if (chosenRole === undefined) return false;
        if (isHuggingFaceReference(canonical)) {
            const path = await this.downloads.download(canonical, label);
            if (path === undefined) return false;
        } else {
            await this.rememberFile(canonical);
        }
        await this.config.setModel(chosenRole, canonical);
        return true;
    }

    private async choices(role: ModelRoleChoice | undefined): Promise<Choice[]> {
        const { completion, chat } = this.resolver.references;
        const onDisk: Choice[] = [];
        const seen = new Set<string>();
        for (const model of await this.store.list()) {
            const reference = model.uri ?? model.path;
            seen.add(reference);
            seen.add(model.path);
            const inUse = this.resolver.inUseNote(reference);
            onDisk.push({
                label: `${inUse !== "" ? "$(check) " : ""}${presetByReference(reference)?.label ?? model.fileName}`,
                description: `${formatBytes(model.sizeBytes)} on disk${inUse}`,
                detail: model.uri ?? model.path,
                pick: () => Promise.resolve({ reference, label: model.fileName }),
            });
        }
        for (const file of [completion, chat, ...this.recentFiles()]) {
            if (file === "" || seen.has(file) || isHuggingFaceReference(file)) continue;
            seen.add(file);
            const size = await fileSize(file);
            if (size === undefined) continue;
            const inUse = this.resolver.inUseNote(file);
            onDisk.push({
                label: `${inUse !== "" ? "$(check) " : ""}${basename(file)}`,
                description: `${formatBytes(size)}${inUse}`,
                detail: file,
                pick: () => Promise.resolve({ reference: file, label: basename(file) }),
            });
        }

        const memory = machineMemory();
        const recommended = recommendationFor(memory);
        const presets = modelPresets.filter((preset) => !seen.has(canonicalReference(preset.reference)));
        const sorted = [...presets].sort((a, b) => rank(a, role) - rank(b, role));
        const toDownload: Choice[] = sorted.map((preset) => {
            const need = estimatePresetMemory(
                preset,
                this.config.contextSize,
                preset.role === "completion" ? engineSequences.completion + engineSequences.chat : engineSequences.chat,
            );
            const isRecommended = recommended.completion.id === preset.id || recommended.chat.id === preset.id;
            return {
                label: `$(cloud-download) ${preset.label}`,
                description: `${preset.sizeIsApproximate ? "~" : ""}${formatBytes(preset.downloadBytes)} download · ~${formatBytes(need)} memory · ${preset.role === "completion" ? "completions" : "chat"}`,
                detail: `${isRecommended ? "$(star-full) Recommended for this machine · " : ""}${need > memory.freeBytes ? "$(warning) needs more memory than is free now · " : ""}${preset.description}`,
                pick: () => Promise.resolve({ reference: preset.reference, role: preset.role, label: preset.label }),
            };
        });

        const other: Choice[] = [
            { label: "$(cloud-download) Hugging Face model…", detail: "hf:owner/repo/file.gguf or hf:owner/repo:Q4_K_M", pick: askHuggingFaceReference },
            { label: "$(folder-opened) Browse for a GGUF file…", detail: "A model you already have", pick: browseForFile },
            {
                label: "$(server) Use a Server Engine…",
                detail: "A server you run answers instead: llama.cpp's server, Ollama, or an OpenAI-compatible one (vLLM, SGLang, LM Studio)",
                pick: () => openEngineSettings(role === "completion" || role === "chat" ? role : undefined),
            },
        ];
        const separator = (label: string): Choice => ({ label, kind: vscode.QuickPickItemKind.Separator });
        const engines = this.engineChoices();
        return [
            ...(engines.length > 0 ? [separator("Engines"), ...engines] : []),
            ...(onDisk.length > 0 ? [separator("On this computer"), ...onDisk] : []),
            ...(toDownload.length > 0 ? [separator("Download"), ...toDownload] : []),
            separator("Other"),
            ...other,
        ];
    }

    /**
     * Which engine serves each role, when a server serves one (a model chosen here serves only the
     * roles the local engine serves); each opens its role's engine settings.
     */
    private engineChoices(): Choice[] {
        const servers = (["completion", "chat"] as const).map((role) => ({ role, server: this.config.serverFor(role) }));
        if (servers.every(({ server }) => server === undefined)) return [];
        const role = (name: EngineRole): string => (name === "completion" ? "Completions" : "Chat");
        return servers.map(({ role: name, server }): Choice => {
            const pick = (): Promise<undefined> => openEngineSettings(name);
            if (server === undefined) {
                const reference = this.resolver.references[name];
                return {
                    label: `$(vm) ${role(name)}: local engine · ${reference !== "" ? (presetByReference(reference)?.label ?? basename(reference)) : "no model yet"}`,
                    detail: `The model chosen here serves ${roleWord(name)}.`,
                    pick,
                };
            }
            if ("error" in server) return { label: `$(warning) ${role(name)}: ${server.error.detail}`, pick };
            return {
                label: `$(server) ${role(name)}: ${serverKindName(server.kind)} at ${server.url}${server.model !== "" ? ` · ${server.model}` : ""}`,
                detail: `Select to change; a model chosen here does not serve ${roleWord(name)} while the server does.`,
                pick,
            };
        });
    }

    private recentFiles(): string[] {
        const value = this.globalState.get<unknown>(recentFilesKey);
        return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
    }

    private async rememberFile(path: string): Promise<void> {
        await this.globalState.update(recentFilesKey, [path, ...this.recentFiles().filter((item) => item !== path)].slice(0, 8));
    }
}

/** Presets of the role being chosen come first, then by size. */
function rank(preset: ModelPreset, role: ModelRoleChoice | undefined): number {
    const mismatch = role !== undefined && role !== "both" && preset.role !== role ? 1e15 : 0;
    return mismatch + preset.downloadBytes;
}

/** Opens the engine settings of a role (both roles' without one); nothing to apply afterwards. */
async function openEngineSettings(role: EngineRole | undefined): Promise<undefined> {
    await vscode.commands.executeCommand("hearth.openSettings", serverSettingsFilter(role));
    return undefined;
}

async function fileSize(path: string): Promise<number | undefined> {
    try {
        const info = await stat(path);
        return info.isFile() ? info.size : undefined;
    } catch {
        return undefined;
    }
}

async function askRole(label: string): Promise<ModelRoleChoice | undefined> {
    const roles: (vscode.QuickPickItem & { role: ModelRoleChoice })[] = [
        { label: "Completions and chat", description: "One model, loaded once", role: "both" },
        { label: "Completions only", description: "Needs fill-in-the-middle tokens (a base coder model)", role: "completion" },
        { label: "Chat only", description: "An instruct model with a chat template", role: "chat" },
    ];
    const picked = await vscode.window.showQuickPick(roles, { title: `Hearth: use ${label} for…` });
    return picked?.role;
}

async function askHuggingFaceReference(): Promise<{ reference: string } | undefined> {
    const value = await vscode.window.showInputBox({
        title: "Hearth: Hugging Face model",
        prompt: "A GGUF file or a quantisation of a Hugging Face repository",
        placeHolder: "hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf or hf:owner/repo:Q4_K_M",
        ignoreFocusOut: true,
        validateInput: (text) => {
            if (text.trim() === "") return undefined;
            if (!isHuggingFaceReference(text.trim())) return "Start with hf:, for example hf:owner/repo/file.gguf or hf:owner/repo:Q4_K_M";
            try {
                parseModelReference(text);
                return undefined;
            } catch (error) {
                return error instanceof ModelReferenceError ? error.message : String(error);
            }
        },
    });
    return value === undefined || value.trim() === "" ? undefined : { reference: value.trim() };
}

async function browseForFile(): Promise<{ reference: string; label: string } | undefined> {
    const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        openLabel: "Use This Model",
        title: "Hearth: choose a GGUF model file",
        filters: { "GGUF models": ["gguf"], "All files": ["*"] },
    });
    const file = picked?.[0];
    return file === undefined ? undefined : { reference: file.fsPath, label: basename(file.fsPath) };
}
