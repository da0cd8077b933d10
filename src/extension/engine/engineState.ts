import type { EngineErrorData, GpuSetting, InitializeResult, LoadModelParams, LoadModelResult, LoadStage } from "../../protocol/engineProtocol";

/** What the engine needs from the user's settings. */
export interface EngineSettings {
    /** The completion model's file ("" when none is configured); with `servers`, the file for the roles no server serves. */
    readonly modelPath: string;
    /** Roles a server engine serves (the API key read from SecretStorage). */
    readonly servers?: LoadModelParams["servers"];
    /** The chat model's file when it is another file than `modelPath`. */
    readonly chatModelPath?: string;
    /**
     * Why the configured model cannot be loaded before the engine even looks at it (a Hugging
     * Face model not downloaded yet): the engine reports this instead of loading.
     */
    readonly unavailable?: EngineErrorData;
    /** Load past the memory estimate (the user chose "Load Anyway" for these files). */
    readonly ignoreMemoryFit?: boolean;
    readonly gpu: GpuSetting;
    readonly threads: number | "auto";
    readonly contextSize: number;
}

/** The engine as the extension sees it; drives the status bar and the API. */
export type EngineState =
    | { readonly kind: "starting" }
    | { readonly kind: "loading"; readonly modelPath: string; readonly stage: LoadStage; readonly progress: number; readonly backend: InitializeResult }
    | { readonly kind: "ready"; readonly backend: InitializeResult; readonly load: LoadModelResult }
    | { readonly kind: "error"; readonly error: EngineErrorData; readonly backend?: InitializeResult }
    | { readonly kind: "restarting"; readonly delayMs: number; readonly crashesInWindow: number; readonly reason: string }
    | { readonly kind: "stopped"; readonly reason: string };
