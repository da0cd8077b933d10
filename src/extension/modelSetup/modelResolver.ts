import type { EngineErrorData } from "../../protocol/engineProtocol";
import { expandPath, type Config } from "../settings/config";
import type { EngineSettings } from "../engine/engineState";
import { parseModelReference, ModelReferenceError, type ModelReference } from "../models/modelReference";
import type { ModelStore } from "../models/modelStore";

/** One model setting turned into a file, or the reason it cannot be loaded yet. */
type ResolvedModel = { readonly path: string } | { readonly error: EngineErrorData };

/**
 * Turns the two model settings (paths or `hf:` references) into the files the engine loads.
 * A reference resolves to its download in the models folder; one not downloaded yet becomes
 * a `modelNotDownloaded` problem the user can act on, never a half-written file.
 */
export class ModelResolver {
    /** Files the user chose to load past the memory estimate ("Load Anyway"), until the models change. */
    private overMemoryAllowedFor: string | undefined;

    constructor(
        private readonly config: Config,
        private readonly store: ModelStore,
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

    /** " · in use for completions and chat", or "" when nothing uses it. */
    inUseNote(reference: string | undefined): string {
        const roles = this.rolesOf(reference).map((role) => (role === "completion" ? "completions" : "chat"));
        return roles.length > 0 ? ` · in use for ${roles.join(" and ")}` : "";
    }

    async engineSettings(): Promise<EngineSettings> {
        const runtime = this.config.runtimeSettings;
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
