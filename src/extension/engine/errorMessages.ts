import type { EngineErrorData, EngineRole, MemoryFit } from "../../protocol/engineProtocol";
import { formatBytes } from "../../common/units";
import { roleWord, serverKindName, serverSettingKeys } from "./serverEngines";

/** Things a user can do about an engine problem; each becomes a button. */
export type EngineAction =
    | "selectModel"
    | "openSettings"
    | "showLog"
    | "restartEngine"
    | "downloadModel"
    | "downloadRecommended"
    | "openWalkthrough"
    | "useFittingContext"
    | "loadAnyway"
    /** Ask for a server's API key (kept in VS Code's secret storage). */
    | "setApiKey"
    /** Load again with the current settings: a server engine is asked afresh ("Retry"). */
    | "reloadEngine";

interface EngineProblem {
    readonly message: string;
    readonly actions: readonly EngineAction[];
}

/** The words and buttons for an engine error: what failed, which file, what to do. */
export function describeEngineError(error: EngineErrorData): EngineProblem {
    const server = describeServerError(error);
    if (server !== undefined) return server;
    const file = error.path !== undefined ? `"${error.path}"` : "The model file";
    switch (error.kind) {
        case "noModel":
            return {
                message: "Hearth has no model yet. Download the recommended models for this machine, or select a GGUF model you have.",
                actions: ["downloadRecommended", "selectModel", "openWalkthrough"],
            };
        case "modelNotDownloaded":
            return {
                message: `Hearth: the model ${error.path ?? ""} is not downloaded yet${error.detail !== "" ? ` (${error.detail})` : ""}. Download it, or select another model.`,
                actions: ["downloadModel", "selectModel"],
            };
        case "invalidModelReference":
            return { message: `Hearth: ${error.detail}`, actions: ["selectModel", "openSettings"] };
        case "insufficientMemory":
            return describeMemoryShortfall(file, error.memory);
        case "fileMissing":
            return {
                message: `Hearth: the model file ${file} does not exist. Choose another file or correct the "hearth.completions.model" or "hearth.chat.model" setting.`,
                actions: ["selectModel", "openSettings"],
            };
        case "notAFile":
            return { message: `Hearth: ${file} is a folder, not a model file. Choose a .gguf file.`, actions: ["selectModel", "openSettings"] };
        case "unreadable":
            return {
                message: `Hearth cannot read the model file ${file}: ${error.detail} Check its permissions or choose another file.`,
                actions: ["selectModel", "openSettings", "showLog"],
            };
        case "notGguf":
            return {
                message: `Hearth: ${file} is not a GGUF model. ${error.detail} Hearth runs llama.cpp's GGUF files: choose a .gguf model.`,
                actions: ["selectModel", "openSettings"],
            };
        case "truncated":
            return {
                message: `Hearth: the model file ${file} is incomplete or damaged. ${error.detail} Download it again or choose another file.`,
                actions: ["selectModel", "showLog"],
            };
        case "corruptModel":
            return {
                message: `Hearth will not load ${file}: ${error.detail} Download the model again from a source you trust, or choose another file.`,
                actions: ["selectModel", "showLog"],
            };
        case "crashedLoading":
            return {
                message: `The engine crashed while loading ${file}, so Hearth will not load that file again by itself. Choose another model; if this file works elsewhere, restart the engine to try it once more.`,
                actions: ["selectModel", "restartEngine", "showLog"],
            };
        case "modelFileChanged":
            return {
                message: `Hearth: the model file ${file} changed on disk while it was loaded (${error.detail}), so it was unloaded. Restart the engine to load the file as it is now, or choose another.`,
                actions: ["restartEngine", "selectModel", "showLog"],
            };
        case "unsupportedArchitecture":
            return {
                message: `Hearth cannot run ${file}: ${error.detail} Choose a model of a supported family (Qwen2.5-Coder, Llama, DeepSeek-Coder, StarCoder2…).`,
                actions: ["selectModel", "showLog"],
            };
        case "backendUnavailable":
            return {
                message: `Hearth could not start its compute backend. ${error.detail} Set "hearth.gpu" to "auto" or "cpu".`,
                actions: ["openSettings", "showLog"],
            };
        case "outOfMemory":
            return {
                message: `There is not enough memory to load ${file}. Choose a smaller model or a smaller "hearth.contextSize".`,
                actions: ["selectModel", "openSettings", "showLog"],
            };
        case "noFimTokens":
            return {
                message: `Hearth: ${file} has no fill-in-the-middle tokens, so it cannot complete code as you type. Choose a base coder model (for example Qwen2.5-Coder 1.5B, not an Instruct model).`,
                actions: ["selectModel", "openSettings"],
            };
        case "contextOverflow":
            return { message: `Hearth: ${error.detail}`, actions: ["openSettings"] };
        case "loadFailed":
            return {
                message: `llama.cpp could not load ${file}: ${error.detail} Choose another model, or show the log for llama.cpp's words.`,
                actions: ["selectModel", "showLog", "restartEngine"],
            };
        case "noModelLoaded":
        case "notInitialized":
            return {
                message: `Hearth's engine has no model loaded yet (${error.detail}). Wait for it to finish loading, or restart it.`,
                actions: ["restartEngine", "showLog"],
            };
        case "cancelled":
            return { message: "Hearth: the request was cancelled.", actions: [] };
        case "badRequest":
            return {
                message: `Hearth sent its engine a request it refused (${error.detail}). This is a bug in Hearth: please report it with the log.`,
                actions: ["showLog"],
            };
        case "tooLarge":
            return { message: `Hearth: ${error.detail}`, actions: [] };
        case "timedOut": // (a server's: describeServerError)
            return {
                message: `Hearth's engine did not answer in time (${error.detail}). Try again; if it keeps happening, choose a smaller model or context.`,
                actions: ["showLog", "restartEngine"],
            };
        case "engineCrashed":
            return {
                message: `Hearth's engine stopped while working on this (${error.detail}). It is being restarted; try again in a moment.`,
                actions: ["showLog"],
            };
        case "engineUnresponsive":
            return { message: `Hearth's engine stopped answering (${error.detail}), so Hearth restarted it. Try again in a moment.`, actions: ["showLog"] };
        case "internal":
            return {
                message: `Hearth hit a bug: ${error.detail} Please report it with the log; restarting the engine may help.`,
                actions: ["showLog", "restartEngine"],
            };
        case "serverUnreachable":
        case "serverUnauthorized":
        case "serverNotFound":
        case "serverFailed":
        case "serverBadResponse":
            // Without the server's data (never sent so): the detail is all there is.
            return { message: `Hearth's server engine failed: ${error.detail}`, actions: ["reloadEngine", "openSettings", "showLog"] };
    }
}

