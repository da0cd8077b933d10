import { join } from "node:path";
import * as vscode from "vscode";
import type { Config } from "../settings/config";
import { describeEngineError } from "../engine/errorMessages";
import type { EngineState } from "../engine/engineState";
import type { Log } from "../core/log";
import { presetByReference } from "../models/modelCatalog";
import { canonicalReference, isHuggingFaceReference } from "../models/modelReference";
import { ModelStore, type StoredModel, type PartialDownload } from "../models/modelStore";
import { ApiKeys } from "./apiKeys";
import { ModelDownloads } from "./modelDownloads";
import { ModelPicker, type SelectModelArgs } from "./modelPicker";
import { ModelResolver } from "./modelResolver";
import { recommendationFor, recommendationSentence } from "./recommendation";
import { tierOf } from "../models/recommendationText";
import { formatBytes } from "../../common/units";

const walkthroughId = "hearth-dev.hearth#hearth.gettingStarted";
const walkthroughShownKey = "hearth.walkthroughShown";

/**
 * Everything about which model runs: the models folder, downloads, Choose Model, Manage
 * Models, server engines' API keys, the first run, and the answers to a refused load (a context
 * that fits, Load Anyway).
 */
export class ModelSetup implements vscode.Disposable {
    readonly store: ModelStore;
    readonly resolver: ModelResolver;
    readonly downloads: ModelDownloads;
    readonly apiKeys: ApiKeys;
    private readonly picker: ModelPicker;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(
        private readonly context: vscode.ExtensionContext,
        private readonly config: Config,
        private readonly log: Log,
        private readonly engineState: () => EngineState,
        private readonly reload: () => Promise<void>,
    ) {
        this.store = new ModelStore(join(context.globalStorageUri.fsPath, "models"));
        this.apiKeys = new ApiKeys(context.secrets, context.globalState, config);
        this.resolver = new ModelResolver(config, this.store, this.apiKeys);
        this.downloads = new ModelDownloads(this.store, config, log);
        this.picker = new ModelPicker(config, this.store, this.downloads, this.resolver, context.globalState);
        const command = (id: string, run: (...args: never[]) => unknown): void => {
            this.disposables.push(vscode.commands.registerCommand(id, run));
        };
        command("hearth.selectModel", (args?: SelectModelArgs) => this.picker.select(undefined, args));
        command("hearth.selectCompletionModel", (args?: SelectModelArgs) => this.picker.select("completion", args));
        command("hearth.selectChatModel", (args?: SelectModelArgs) => this.picker.select("chat", args));
        command("hearth.downloadModel", () => this.downloadConfigured());
        command("hearth.downloadRecommended", () => this.downloadRecommended());
        command("hearth.manageModels", () => this.manage());
        command("hearth.openWalkthrough", () => openWalkthrough());
        command("hearth.useFittingContext", () => this.useFittingContext());
        command("hearth.loadAnyway", () => this.loadAnyway());
        command("hearth.setApiKey", (url?: unknown) => this.apiKeys.set(url));
        command("hearth.clearApiKey", (url?: unknown) => this.apiKeys.clear(url));
        // A key stored or removed (here, or in another window): the engine sends the new one.
        this.disposables.push(
            context.secrets.onDidChange(({ key }) => {
                if (!this.apiKeys.isInUse(key)) return;
                log.info("A server's API key changed: reloading the engine.");
                void this.reload();
            }),
        );
    }

    /** The sentence the no-model notification adds: what to download for this machine, and why. */
    recommendationText(): string {
        return recommendationSentence(this.config.contextSize);
    }

    /** First run: no model set up yet, so open the walkthrough once (the notification comes from the engine state). */
    async onActivated(): Promise<void> {
        // The walkthrough shows the step of this machine's tier (its texts are static).
        await vscode.commands.executeCommand("setContext", "hearth.memoryTier", tierOf(recommendationFor()));
        const { completion } = this.resolver.references;
        // A server engine serves a role: the user has set Hearth up already.
        if (completion !== "" || this.resolver.localRoles.length < 2 || this.context.globalState.get<boolean>(walkthroughShownKey) === true) return;
        await this.context.globalState.update(walkthroughShownKey, true);
        if ((await this.store.list()).length > 0) return;
        await openWalkthrough();
    }

    /** Downloads the configured `hf:` models that are not on disk yet (the "Download" button of a not-downloaded model); a server's role needs none. */
    async downloadConfigured(): Promise<void> {
        let downloaded = false;
        for (const reference of this.resolver.localReferences) {
            if (!isHuggingFaceReference(reference)) continue;
            const resolved = await this.resolver.resolve(reference);
            if ("path" in resolved) continue;
            const path = await this.downloads.download(reference, presetByReference(reference)?.label);
            if (path === undefined) return;
            downloaded = true;
        }
        if (downloaded) await this.reload();
    }

