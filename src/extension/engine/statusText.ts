import type { Backend, ModelInfo } from "../../protocol/engineProtocol";
import type { EngineState } from "./engineState";
import { modelPairName, shortModelName } from "./modelNames";
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

/** What the status bar shows for each engine state: state, backend and model. */
export function presentEngineState(state: EngineState, completionLatencyMs?: number): StatusPresentation {
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

function fileName(path: string): string {
    return path.split(/[\\/]/).pop() ?? path;
}

function formatCount(count: number): string {
    if (count >= 1e9) return `${(count / 1e9).toFixed(1)}B`;
    if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
    return `${Math.round(count / 1e3)}K`;
}
