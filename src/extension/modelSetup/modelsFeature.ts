import type * as vscode from "vscode";
import type { HearthServices } from "../core/services";
import type { EngineSettings } from "../engine/engineState";
import type { DownloadStats } from "./modelDownloads";
import { ModelSetup } from "./modelSetup";

export interface ModelsApi {
    /** The models folder in global storage. */
    readonly folder: string;
    readonly downloads: Readonly<DownloadStats>;
    /** The completion and chat references in effect (each setting falls back to the other). */
    readonly references: { readonly completion: string; readonly chat: string };
}

/** Which models run: the models folder, downloads, Choose Model, Manage Models and the first run. */
export class ModelsFeature implements vscode.Disposable {
    readonly setup: ModelSetup;

    constructor(private readonly services: HearthServices) {
        const { context, config, log, engine } = services;
        this.setup = new ModelSetup(
            context,
            config,
            log,
            () => engine.state,
            () => this.reloadEngine(),
        );
    }

    /** The engine settings with the model settings resolved to files. */
    engineSettings(): Promise<EngineSettings> {
        return this.setup.resolver.engineSettings();
    }

    /** Applies the current settings, the model settings resolved to files. */
    async reloadEngine(): Promise<void> {
        try {
            await this.services.engine.applySettings(await this.engineSettings());
        } catch (error) {
            this.services.log.error(`Could not apply the engine settings: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
    }

    get api(): ModelsApi {
        const { setup } = this;
        return {
            folder: setup.store.root,
            get downloads() {
                return { ...setup.downloads.stats };
            },
            get references() {
                return setup.resolver.references;
            },
        };
    }

    dispose(): void {
        this.setup.dispose();
    }
}