/**
 * The words and buttons for a server engine's problem (the `server*` kinds, and a timeout or a model
 * without FIM support when a server is involved): which server, for which role, and what to do.
 * Undefined for an error that is not about a server.
 */
function describeServerError(error: EngineErrorData): EngineProblem | undefined {
    const { server } = error;
    if (server === undefined) return undefined;
    const kindName = serverKindName(server.kind);
    // "the Ollama server for chat at http://127.0.0.1:11434"
    const which = `the ${kindName}${server.role !== undefined ? ` for ${roleWord(server.role)}` : ""}${server.url !== "" ? ` at ${server.url}` : ""}`;
    const Which = `T${which.slice(1)}`;
    const detail = sentence(error.detail);
    const setting = (key: "engine" | "serverUrl" | "serverModel"): string => settingName(server.role, key);
    const status = server.status !== undefined ? ` (HTTP ${server.status})` : "";
    switch (error.kind) {
        case "serverUnreachable":
            // No address: the URL setting is what is wrong, and the detail says how (a retry would not help).
            if (server.url === "") return { message: `Hearth cannot use ${which}:${detail}`, actions: ["openSettings"] };
            return {
                message: `Hearth cannot reach ${which}.${detail} Check that the server is running and that ${setting("serverUrl")} is its address, then retry.`,
                actions: ["openSettings", "reloadEngine"],
            };
        case "serverUnauthorized":
            return {
                message: `${Which} refused Hearth's API key${status}: it needs one, or another one.${detail} Set it with "Hearth: Set API Key…" (VS Code keeps it in its secret storage, not in the settings).`,
                actions: ["setApiKey", "openSettings"],
            };
        case "serverNotFound":
            return {
                message: `${Which} does not have the model or the API Hearth asked for${status}.${detail} Check ${setting("serverModel")} (an Ollama tag such as qwen2.5-coder:1.5b, or a model id the server lists) and ${setting("engine")} (the kind of server).`,
                actions: ["openSettings"],
            };
        case "serverFailed":
            return {
                message: `${Which} answered with an error${status}.${detail} Retry; if it keeps failing, the log has the server's answer.`,
                actions: ["reloadEngine", "showLog"],
            };
        case "serverBadResponse":
            return {
                message: `Hearth could not understand the answer of ${which}.${detail} Check that ${setting("engine")} names the kind of server it is, then retry.`,
                actions: ["reloadEngine", "showLog"],
            };
        case "timedOut":
            return {
                message: `${Which} did not answer in time.${detail} Check that it is running and not overloaded, then retry.`,
                actions: ["reloadEngine", "openSettings", "showLog"],
            };
        case "noFimTokens":
            return {
                message: `Hearth: the model of ${which}${error.detail !== "" ? ` ("${error.detail}")` : ""} has no fill-in-the-middle support Hearth knows of, so it cannot complete code as you type. Set ${settingName("completion", "serverModel")} to a base coder model with FIM (for example qwen2.5-coder:1.5b), or use the local engine for completions.`,
                actions: ["openSettings"],
            };
        default:
            return undefined;
    }
}

/** `"hearth.chat.serverUrl"`; with no role known, both roles' settings. */
function settingName(role: EngineRole | undefined, key: "engine" | "serverUrl" | "serverModel"): string {
    return role !== undefined ? `"hearth.${roleWord(role)}.${key}"` : `"hearth.completions.${key}" or "hearth.chat.${key}"`;
}

