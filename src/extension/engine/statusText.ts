import type { Backend, EngineErrorData, ModelInfo } from "../../protocol/engineProtocol";
import type { EngineState } from "./engineState";
import { describeEngineError } from "./errorMessages";
import { modelPairName, shortModelName } from "./modelNames";
import { serverKindName } from "./serverEngines";
import { formatBytes } from "../../common/units";

interface StatusPresentation {
    /** Status bar text, with codicons: short (icon, state or a short model name); the rest is in `details`. */
    readonly text: string;
    /** Plain-text lines for the tooltip. */
    readonly details: readonly string[];
    readonly severity: "normal" | "warning" | "error";
}

const backendNames: Readonly<Record<Backend, string>> = { metal: "Metal", cuda: "CUDA", vulkan: "Vulkan", cpu: "CPU" };

export function backendName(backend: Backend): string {
    return backendNames[backend];
}

/**
 * What the status bar shows for each engine state: state, backend and model. `requestProblems`: errors
 * of a server engine's recent requests (a server that stopped answering after the load), shown like
 * the load's own server problems.
 */
export function presentEngineState(state: EngineState, completionLatencyMs?: number, requestProblems: readonly EngineErrorData[] = []): StatusPresentation {
    switch (state.kind) {
        case "starting":
            return { text: "$(loading~spin) Hearth: starting", details: ["Starting the engine…"], severity: "normal" };
        case "loading": {
            const percent = Math.round(state.progress * 100);
            return {
                text: `$(loading~spin) Hearth: loading ${percent}%`,
                details: [`Loading ${fileName(state.modelPath)} (${state.stage}, ${percent}%) on ${backendName(state.backend.backend)}`],
                severity: "normal",
            };
        }
        case "ready": {
            const { model, chatModel, threads, contextSize, modelLoadMs } = state.load;
            if (model.server !== undefined || chatModel?.server !== undefined) return presentServers(state, completionLatencyMs, requestProblems);
            const backend = backendName(state.backend.backend);
            const names = chatModel === null ? shortModelName(model.name) : modelPairName(model.name, chatModel.name);
            const describe = (info: ModelInfo): string =>
                `${info.architecture}, ${formatCount(info.parameterCount)} parameters, ${formatBytes(info.fileSizeBytes)}`;
            return {
                text: `$(flame) ${names}`,
                details: [
                    chatModel === null
                        ? `Hearth is ready: ${model.name}${model.isDemo ? " (demo model: random output)" : ""}`
                        : `Hearth is ready: ${model.name} for completions, ${chatModel.name} for chat`,
                    `${chatModel === null ? "" : "Completions: "}${describe(model)}`,
                    ...(chatModel === null ? [] : [`Chat: ${describe(chatModel)}`]),
                    `Backend: ${backend}${state.backend.gpuDevices.length > 0 ? ` (${state.backend.gpuDevices.join(", ")})` : ""}, ${threads} thread${threads === 1 ? "" : "s"}`,
                    `Context: ${contextSize} tokens (trained for ${model.trainContextSize ?? "?"}); about ${formatBytes(state.load.memory.modelBytes + state.load.memory.contextBytes)} of memory`,
                    `Completions (FIM tokens): ${model.fim !== null ? "yes" : "no"} · Chat template: ${(chatModel ?? model).hasChatTemplate ? ((chatModel ?? model).chatWrapper ?? "yes") : "no"}`,
                    `Loaded in ${modelLoadMs} ms`,
                    ...(completionLatencyMs !== undefined ? [`Last completion: ${completionLatencyMs} ms from keystroke to suggestion`] : []),
                    "Click for Hearth's menu: models, settings, log, restart.",
                ],
                severity: model.isDemo || chatModel?.isDemo === true ? "warning" : "normal",
            };
        }
        case "error":
            return state.error.kind === "noModel"
                ? { text: "$(warning) Hearth: no model", details: ["No model is set up: click to download one or select a GGUF file."], severity: "warning" }
                : state.error.kind === "modelNotDownloaded"
                  ? {
                        text: "$(cloud-download) Hearth: not downloaded",
                        details: [`${state.error.path ?? "The model"} is not downloaded yet.`],
                        severity: "warning",
                    }
                  : state.error.kind === "insufficientMemory"
                    ? {
                          text: "$(warning) Hearth: not enough memory",
                          details: [state.error.detail, ...(state.error.path ? [state.error.path] : [])],
                          severity: "warning",
                      }
                    : {
                          text: "$(error) Hearth: error",
                          details: [`${state.error.kind}: ${state.error.detail}`, ...(state.error.path ? [state.error.path] : [])],
                          severity: "error",
                      };
        case "restarting":
            return {
                text: "$(sync~spin) Hearth: restarting",
                details: [state.reason, `Restarting in ${(state.delayMs / 1000).toFixed(1)} s (crash ${state.crashesInWindow} of 5 allowed within 3 minutes).`],
                severity: "warning",
            };
        case "stopped":
            return { text: "$(circle-slash) Hearth: stopped", details: [state.reason, "Click to restart the engine."], severity: "error" };
    }
}

