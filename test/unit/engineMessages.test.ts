import assert from "node:assert/strict";
import type { EngineErrorData, EngineErrorKind, InitializeResult, LoadModelResult } from "../../src/protocol/engineProtocol";
import { actionLabel, describeEngineError, settingsFilterFor } from "../../src/extension/engine/errorMessages";
import { presentEngineState } from "../../src/extension/engine/statusText";
import { formatBytes as formatSize } from "../../src/common/units";

const fileKinds: EngineErrorKind[] = ["fileMissing", "notAFile", "unreadable", "notGguf", "truncated", "unsupportedArchitecture", "outOfMemory", "loadFailed"];

describe("engine error messages", () => {
    for (const kind of fileKinds) {
        it(`${kind}: names the file and offers a way out`, () => {
            const error: EngineErrorData = { kind, path: "/models/broken.gguf", detail: "detail text." };
            const problem = describeEngineError(error);
            assert.match(problem.message, /"\/models\/broken\.gguf"/);
            assert.ok(problem.actions.length >= 2, "at least two buttons");
            assert.ok(problem.actions.includes("selectModel") || problem.actions.includes("restartEngine"));
        });
    }

    it("noModel offers the recommended download first, then Choose Model and the walkthrough", () => {
        const problem = describeEngineError({ kind: "noModel", detail: "" });
        assert.match(problem.message, /recommended models for this machine/);
        assert.deepEqual(problem.actions, ["downloadRecommended", "selectModel", "openWalkthrough"]);
    });

    it("modelNotDownloaded names the reference and offers the download", () => {
        const problem = describeEngineError({ kind: "modelNotDownloaded", path: "hf:o/r/m.gguf", detail: "42% downloaded" });
        assert.match(problem.message, /hf:o\/r\/m\.gguf is not downloaded yet \(42% downloaded\)/);
        assert.equal(problem.actions[0], "downloadModel");
    });

    it("insufficientMemory says what is needed and free, and offers the context that fits", () => {
        const memory = { pool: "ram", modelBytes: 8.1e9, contextBytes: 1.2e9, availableBytes: 6e9, contextSize: 32768, fittingContextSize: 8192 } as const;
        const problem = describeEngineError({ kind: "insufficientMemory", path: "/m/big.gguf", detail: "", memory });
        assert.match(problem.message, /needs about 9\.3 GB of memory \(weights 8\.1 GB, context 1\.2 GB for 32768 tokens\), but only 6\.0 GB is free/);
        assert.deepEqual(problem.actions, ["useFittingContext", "selectModel", "loadAnyway"]);
        assert.equal(actionLabel("useFittingContext", { kind: "insufficientMemory", detail: "", memory }), "Use a 8192-token Context");
        assert.equal(actionLabel("selectModel", { kind: "insufficientMemory", detail: "", memory }), "Choose a Smaller Model…");
    });

    it("insufficientMemory without a fitting context offers a smaller model or quantisation", () => {
        const memory = { pool: "unified", modelBytes: 60e9, contextBytes: 1e9, availableBytes: 12e9, contextSize: 4096, fittingContextSize: null } as const;
        const problem = describeEngineError({ kind: "insufficientMemory", path: "/m/huge.gguf", detail: "", memory });
        assert.match(problem.message, /smaller quantisation/);
        assert.deepEqual(problem.actions, ["selectModel", "loadAnyway"]);
    });

    it("sizes are shown in decimal units", () => {
        assert.equal(formatSize(1_646_572_160), "1.6 GB");
        assert.equal(formatSize(531_068_000), "531 MB");
        assert.equal(formatSize(300_000), "300 kB");
    });

    it("backendUnavailable points at the gpu setting", () => {
        const problem = describeEngineError({ kind: "backendUnavailable", detail: "No CUDA." });
        assert.match(problem.message, /hearth\.gpu/);
        assert.ok(problem.actions.includes("openSettings"));
    });

    it("Open Settings narrows the list to the settings the error is about", () => {
        assert.equal(settingsFilterFor({ kind: "fileMissing", detail: "", path: "/m.gguf" }), "model");
        assert.equal(settingsFilterFor({ kind: "notGguf", detail: "", path: "/m.gguf" }), "model");
        assert.equal(settingsFilterFor({ kind: "backendUnavailable", detail: "" }), "gpu");
        assert.equal(settingsFilterFor({ kind: "contextOverflow", detail: "" }), "context");
        assert.equal(settingsFilterFor(undefined), undefined, "from the menu: all of Hearth's settings");
    });

    it("every action has a button label", () => {
        for (const kind of [
            ...fileKinds,
            "noModel",
            "backendUnavailable",
            "modelNotDownloaded",
            "insufficientMemory",
            "invalidModelReference",
        ] as EngineErrorKind[]) {
            for (const action of describeEngineError({ kind, detail: "" }).actions) assert.ok(actionLabel(action).length > 0);
        }
    });
});