/** A detail as a sentence after another: " Connection refused." (nothing for no detail). */
function sentence(detail: string): string {
    const text = detail.trim();
    if (text === "") return "";
    return ` ${text}${/[.!?…)]$/.test(text) ? "" : "."}`;
}

/** The settings (under "hearth.") each of settingsFilterFor's filters is about. */
export const settingsOfFilter: Readonly<Record<string, readonly string[]>> = {
    model: ["completions.model", "chat.model"],
    gpu: ["gpu"],
    context: ["contextSize"],
    completionServer: serverSettingKeys("completion"),
    chatServer: serverSettingKeys("chat"),
    servers: [...serverSettingKeys("completion"), ...serverSettingKeys("chat")],
};

/** The filter for a role's engine settings (server, URL, model); both roles' without one. */
export function serverSettingsFilter(role: EngineRole | undefined): string {
    return role === "completion" ? "completionServer" : role === "chat" ? "chatServer" : "servers";
}

/** Filters that name their settings exactly: their words would match other settings too. */
const exactFilters = new Set(["completionServer", "chatServer", "servers"]);

/** The Settings editor's search for a filter: Hearth's settings with those words, or exactly those settings. */
export function settingsQuery(extensionId: string, filter: string | undefined): string {
    const keys = filter !== undefined && exactFilters.has(filter) ? settingsOfFilter[filter] : undefined;
    if (keys !== undefined) return `@id:${keys.map((key) => `hearth.${key}`).join(",")}`;
    return `@ext:${extensionId}${filter !== undefined ? ` ${filter}` : ""}`;
}

/** Words that narrow Hearth's settings to those an error is about ("Open Settings" shows them). */
export function settingsFilterFor(error: EngineErrorData | undefined): string | undefined {
    // A server's problem: the settings of the role it serves.
    if (error?.server !== undefined) return serverSettingsFilter(error.server.role);
    switch (error?.kind) {
        case undefined:
        case "noModel":
            return undefined;
        case "backendUnavailable":
            return "gpu";
        case "outOfMemory":
        case "contextOverflow":
            return "context";
        default:
            return "model";
    }
}

/** The label for an action; some name what they will do (the context size that fits). */
export function actionLabel(action: EngineAction, error?: EngineErrorData): string {
    switch (action) {
        case "selectModel":
            return error?.kind === "insufficientMemory" ? "Choose a Smaller Model…" : "Choose Model…";
        case "openSettings":
            return "Open Settings";
        case "showLog":
            return "Show Log";
        case "restartEngine":
            return "Restart Engine";
        case "downloadModel":
            return "Download";
        case "downloadRecommended":
            return "Download Recommended";
        case "openWalkthrough":
            return "Get Started";
        case "useFittingContext":
            return `Use a ${error?.memory?.fittingContextSize ?? "smaller"}-token Context`;
        case "loadAnyway":
            return "Load Anyway";
        case "setApiKey":
            return "Set API Key…";
        case "reloadEngine":
            return "Retry";
    }
}

/** The arguments an action's command takes for this error: the settings filter, the server whose key to set. */
export function actionArgs(action: EngineAction, error?: EngineErrorData): readonly unknown[] | undefined {
    if (action === "openSettings") {
        const filter = settingsFilterFor(error);
        return filter !== undefined ? [filter] : undefined;
    }
    if (action === "setApiKey" && error?.server !== undefined && error.server.url !== "") return [error.server.url];
    return undefined;
}

/**
 * A load refused because the estimate exceeds free memory: how much is needed and free, and
 * the choices (a context that fits, a smaller model or quantisation, or load anyway).
 */
function describeMemoryShortfall(file: string, memory: MemoryFit | undefined): EngineProblem {
    if (memory === undefined) return { message: `There is not enough free memory to load ${file}.`, actions: ["selectModel", "loadAnyway"] };
    const needed = memory.modelBytes + memory.contextBytes;
    const where = memory.pool === "vram" ? "GPU memory" : "memory";
    const base =
        `Hearth: ${file} needs about ${formatBytes(needed)} of ${where} (weights ${formatBytes(memory.modelBytes)}, ` +
        `context ${formatBytes(memory.contextBytes)} for ${memory.contextSize} tokens), but only ${formatBytes(memory.availableBytes)} is free. ` +
        "Loading it anyway could make this computer swap or the engine crash.";
    if (memory.fittingContextSize !== null) {
        return {
            message: `${base} A context of ${memory.fittingContextSize} tokens fits; or choose a smaller quantisation (Q4_K_M instead of Q8_0) or a smaller model.`,
            actions: ["useFittingContext", "selectModel", "loadAnyway"],
        };
    }
    return {
        message: `${base} Choose a smaller model or a smaller quantisation (for example Q4_K_M instead of Q8_0).`,
        actions: ["selectModel", "loadAnyway"],
    };
}
