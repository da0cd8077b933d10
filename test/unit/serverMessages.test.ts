// What users see of server engines: the words and buttons of each server error, the status bar's
// text and tooltip per role, and the notices of a load's server problems (shown, kept, closed).
import { settle, vscodeStub } from "./vscodeStub";
import assert from "node:assert/strict";
import type { EngineErrorData, EngineErrorKind, InitializeResult, LoadModelResult, ModelInfo } from "../../src/protocol/engineProtocol";
import { actionArgs, actionLabel, describeEngineError, settingsFilterFor, settingsQuery } from "../../src/extension/engine/errorMessages";
import { presentEngineState } from "../../src/extension/engine/statusText";
import type { EngineState } from "../../src/extension/engine/engineState";
import { EngineNotifier } from "../../src/extension/status/engineNotifier";
import { commandFor } from "../../src/extension/status/engineCommands";

const ollama = { kind: "ollama", url: "http://gpu-box:11434", role: "chat" } as const;
const serverError = (kind: EngineErrorKind, detail = "", server: EngineErrorData["server"] = ollama): EngineErrorData => ({ kind, detail, server });

describe("server engine errors: words and buttons", () => {
    it("unreachable names the server, the role and the setting; offers its settings and Retry", () => {
        const error = serverError("serverUnreachable", "connect ECONNREFUSED 10.0.0.5:11434");
        const problem = describeEngineError(error);
        assert.equal(
            problem.message,
            'Hearth cannot reach the Ollama server for chat at http://gpu-box:11434. connect ECONNREFUSED 10.0.0.5:11434. Check that the server is running and that "hearth.chat.serverUrl" is its address, then retry.',
        );
        assert.deepEqual(problem.actions, ["openSettings", "reloadEngine"]);
        assert.deepEqual(actionArgs("openSettings", error), ["chatServer"], "the chat server's settings");
        assert.equal(actionLabel("reloadEngine", error), "Retry");
    });

    it("a URL setting Hearth cannot use reads as such (no address to name)", () => {
        const error: EngineErrorData = {
            kind: "serverUnreachable",
            detail: '"hearth.completions.serverUrl" is not an http(s) URL: "gpu:8080". Set it to the server\'s address, such as http://127.0.0.1:8080.',
            server: { kind: "llama.cpp", url: "", role: "completion" },
        };
        const { message } = describeEngineError(error);
        assert.equal(
            message,
            'Hearth cannot use the llama.cpp server for completions: "hearth.completions.serverUrl" is not an http(s) URL: "gpu:8080". Set it to the server\'s address, such as http://127.0.0.1:8080.',
        );
        assert.deepEqual(describeEngineError(error).actions, ["openSettings"], "a retry would not help");
        assert.deepEqual(actionArgs("openSettings", error), ["completionServer"]);
    });

    it("unauthorized offers Set API Key… for that server, then its settings", () => {
        const error = serverError("serverUnauthorized", "401 Unauthorized", {
            kind: "openai",
            url: "https://llm.example.com/v1",
            role: "completion",
            status: 401,
        });
        const problem = describeEngineError(error);
        assert.match(problem.message, /^The OpenAI-compatible server for completions at https:\/\/llm\.example\.com\/v1 refused Hearth's API key \(HTTP 401\)/);
        assert.match(problem.message, /Hearth: Set API Key…/);
        assert.deepEqual(problem.actions, ["setApiKey", "openSettings"]);
        assert.equal(actionLabel("setApiKey", error), "Set API Key…");
        assert.deepEqual(actionArgs("setApiKey", error), ["https://llm.example.com/v1"], "the key of this server");
        assert.deepEqual(actionArgs("openSettings", error), ["completionServer"]);
    });

    it("not found points at the model setting", () => {
        const problem = describeEngineError(serverError("serverNotFound", 'model "qwen3:99b" not found', { ...ollama, status: 404 }));
        assert.match(
            problem.message,
            /does not have the model or the API Hearth asked for \(HTTP 404\)\. model "qwen3:99b" not found\. Check "hearth\.chat\.serverModel"/,
        );
        assert.deepEqual(problem.actions, ["openSettings"]);
    });

    it("a server's own error and an answer Hearth cannot read offer Retry and the log", () => {
        const failed = describeEngineError(serverError("serverFailed", "out of memory", { ...ollama, status: 500 }));
        assert.match(failed.message, /^The Ollama server for chat at http:\/\/gpu-box:11434 answered with an error \(HTTP 500\)\. out of memory\./);
        assert.deepEqual(failed.actions, ["reloadEngine", "showLog"]);
        const bad = describeEngineError(serverError("serverBadResponse", "The answer was not JSON"));
        assert.match(bad.message, /could not understand the answer of the Ollama server for chat.*"hearth\.chat\.engine" names the kind of server/);
        assert.deepEqual(bad.actions, ["reloadEngine", "showLog"]);
    });

    it("a timeout is the server's when a server is named, the engine's otherwise", () => {
        const server = describeEngineError(serverError("timedOut", "no answer within 30 s"));
        assert.match(server.message, /^The Ollama server for chat at http:\/\/gpu-box:11434 did not answer in time\. no answer within 30 s\./);
        assert.deepEqual(server.actions, ["reloadEngine", "openSettings", "showLog"]);
        const local = describeEngineError({ kind: "timedOut", detail: "no answer within 30 s" });
        assert.match(local.message, /^Hearth's engine did not answer in time/);
        assert.deepEqual(local.actions, ["showLog", "restartEngine"]);
    });

    it("a server problem about both roles names neither, and opens both roles' settings", () => {
        const error = serverError("serverUnreachable", "", { kind: "ollama", url: "http://gpu-box:11434" });
        assert.match(
            describeEngineError(error).message,
            /^Hearth cannot reach the Ollama server at http:\/\/gpu-box:11434\. Check .* "hearth\.completions\.serverUrl" or "hearth\.chat\.serverUrl"/,
        );
        assert.equal(settingsFilterFor(error), "servers");
    });

    it("Open Settings shows exactly a role's engine settings", () => {
        assert.equal(
            settingsQuery("hearth-dev.hearth", "completionServer"),
            "@id:hearth.completions.engine,hearth.completions.serverUrl,hearth.completions.serverModel",
        );
        assert.equal(
            settingsQuery("hearth-dev.hearth", "servers"),
            "@id:hearth.completions.engine,hearth.completions.serverUrl,hearth.completions.serverModel,hearth.chat.engine,hearth.chat.serverUrl,hearth.chat.serverModel",
        );
        assert.equal(settingsQuery("hearth-dev.hearth", "model"), "@ext:hearth-dev.hearth model", "the other filters are words, as before");
        assert.equal(settingsQuery("hearth-dev.hearth", undefined), "@ext:hearth-dev.hearth");
    });

    it("every server action has a label and a command", () => {
        for (const kind of ["serverUnreachable", "serverUnauthorized", "serverNotFound", "serverFailed", "serverBadResponse", "timedOut"] as const) {
            const error = serverError(kind, "d");
            for (const action of describeEngineError(error).actions) {
                assert.ok(actionLabel(action, error).length > 0);
                assert.match(commandFor(action), /^hearth\.[a-zA-Z]+$/);
            }
        }
    });
});

const backend: InitializeResult = { backend: "cuda", gpuDevices: ["RTX 4090"], cpuMathCores: 8, nodeVersion: "v20", llamaCppRelease: "b1", backendLoadMs: 500 };
const localModel: ModelInfo = {
    path: "/m/coder.gguf",
    name: "Qwen2.5 Coder 1.5B",
    architecture: "qwen2",
    fileSizeBytes: 1.6e9,
    parameterCount: 1.5e9,
    trainContextSize: 32768,
    fim: { prefix: 1, suffix: 2, middle: 3 },
    hasFileSeparator: true,
    hasChatTemplate: true,
    chatWrapper: "ChatML",
    isDemo: false,
};
const serverModel = (kind: "ollama" | "llama.cpp" | "openai", url: string, name: string, fim: ModelInfo["fim"] = { template: "qwen2.5-coder" }): ModelInfo => ({
    path: url,
    name,
    architecture: "",
    fileSizeBytes: 0,
    parameterCount: 0,
    trainContextSize: null,
    fim,
    hasFileSeparator: false,
    hasChatTemplate: true,
    chatWrapper: null,
    isDemo: false,
    server: { kind, url },
});
const loaded = (
    model: ModelInfo,
    chatModel: ModelInfo | null,
    serverProblems?: LoadModelResult["serverProblems"],
): Extract<EngineState, { kind: "ready" }> => ({
    kind: "ready",
    backend,
    load: {
        model,
        chatModel,
        memory: { pool: "vram", modelBytes: 1.6e9, contextBytes: 2e8, availableBytes: 2e10, contextSize: 4096, fittingContextSize: 4096 },
        threads: 4,
        contextSize: 4096,
        modelLoadMs: 900,
        contextCreateMs: 50,
        ...(serverProblems !== undefined ? { serverProblems } : {}),
    },
});

describe("status bar with server engines", () => {
    it("one server for both roles: its model and kind; no local engine lines", () => {
        const shown = presentEngineState(loaded(serverModel("ollama", "http://gpu:11434", "qwen2.5-coder:1.5b"), null));
        assert.equal(shown.text, "$(flame) qwen2.5-coder:1.5b (ollama)");
        assert.equal(shown.severity, "normal");
        assert.ok(shown.details.includes("Completions: Ollama server http://gpu:11434 · qwen2.5-coder:1.5b"), shown.details.join("\n"));
        assert.ok(shown.details.includes("Chat: Ollama server http://gpu:11434 · qwen2.5-coder:1.5b"));
        assert.ok(!shown.details.some((line) => line.startsWith("Backend:")), "no local model: the backend does not matter");
        assert.ok(shown.details.some((line) => line.includes("fill-in-the-middle): yes (qwen2.5-coder template)")));
    });

    it("completions on a server, chat local: each role's engine, and the local engine's backend", () => {
        const chatModel = { ...localModel, path: "/m/chat.gguf", name: "Qwen2.5 Coder 7B Instruct" };
        const shown = presentEngineState(loaded(serverModel("llama.cpp", "http://gpu:8080", "qwen2.5-coder-7b-q8_0.gguf"), chatModel), 120);
        assert.ok(shown.details.includes("Completions: llama.cpp server http://gpu:8080 · qwen2.5-coder-7b-q8_0.gguf"), shown.details.join("\n"));
        assert.ok(shown.details.includes("Chat: local · Qwen2.5 Coder 7B Instruct (qwen2, 1.5B parameters, 1.6 GB)"), shown.details.join("\n"));
        assert.ok(shown.details.some((line) => line.startsWith("Backend: CUDA (RTX 4090), 4 threads")));
        assert.ok(shown.details.includes("Last completion: 120 ms from keystroke to suggestion"));
        assert.match(shown.text, /^\$\(flame\) qwen2\.5-\S* \(llama\.cpp\) \+ Qwen2\.5 \S+/, "each name, the server's with its kind");
        assert.ok(shown.text.replace(/\$\([^)]*\)\s*/g, "").length <= 40, shown.text);
    });

    it("two models of one kind of server: the kind once, the second name without the words it shares", () => {
        const shown = presentEngineState(
            loaded(serverModel("ollama", "http://gpu:11434", "qwen2.5-coder:1.5b"), serverModel("ollama", "http://gpu:11434", "qwen2.5-coder:7b")),
        );
        assert.equal(shown.text, "$(flame) qwen2.5-coder:… + coder:7b (ollama)");
    });

    it("a load's server problem: a warning icon, and the problem in the tooltip", () => {
        const error = serverError("serverUnreachable", "connect ECONNREFUSED", { kind: "openai", url: "http://gpu:8000/v1", role: "chat" });
        const shown = presentEngineState(loaded(localModel, serverModel("openai", "http://gpu:8000/v1", "qwen-7b"), [{ role: "chat", error }]));
        assert.match(shown.text, /^\$\(warning\) /);
        assert.equal(shown.severity, "warning");
        assert.ok(shown.details.some((line) => line.includes(describeEngineError(error).message)));
        assert.ok(shown.details.includes("Chat: OpenAI-compatible server http://gpu:8000/v1 · qwen-7b"));
        assert.ok(shown.details.some((line) => line.startsWith("Completions: local · Qwen2.5 Coder 1.5B")));
    });

    it("a server's failing requests warn the same way, until they are gone", () => {
        const state = loaded(serverModel("ollama", "http://gpu:11434", "qwen2.5-coder:1.5b"), null);
        const failing = presentEngineState(state, undefined, [
            serverError("serverFailed", "boom", { kind: "ollama", url: "http://gpu:11434", role: "completion" }),
        ]);
        assert.equal(failing.text, "$(warning) qwen2.5-coder:1.5b (ollama)");
        assert.ok(failing.details.some((line) => line.includes("answered with an error")));
        assert.equal(presentEngineState(state).text, "$(flame) qwen2.5-coder:1.5b (ollama)");
    });

    it("local models alone show as before: no per-role engine lines", () => {
        const shown = presentEngineState(loaded(localModel, null));
        assert.equal(shown.text, "$(flame) Qwen2.5 Coder 1.5B");
        assert.ok(!shown.details.some((line) => line.startsWith("Completions: local") || line.startsWith("Chat: local")));
        assert.match(shown.details[0] ?? "", /^Hearth is ready: Qwen2\.5 Coder 1\.5B$/);
    });
});

describe("notices of server problems", () => {
    let notifier: EngineNotifier;
    const unreachable = serverError("serverUnreachable", "connect ECONNREFUSED", { kind: "ollama", url: "http://gpu:11434" });
    const server = serverModel("ollama", "http://gpu:11434", "qwen2.5-coder:1.5b");

    beforeEach(() => {
        vscodeStub.reset();
        notifier = new EngineNotifier((action, error) => ({ command: commandFor(action), args: actionArgs(action, error) }));
    });
    afterEach(() => notifier.dispose());

    it("one notice per server problem, with its buttons; kept while the problem lasts, closed when a load has none", async () => {
        notifier.onEngineState(loaded(localModel, server, [{ role: "chat", error: unreachable }]));
        assert.equal(vscodeStub.notices.length, 1);
        const [notice] = vscodeStub.notices;
        assert.match(notice?.message ?? "", /^Hearth cannot reach the Ollama server for chat at http:\/\/gpu:11434\./);
        assert.ok(
            notice?.message.includes(`[Open Settings](command:hearth.openSettings?${encodeURIComponent(JSON.stringify(["chatServer"]))})`),
            notice?.message,
        );
        assert.ok(notice?.message.includes("[Retry](command:hearth.reloadEngine)"), notice?.message);
        assert.equal(notifier.openNotices.length, 1);

        notifier.onEngineState({ kind: "loading", backend, modelPath: "/m/coder.gguf", stage: "model", progress: 0.5 });
        notifier.onEngineState(loaded(localModel, server, [{ role: "chat", error: unreachable }]));
        assert.equal(vscodeStub.notices.length, 1, "the same problem again: no second notice");
        assert.equal(notice?.open, true);

        notifier.onEngineState(loaded(localModel, server));
        await settle();
        assert.equal(notice?.open, false, "the server answered: the notice closed");
        assert.deepEqual(notifier.openNotices, []);
    });

    it("one server down for both roles: one notice, about both roles' settings", () => {
        notifier.onEngineState(
            loaded(server, null, [
                { role: "completion", error: unreachable },
                { role: "chat", error: unreachable },
            ]),
        );
        assert.equal(vscodeStub.notices.length, 1);
        assert.match(vscodeStub.notices[0]?.message ?? "", /^Hearth cannot reach the Ollama server at http:\/\/gpu:11434\./);
        assert.ok(vscodeStub.notices[0]?.message.includes(encodeURIComponent(JSON.stringify(["servers"]))));
    });

    it("an unauthorized server's notice sets the key of that server", () => {
        const refused = serverError("serverUnauthorized", "", { kind: "openai", url: "https://llm.example.com/v1", status: 401 });
        notifier.onEngineState(loaded(serverModel("openai", "https://llm.example.com/v1", "m"), localModel, [{ role: "completion", error: refused }]));
        const message = vscodeStub.notices[0]?.message ?? "";
        assert.ok(message.includes(`[Set API Key…](command:hearth.setApiKey?${encodeURIComponent(JSON.stringify(["https://llm.example.com/v1"]))})`), message);
    });

    it("another problem of the same server replaces the notice", async () => {
        notifier.onEngineState(loaded(localModel, server, [{ role: "chat", error: unreachable }]));
        const refused = serverError("serverUnauthorized", "", { kind: "ollama", url: "http://gpu:11434", status: 403 });
        notifier.onEngineState(loaded(localModel, server, [{ role: "chat", error: refused }]));
        await settle();
        assert.deepEqual(
            vscodeStub.notices.map((notice) => notice.open),
            [false, true],
        );
        assert.equal(notifier.openNotices.length, 1);
        assert.match(notifier.openNotices[0] ?? "", /refused Hearth's API key/);
    });

    it("a dismissed notice is not shown again while its problem lasts; it is once the problem comes back", async () => {
        notifier.onEngineState(loaded(localModel, server, [{ role: "chat", error: unreachable }]));
        vscodeStub.notices[0]?.dismiss();
        await settle();
        assert.deepEqual(notifier.openNotices, []);
        notifier.onEngineState(loaded(localModel, server, [{ role: "chat", error: unreachable }]));
        assert.equal(vscodeStub.notices.length, 1, "still dismissed");
        notifier.onEngineState(loaded(localModel, server));
        notifier.onEngineState(loaded(localModel, server, [{ role: "chat", error: unreachable }]));
        assert.equal(vscodeStub.notices.length, 2, "back after it was gone");
    });

    it("an engine error closes the server notices (no load is in effect)", async () => {
        notifier.onEngineState(loaded(localModel, server, [{ role: "chat", error: unreachable }]));
        notifier.onEngineState({ kind: "error", backend, error: { kind: "fileMissing", path: "/m/coder.gguf", detail: "" } });
        await settle();
        assert.equal(vscodeStub.notices[0]?.open, false);
        assert.equal(notifier.openNotices.length, 1, "only the error's own notice");
        assert.match(notifier.openNotices[0] ?? "", /does not exist/);
    });

    it("a server's model without fill-in-the-middle: says so, and opens the completion server's settings", () => {
        notifier.onEngineState(loaded(serverModel("openai", "http://gpu:8000/v1", "Qwen2.5-7B-Instruct", null), null));
        const message = vscodeStub.notices[0]?.message ?? "";
        assert.match(
            message,
            /^Hearth: the model of the OpenAI-compatible server for completions at http:\/\/gpu:8000\/v1 \("Qwen2\.5-7B-Instruct"\) has no fill-in-the-middle support/,
        );
        assert.match(message, /"hearth\.completions\.serverModel".*or use the local engine for completions/);
        assert.ok(message.includes(encodeURIComponent(JSON.stringify(["completionServer"]))), message);
    });
});