describe("status bar presentation", () => {
    const backend: InitializeResult = { backend: "cpu", gpuDevices: [], cpuMathCores: 2, nodeVersion: "v20", llamaCppRelease: "b1", backendLoadMs: 500 };
    const load: LoadModelResult = {
        model: {
            path: "/m/tiny.gguf",
            name: "Tiny Coder",
            architecture: "qwen2",
            fileSizeBytes: 3 << 20,
            parameterCount: 2_500_000,
            trainContextSize: 4096,
            fim: { prefix: 1, suffix: 2, middle: 3 },
            hasFileSeparator: true,
            hasChatTemplate: true,
            chatWrapper: "ChatML",
            isDemo: false,
        },
        chatModel: null,
        memory: { pool: "ram", modelBytes: 3 << 20, contextBytes: 5 << 20, availableBytes: 16e9, contextSize: 2048, fittingContextSize: 2048 },
        threads: 1,
        contextSize: 2048,
        modelLoadMs: 40,
        contextCreateMs: 10,
    };

    it("ready shows the icon and a short model name; the backend and the rest are in the tooltip", () => {
        const shown = presentEngineState({ kind: "ready", backend, load }, 85);
        assert.equal(shown.text, "$(flame) Tiny Coder");
        assert.ok(shown.details.includes("Last completion: 85 ms from keystroke to suggestion"));
        assert.equal(shown.severity, "normal");
        assert.ok(shown.details.some((line) => line.includes("1 thread") && line.includes("CPU")));
        assert.ok(shown.details.some((line) => line.includes("FIM tokens): yes") && line.includes("ChatML")));
    });

    it("a demo model is flagged, its name short", () => {
        const shown = presentEngineState({
            kind: "ready",
            backend,
            load: { ...load, model: { ...load.model, name: "Hearth demo model (random weights)", isDemo: true } },
        });
        assert.equal(shown.text, "$(flame) Hearth demo model");
        assert.equal(shown.severity, "warning");
        assert.match(shown.details[0] ?? "", /random output/);
    });

    it("two models: both names, the second without what it shares with the first", () => {
        const chatModel = { ...load.model, name: "Qwen2.5 Coder 7B Instruct", path: "/m/chat.gguf" };
        const shown = presentEngineState({ kind: "ready", backend, load: { ...load, model: { ...load.model, name: "Qwen2.5 Coder 1.5B" }, chatModel } });
        assert.equal(shown.text, "$(flame) Qwen2.5 Coder 1.5B + 7B Instruct");
        assert.match(shown.details[0] ?? "", /Qwen2\.5 Coder 1\.5B for completions, Qwen2\.5 Coder 7B Instruct for chat/);
    });

    it("no state's text is longer than the status bar should carry", () => {
        const long = { ...load.model, name: "A Very Long Model Name From Some Converter v2 Q4_K_M (GGUF) with extras" };
        const states = [
            presentEngineState({ kind: "ready", backend, load: { ...load, model: long } }, 12345),
            presentEngineState({ kind: "ready", backend, load: { ...load, model: long, chatModel: { ...long, name: `${long.name} Instruct` } } }, 12345),
            presentEngineState({ kind: "loading", backend, modelPath: "/m/x.gguf", stage: "context", progress: 1 }),
            presentEngineState({ kind: "error", error: { kind: "insufficientMemory", detail: "" } }),
            presentEngineState({ kind: "restarting", delayMs: 500, crashesInWindow: 4, reason: "r" }),
        ];
        for (const shown of states) assert.ok(shown.text.replace(/\$\([^)]*\)\s*/g, "").length <= 40, shown.text);
    });

    it("loading shows progress", () => {
        const shown = presentEngineState({ kind: "loading", backend, modelPath: "/m/tiny.gguf", stage: "model", progress: 0.42 });
        assert.equal(shown.text, "$(loading~spin) Hearth: loading 42%");
        assert.match(shown.details[0] ?? "", /tiny\.gguf/);
    });

    it("errors, restarts and stops are marked", () => {
        assert.equal(presentEngineState({ kind: "error", error: { kind: "noModel", detail: "" } }).severity, "warning");
        assert.equal(presentEngineState({ kind: "error", error: { kind: "notGguf", detail: "x", path: "/a" } }).severity, "error");
        assert.match(presentEngineState({ kind: "restarting", delayMs: 500, crashesInWindow: 1, reason: "r" }).text, /restarting/);
        assert.match(presentEngineState({ kind: "stopped", reason: "r" }).text, /stopped/);
    });
});