    /** The recommended pair: the completion model first (usable alone), then the chat model. */
    async downloadRecommended(): Promise<void> {
        const recommendation = recommendationFor();
        for (const [preset, role] of [
            [recommendation.completion, "completion"],
            [recommendation.chat, "chat"],
        ] as const) {
            const path = await this.downloads.download(preset.reference, preset.label);
            if (path === undefined) return;
            await this.config.setModel(role, canonicalReference(preset.reference));
        }
    }

    /** Models on disk and unfinished downloads: size, what uses them, delete or resume. */
    private async manage(): Promise<void> {
        type Item = vscode.QuickPickItem & { model?: StoredModel; partial?: PartialDownload };
        const deleteButton: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon("trash"), tooltip: "Delete from disk" };
        const quickPick = vscode.window.createQuickPick<Item>();
        const refresh = async (): Promise<void> => {
            const models = await this.store.list();
            const partials = await this.store.partials();
            const items: Item[] = models.map((model) => {
                const reference = model.uri ?? model.path;
                const inUse = this.resolver.inUseNote(reference);
                return {
                    label: `${inUse !== "" ? "$(check) " : ""}${presetByReference(reference)?.label ?? model.fileName}`,
                    description: `${formatBytes(model.sizeBytes)}${inUse}`,
                    detail: model.uri ?? model.path,
                    buttons: [deleteButton],
                    model,
                };
            });
            for (const partial of partials) {
                const percent =
                    partial.totalBytes !== undefined && partial.totalBytes > 0 ? ` (${Math.floor((100 * partial.receivedBytes) / partial.totalBytes)}%)` : "";
                items.push({
                    label: `$(debug-pause) ${partial.uri ?? partial.path}`,
                    description: `${formatBytes(partial.receivedBytes)} downloaded${percent} · select to resume`,
                    buttons: [deleteButton],
                    partial,
                });
            }
            quickPick.items = items;
            quickPick.title = `Hearth: models (${formatBytes(await this.store.usage())} in ${this.store.root})`;
            quickPick.placeholder =
                items.length === 0 ? "No models downloaded yet: use Hearth: Choose Model… to get one" : "Select to use or resume; the trash button deletes";
        };
        const disposables: vscode.Disposable[] = [quickPick];
        disposables.push(
            quickPick.onDidTriggerItemButton(async ({ item }) => {
                await this.deleteStored(item.model, item.partial);
                await refresh();
            }),
            quickPick.onDidAccept(async () => {
                const [item] = quickPick.selectedItems;
                quickPick.hide();
                if (item?.partial?.uri !== undefined) await this.downloads.download(item.partial.uri);
                else if (item?.model !== undefined) await this.picker.select(undefined, { reference: item.model.uri ?? item.model.path });
            }),
            quickPick.onDidHide(() => {
                for (const disposable of disposables) disposable.dispose();
            }),
        );
        await refresh();
        quickPick.show();
    }

    private async deleteStored(model: StoredModel | undefined, partial: PartialDownload | undefined): Promise<void> {
        const path = model?.path ?? partial?.path;
        if (path === undefined) return;
        const reference = model?.uri ?? model?.path ?? partial?.uri;
        const roles = this.resolver.rolesOf(reference);
        const size = model?.sizeBytes ?? partial?.receivedBytes ?? 0;
        const answer = await vscode.window.showWarningMessage(
            `Delete ${reference ?? path} (${formatBytes(size)}) from disk?${roles.length > 0 ? " Hearth uses it now and will stop using it." : ""}`,
            { modal: true },
            "Delete",
        );
        if (answer !== "Delete") return;
        // Stop using it first, so the engine lets go of the file (Windows cannot delete an open file).
        for (const role of roles) await this.config.setModel(role, "");
        try {
            await this.store.delete(path);
            this.log.info(`Deleted ${path}.`);
        } catch (error) {
            void vscode.window.showErrorMessage(`Hearth could not delete ${path}: ${error instanceof Error ? error.message : String(error)}`);
        }
    }

    private async useFittingContext(): Promise<void> {
        const state = this.engineState();
        const fitting = state.kind === "error" ? state.error.memory?.fittingContextSize : undefined;
        if (fitting === undefined || fitting === null) return;
        this.log.info(`Setting hearth.contextSize to ${fitting} tokens so that the model fits in memory.`);
        await this.config.setContextSize(fitting);
    }

    private async loadAnyway(): Promise<void> {
        const state = this.engineState();
        if (state.kind === "error" && state.error.kind === "insufficientMemory")
            this.log.warn(`Loading past the memory estimate (the user chose Load Anyway): ${describeEngineError(state.error).message}`);
        await this.resolver.allowOverMemory();
        await this.reload();
    }

    dispose(): void {
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
    }
}

async function openWalkthrough(): Promise<void> {
    await vscode.commands.executeCommand("workbench.action.openWalkthrough", walkthroughId, false);
}
