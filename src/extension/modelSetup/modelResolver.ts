import type { EngineErrorData, EngineRole, ServerEndpoint } from "../../protocol/engineProtocol";
import { expandPath, type Config } from "../settings/config";
import type { EngineSettings } from "../engine/engineState";
import type { ApiKeys } from "./apiKeys";
import { parseModelReference, ModelReferenceError, type ModelReference } from "../models/modelReference";
import type { ModelStore } from "../models/modelStore";

/** One model setting turned into a file, or the reason it cannot be loaded yet. */
type ResolvedModel = { readonly path: string } | { readonly error: EngineErrorData };

/** A role's server engine with its API key, or why the settings cannot name one; undefined: the local engine serves the role. */
type ResolvedServer = { readonly endpoint: ServerEndpoint } | { readonly error: EngineErrorData } | undefined;

/**
 * Turns the settings into what the engine loads: a server engine (with its API key from SecretStorage)
 * for each role a server serves, and for the other roles the model settings (paths or `hf:`
 * references) as files. A reference resolves to its download in the models folder; one not
 * downloaded yet becomes a `modelNotDownloaded` problem the user can act on, never a half-written file.
 */
export class ModelResolver {
    /** Files the user chose to load past the memory estimate ("Load Anyway"), until the models change. */
    private overMemoryAllowedFor: string | undefined;

    constructor(
        private readonly config: Config,
        private readonly store: ModelStore,
        private readonly keys: Pick<ApiKeys, "keyFor">,
    ) {}

    /** The references in effect: each setting falls back to the other, so one model can serve both. */
    get references(): { readonly completion: string; readonly chat: string } {
        const completion = this.config.completionModel;
        const chat = this.config.chatModel;
        return { completion: completion !== "" ? completion : chat, chat: chat !== "" ? chat : completion };
    }

    /** The roles `reference` (as a setting stores it) serves now. */
    rolesOf(reference: string | undefined): ("completion" | "chat")[] {
        const { completion, chat } = this.references;
        return [...(reference === completion ? (["completion"] as const) : []), ...(reference === chat ? (["chat"] as const) : [])];
    }

    /** " · in use for completions and chat", or "" when nothing uses it (a role a server serves uses no local model). */
    inUseNote(reference: string | undefined): string {
        const local = this.localRoles;
        const roles = this.rolesOf(reference)
            .filter((role) => local.includes(role))
            .map((role) => (role === "completion" ? "completions" : "chat"));
        return roles.length > 0 ? ` · in use for ${roles.join(" and ")}` : "";
    }

    /** The roles the local engine serves (no server engine is set for them). */
    get localRoles(): EngineRole[] {
        return (["completion", "chat"] as const).filter((role) => this.config.serverFor(role) === undefined);
    }

    /** The model references the local roles use: what may need downloading. */
    get localReferences(): string[] {
        const references = this.references;
        return [...new Set(this.localRoles.map((role) => references[role]))].filter((reference) => reference !== "");
    }

    async engineSettings(): Promise<EngineSettings> {
        const runtime = this.config.runtimeSettings;
        const completionServer = await this.server("completion");
        const chatServer = await this.server("chat");
        for (const server of [completionServer, chatServer])
            if (server !== undefined && "error" in server) return { ...runtime, modelPath: "", unavailable: server.error };
        const completionEndpoint = completionServer !== undefined && "endpoint" in completionServer ? completionServer.endpoint : undefined;
        const chatEndpoint = chatServer !== undefined && "endpoint" in chatServer ? chatServer.endpoint : undefined;
        if (completionEndpoint === undefined && chatEndpoint === undefined) return this.localSettings(runtime);
        const servers = {
            ...(completionEndpoint !== undefined ? { completion: completionEndpoint } : {}),
            ...(chatEndpoint !== undefined ? { chat: chatEndpoint } : {}),
        };
        // Servers serve both roles: no local file at all.
        if (completionEndpoint !== undefined && chatEndpoint !== undefined) return { ...runtime, modelPath: "", servers };
        // One role local: its model's file (each model setting falls back to the other) is the one file.
        const reference = this.references[completionEndpoint === undefined ? "completion" : "chat"];
        if (reference === "") return { ...runtime, modelPath: "", servers };
        const local = await this.resolve(reference);
        if ("error" in local) return { ...runtime, modelPath: "", servers, unavailable: local.error };
        return {
            ...runtime,
            modelPath: local.path,
            servers,
            ...(this.overMemoryAllowedFor === `${local.path}\n${local.path}` ? { ignoreMemoryFit: true } : {}),
        };
    }

    /** The role's server engine with the key stored for its origin. */
    private async server(role: EngineRole): Promise<ResolvedServer> {
        const server = this.config.serverFor(role);
        if (server === undefined || "error" in server) return server;
        const apiKey = await this.keys.keyFor(server.url);
        return { endpoint: { kind: server.kind, url: server.url, model: server.model, ...(apiKey !== undefined && apiKey !== "" ? { apiKey } : {}) } };
    }

    /** Both roles local: the two model settings as files. */
    private async localSettings(runtime: Config["runtimeSettings"]): Promise<EngineSettings> {
        const { completion, chat } = this.references;
        if (completion === "") return { ...runtime, modelPath: "" };
        const completionModel = await this.resolve(completion);
        const chatModel = chat === completion ? completionModel : await this.resolve(chat);
        if ("error" in completionModel) return { ...runtime, modelPath: "", unavailable: completionModel.error };
        if ("error" in chatModel) return { ...runtime, modelPath: "", unavailable: chatModel.error };
        const key = `${completionModel.path}\n${chatModel.path}`;
        return {
            ...runtime,
            modelPath: completionModel.path,
            ...(chatModel.path !== completionModel.path ? { chatModelPath: chatModel.path } : {}),
            ...(this.overMemoryAllowedFor === key ? { ignoreMemoryFit: true } : {}),
        };
    }

    /** "Load Anyway": the current files load past the memory estimate until a model setting changes. */
    async allowOverMemory(): Promise<void> {
        const settings = await this.engineSettings();
        this.overMemoryAllowedFor = `${settings.modelPath}\n${settings.chatModelPath ?? settings.modelPath}`;
    }

    async resolve(raw: string): Promise<ResolvedModel> {
        let reference: ModelReference;
        try {
            reference = parseModelReference(raw);
        } catch (error) {
            const detail = error instanceof ModelReferenceError ? error.message : String(error);
            return { error: { kind: "invalidModelReference", path: raw, detail } };
        }
        if (reference.kind === "file") return { path: expandPath(reference.path) };
        const path = await this.store.find(reference);
        if (path !== undefined) return { path };
        const partial = (await this.store.partials()).find((candidate) => candidate.uri === reference.uri);
        const percent =
            partial?.totalBytes !== undefined && partial.totalBytes > 0 ? Math.floor((100 * partial.receivedBytes) / partial.totalBytes) : undefined;
        return { error: { kind: "modelNotDownloaded", path: reference.uri, detail: percent !== undefined ? `${percent}% downloaded` : "" } };
    }
}
