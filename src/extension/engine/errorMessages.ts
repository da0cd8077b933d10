import type { EngineErrorData } from "../../protocol/engineProtocol";

/** Things a user can do about an engine problem; each becomes a button. */
export type EngineAction = "chooseModelFile" | "openSettings" | "showLog" | "restartEngine";

export interface EngineProblem {
    readonly message: string;
    readonly actions: readonly EngineAction[];
}

/** The words and buttons for an engine error: what failed, which file, what to do. */
export function describeEngineError(error: EngineErrorData): EngineProblem {
    const file = error.path !== undefined ? `"${error.path}"` : "The model file";
    switch (error.kind) {
        case "noModel":
            return {
                message: "Hearth has no model yet. Choose a GGUF model file (for example Qwen2.5-Coder 1.5B) to start.",
                actions: ["chooseModelFile", "openSettings"],
            };
        case "fileMissing":
            return {
                message: `Hearth: the model file ${file} does not exist. Choose another file or correct the "hearth.model" setting.`,
                actions: ["chooseModelFile", "openSettings"],
            };
        case "notAFile":
            return { message: `Hearth: ${file} is a folder, not a model file. Choose a .gguf file.`, actions: ["chooseModelFile", "openSettings"] };
        case "unreadable":
            return {
                message: `Hearth cannot read the model file ${file}: ${error.detail} Check its permissions or choose another file.`,
                actions: ["chooseModelFile", "openSettings", "showLog"],
            };
        case "notGguf":
            return {
                message: `Hearth: ${file} is not a GGUF model. ${error.detail} Hearth runs llama.cpp's GGUF files: choose a .gguf model.`,
                actions: ["chooseModelFile", "openSettings"],
            };
        case "truncated":
            return {
                message: `Hearth: the model file ${file} is incomplete or damaged. ${error.detail} Download it again or choose another file.`,
                actions: ["chooseModelFile", "showLog"],
            };
        case "unsupportedArchitecture":
            return {
                message: `Hearth cannot run ${file}: ${error.detail} Choose a model of a supported family (Qwen2.5-Coder, Llama, DeepSeek-Coder, StarCoder2…).`,
                actions: ["chooseModelFile", "showLog"],
            };
        case "backendUnavailable":
            return {
                message: `Hearth could not start its compute backend. ${error.detail} Set "hearth.gpu" to "auto" or "cpu".`,
                actions: ["openSettings", "showLog"],
            };
        case "outOfMemory":
            return {
                message: `There is not enough memory to load ${file}. Choose a smaller model or a smaller "hearth.contextSize".`,
                actions: ["chooseModelFile", "openSettings", "showLog"],
            };
        case "noFimTokens":
            return {
                message: `Hearth: ${file} has no fill-in-the-middle tokens, so it cannot complete code as you type. Choose a base coder model (for example Qwen2.5-Coder 1.5B, not an Instruct model).`,
                actions: ["chooseModelFile", "openSettings"],
            };
        case "contextOverflow":
            return { message: `Hearth: ${error.detail}`, actions: ["openSettings"] };
        case "noModelLoaded":
        case "loadFailed":
        case "notInitialized":
        case "cancelled":
            return {
                message: `Hearth could not load ${file}: ${error.detail}`,
                actions: ["showLog", "restartEngine", "chooseModelFile"],
            };
    }
}

export const actionLabels: Readonly<Record<EngineAction, string>> = {
    chooseModelFile: "Choose Model File…",
    openSettings: "Open Settings",
    showLog: "Show Log",
    restartEngine: "Restart Engine",
};
