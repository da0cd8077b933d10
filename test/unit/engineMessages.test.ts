import assert from "node:assert/strict";
import type { EngineErrorData, EngineErrorKind, InitializeResult, LoadModelResult } from "../../src/protocol/engineProtocol";
import { actionLabels, describeEngineError } from "../../src/extension/engine/errorMessages";
import { presentEngineState } from "../../src/extension/engine/statusText";

const fileKinds: EngineErrorKind[] = ["fileMissing", "notAFile", "unreadable", "notGguf", "truncated", "unsupportedArchitecture", "outOfMemory", "loadFailed"];

describe("engine error messages", () => {
    for (const kind of fileKinds) {
        it(`${kind}: names the file and offers a way out`, () => {
            const error: EngineErrorData = { kind, path: "/models/broken.gguf", detail: "detail text." };
            const problem = describeEngineError(error);
            assert.match(problem.message, /"\/models\/broken\.gguf"/);
            assert.ok(problem.actions.length >= 2, "at least two buttons");
            assert.ok(problem.actions.includes("chooseModelFile") || problem.actions.includes("restartEngine"));
        });
    }

    it("noModel asks for a model file", () => {
        const problem = describeEngineError({ kind: "noModel", detail: "" });
        assert.match(problem.message, /Choose a GGUF model file/);
        assert.equal(problem.actions[0], "chooseModelFile");
    });

    it("backendUnavailable points at the gpu setting", () => {
        const problem = describeEngineError({ kind: "backendUnavailable", detail: "No CUDA." });
        assert.match(problem.message, /hearth\.gpu/);
        assert.ok(problem.actions.includes("openSettings"));
    });

    it("every action has a button label", () => {
        for (const kind of [...fileKinds, "noModel", "backendUnavailable"] as EngineErrorKind[]) {
            for (const action of describeEngineError({ kind, detail: "" }).actions) assert.ok(actionLabels[action].length > 0);
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
        threads: 1,
        contextSize: 2048,
        modelLoadMs: 40,
        contextCreateMs: 10,
    };

    it("ready shows model and backend", () => {
        const shown = presentEngineState({ kind: "ready", backend, load });
        assert.equal(shown.text, "$(flame) Hearth: Tiny Coder · CPU");
        assert.equal(shown.severity, "normal");
        assert.ok(shown.details.some((line) => line.includes("1 thread") && line.includes("CPU")));
        assert.ok(shown.details.some((line) => line.includes("FIM tokens): yes") && line.includes("ChatML")));
    });

    it("a demo model is flagged", () => {
        const shown = presentEngineState({ kind: "ready", backend, load: { ...load, model: { ...load.model, isDemo: true } } });
        assert.equal(shown.severity, "warning");
        assert.match(shown.details[0] ?? "", /random output/);
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
