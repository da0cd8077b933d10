import * as vscode from "vscode";
import { ActionsFeature } from "./actions/actionsFeature";
import { joinParts, type HearthApi } from "./api";
import { ChatFeature } from "./chat/chatFeature";
import { CompletionFeature } from "./completion/completionFeature";
import { Log } from "./core/log";
import { disposeAll, type HearthServices } from "./core/services";
import { EngineClient } from "./engine/engineClient";
import { ModelsFeature } from "./modelSetup/modelsFeature";
import { Config } from "./settings/config";
import { EngineFeature } from "./status/engineFeature";

/**
 * Owns everything Hearth creates and their lifetimes (rust-analyzer's `Ctx`): the services every
 * feature shares, and one object per feature, each wired in its own folder's `*Feature.ts`.
 * Everything is released on deactivation, features before the services they use.
 */
export class Hearth implements vscode.Disposable {
    private readonly services: HearthServices;
    private readonly models: ModelsFeature;
    private readonly completion: CompletionFeature;
    private readonly engineFeature: EngineFeature;
    private readonly chat: ChatFeature;
    private readonly actions: ActionsFeature;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(private readonly context: vscode.ExtensionContext) {
        const log = new Log();
        this.disposables.push(log);
        const engine = new EngineClient({ sidecarScript: context.asAbsolutePath("dist/sidecar.mjs"), log: (level, message) => log.write(level, message) });
        this.services = { context, log, config: new Config(), engine };
        this.models = this.feature(new ModelsFeature(this.services));
        this.completion = this.feature(new CompletionFeature(this.services));
        this.engineFeature = this.feature(
            new EngineFeature(this.services, this.models, this.completion.onDidMeasureLatency, this.completion.onDidChangeServerProblem),
        );
        this.chat = this.feature(new ChatFeature(this.services));
        this.actions = this.feature(new ActionsFeature(this.services, this.chat));
    }

    private feature<T extends vscode.Disposable>(feature: T): T {
        this.disposables.push(feature);
        return feature;
    }

    /** Starts the engine without waiting for it: activation stays instant. */
    start(): void {
        const version = (this.context.extension.packageJSON as { version?: string }).version ?? "";
        this.services.log.info(`Hearth ${version} in ${vscode.env.appName} ${vscode.version} (${vscode.env.appHost}).`);
        this.engineFeature.start();
        void this.models.setup.onActivated().catch((error: unknown) => this.services.log.warn(`Could not open the walkthrough: ${String(error)}`));
    }

    get api(): HearthApi {
        const { actions } = this;
        const chat = joinParts(this.chat.api, {
            get actionStats() {
                return actions.stats;
            },
        });
        return joinParts(joinParts(this.engineFeature.api, this.completion.api), { models: this.models.api, chat });
    }

    async shutdown(): Promise<void> {
        await this.chat.flush();
        await this.services.engine.dispose();
        this.dispose();
    }

    dispose(): void {
        disposeAll(this.disposables);
    }
}