/**
 * Ready, with a server engine serving a role: which engine and model serve each role, the local
 * engine's details when it serves one, and the servers' problems (each request tries them again).
 */
function presentServers(
    state: Extract<EngineState, { kind: "ready" }>,
    completionLatencyMs: number | undefined,
    requestProblems: readonly EngineErrorData[],
): StatusPresentation {
    const { model, threads, contextSize, modelLoadMs } = state.load;
    const chat = state.load.chatModel ?? model;
    const problems = [...(state.load.serverProblems ?? []).map((problem) => problem.error), ...requestProblems];
    const messages = [...new Set(problems.map((error) => describeEngineError(error).message))];
    const sameKind = model.server !== undefined && model.server.kind === chat.server?.kind ? ` (${model.server.kind})` : undefined;
    const names =
        chat === model
            ? serverLabels([model], 40).join("")
            : sameKind !== undefined // "qwen2.5-coder:1.5b + coder:7b (ollama)"
              ? `${modelPairName(model.name, chat.name, 40 - sameKind.length)}${sameKind}`
              : serverLabels([model, chat], 37).join(" + ");
    const engine = (info: ModelInfo): string =>
        info.server !== undefined
            ? `${serverKindName(info.server.kind)} ${info.server.url} · ${info.name}`
            : `local · ${info.name} (${info.architecture}, ${formatCount(info.parameterCount)} parameters, ${formatBytes(info.fileSizeBytes)})`;
    const local = [model, chat].some((info) => info.server === undefined);
    const fim = model.fim === null ? "no" : "template" in model.fim ? `yes (${model.fim.template} template)` : "yes";
    const chatTemplate = chat.hasChatTemplate ? (chat.chatWrapper ?? "yes") : "no";
    return {
        text: `${messages.length > 0 ? "$(warning)" : "$(flame)"} ${names}`,
        details: [
            messages.length > 0 ? "Hearth is ready, but a server engine has a problem:" : "Hearth is ready.",
            ...messages.map((message) => `⚠ ${message}`),
            `Completions: ${engine(model)}`,
            `Chat: ${engine(chat)}`,
            ...(local
                ? [
                      `Backend: ${backendName(state.backend.backend)}${state.backend.gpuDevices.length > 0 ? ` (${state.backend.gpuDevices.join(", ")})` : ""}, ${threads} thread${threads === 1 ? "" : "s"}`,
                      `Context: ${contextSize} tokens; about ${formatBytes(state.load.memory.modelBytes + state.load.memory.contextBytes)} of memory`,
                  ]
                : []),
            `Completions (fill-in-the-middle): ${fim} · Chat template: ${chatTemplate}`,
            `Loaded in ${modelLoadMs} ms`,
            ...(completionLatencyMs !== undefined ? [`Last completion: ${completionLatencyMs} ms from keystroke to suggestion`] : []),
            "Click for Hearth's menu: models, settings, log, restart.",
        ],
        severity: messages.length > 0 || model.isDemo || chat.isDemo ? "warning" : "normal",
    };
}

/**
 * "qwen2.5-coder:1.5b (ollama)": each model's short name, with the engine's kind after a server's, all in
 * `room` characters; a name shorter than its half leaves the rest to the other.
 */
function serverLabels(models: readonly ModelInfo[], room: number): string[] {
    const kinds = models.map((info) => (info.server !== undefined ? ` (${info.server.kind})` : ""));
    const names = models.map((info) => shortModelName(info.name, room));
    let left = room - kinds.reduce((sum, kind) => sum + kind.length, 0);
    const fitted = names.map((name, index) => {
        // The others' shares: each its length, at most an even share of what is left.
        const share = Math.max(8, Math.floor(left / (names.length - index)));
        const others = names.slice(index + 1).reduce((sum, other) => sum + Math.min(other.length, share), 0);
        const fitting = name.length <= left - others ? name : shortModelName(name, Math.max(8, left - others));
        left -= fitting.length;
        return fitting;
    });
    return fitted.map((name, index) => `${name}${kinds[index] ?? ""}`);
}

function fileName(path: string): string {
    return path.split(/[\\/]/).pop() ?? path;
}

function formatCount(count: number): string {
    if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
    if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
    return `${Math.round(count / 1e3)}K`;
}
