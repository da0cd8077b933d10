// Server engines in the settings: how Config reads them, what the engine is told to load for each
// combination of local and server roles, and the API keys filed by server origin in SecretStorage.
import { vscodeStub } from "./vscodeStub";
import assert from "node:assert/strict";
import type * as vscode from "vscode";
import { Config } from "../../src/extension/settings/config";
import { ApiKeys } from "../../src/extension/modelSetup/apiKeys";
import { ModelResolver } from "../../src/extension/modelSetup/modelResolver";
import type { ModelStore } from "../../src/extension/models/modelStore";

/** SecretStorage in memory, with what was stored. */
class FakeSecrets {
    readonly values = new Map<string, string>();
    get(key: string): Promise<string | undefined> {
        return Promise.resolve(this.values.get(key));
    }
    store(key: string, value: string): Promise<void> {
        this.values.set(key, value);
        return Promise.resolve();
    }
    delete(key: string): Promise<void> {
        this.values.delete(key);
        return Promise.resolve();
    }
}

class FakeMemento {
    readonly values = new Map<string, unknown>();
    get<T>(key: string): T | undefined {
        return this.values.get(key) as T | undefined;
    }
    update(key: string, value: unknown): Promise<void> {
        this.values.set(key, value);
        return Promise.resolve();
    }
}

/** A models folder with nothing downloaded. */
const emptyStore = { find: () => Promise.resolve(undefined), partials: () => Promise.resolve([]) } as unknown as ModelStore;

function set(settings: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(settings)) vscodeStub.settings.set(`hearth.${key}`, value);
}

describe("server engine settings", () => {
    beforeEach(() => vscodeStub.reset());

    it("local, the default, and a value settings.json should not hold, mean the local engine", () => {
        const config = new Config();
        assert.equal(config.serverFor("completion"), undefined);
        set({ "completions.engine": "local", "chat.engine": "gpt-4" });
        assert.equal(config.serverFor("completion"), undefined);
        assert.equal(config.serverFor("chat"), undefined);
    });

    it("an empty URL is the kind's usual local address", () => {
        const config = new Config();
        set({ "completions.engine": "llama.cpp", "chat.engine": "ollama", "chat.serverModel": "  qwen2.5-coder:7b " });
        assert.deepEqual(config.serverFor("completion"), { kind: "llama.cpp", url: "http://127.0.0.1:8080", model: "" });
        assert.deepEqual(config.serverFor("chat"), { kind: "ollama", url: "http://127.0.0.1:11434", model: "qwen2.5-coder:7b" });
        set({ "chat.engine": "openai", "chat.serverModel": 42 });
        assert.deepEqual(config.serverFor("chat"), { kind: "openai", url: "http://127.0.0.1:8000/v1", model: "" });
    });

    it("a URL keeps its path (an OpenAI API's /v1), without trailing slashes or surrounding spaces", () => {
        const config = new Config();
        set({ "completions.engine": "openai", "completions.serverUrl": " http://gpu-box:8000/v1/ ", "completions.serverModel": "Qwen/Qwen2.5-Coder-7B" });
        assert.deepEqual(config.serverFor("completion"), { kind: "openai", url: "http://gpu-box:8000/v1", model: "Qwen/Qwen2.5-Coder-7B" });
        set({ "completions.serverUrl": "https://LLM.example.com:443/" });
        assert.equal((config.serverFor("completion") as { url: string }).url, "https://llm.example.com");
    });

    for (const [raw, why] of [
        ["ftp://gpu-box/", /is not an http\(s\) URL: "ftp:\/\/gpu-box\/"/],
        ["gpu-box:8080", /is not an http\(s\) URL: "gpu-box:8080"/],
        ["not a url", /is not an http\(s\) URL: "not a url"/],
    ] as const) {
        it(`refuses ${JSON.stringify(raw)}, naming the setting and what to write`, () => {
            const config = new Config();
            set({ "chat.engine": "ollama", "chat.serverUrl": raw });
            const server = config.serverFor("chat");
            assert.ok(server !== undefined && "error" in server, "an error, not a server");
            assert.equal(server.error.kind, "serverUnreachable");
            assert.match(server.error.detail, /^"hearth\.chat\.serverUrl" /);
            assert.match(server.error.detail, why);
            assert.match(server.error.detail, /such as http:\/\/127\.0\.0\.1:11434/);
            assert.deepEqual(server.error.server, { kind: "ollama", url: "", role: "chat" });
        });
    }

    it("refuses credentials or a query in the URL without repeating them", () => {
        const config = new Config();
        set({ "completions.engine": "openai", "completions.serverUrl": "https://me:s3cret@llm.example.com/v1" });
        const withPassword = config.serverFor("completion");
        assert.ok(withPassword !== undefined && "error" in withPassword);
        assert.match(withPassword.error.detail, /user name or password.*Set API Key/);
        assert.doesNotMatch(JSON.stringify(withPassword), /s3cret/);
        set({ "completions.serverUrl": "https://llm.example.com/v1?api_key=s3cret" });
        const withQuery = config.serverFor("completion");
        assert.ok(withQuery !== undefined && "error" in withQuery);
        assert.match(withQuery.error.detail, /query or fragment/);
        assert.doesNotMatch(JSON.stringify(withQuery), /s3cret/);
    });

    it("a change of any of the six settings reloads the engine; other settings do not", () => {
        const config = new Config();
        const changed = (key: string): vscode.ConfigurationChangeEvent => ({ affectsConfiguration: (section: string) => section === key });
        for (const role of ["completions", "chat"])
            for (const key of ["engine", "serverUrl", "serverModel"]) assert.ok(config.affectsEngine(changed(`hearth.${role}.${key}`)), `${role}.${key}`);
        assert.ok(!config.affectsEngine(changed("hearth.chat.temperature")));
    });
});

describe("what the engine loads, for each role on the local engine or a server", () => {
    let secrets: FakeSecrets;
    let resolver: ModelResolver;

    beforeEach(() => {
        vscodeStub.reset();
        secrets = new FakeSecrets();
        const config = new Config();
        const keys = new ApiKeys(secrets as unknown as vscode.SecretStorage, new FakeMemento() as unknown as vscode.Memento, config);
        resolver = new ModelResolver(config, emptyStore, keys);
        set({ "completions.model": "/models/coder-1.5b.gguf", "chat.model": "/models/instruct-7b.gguf", threads: 2, contextSize: 2048 });
    });

    it("local and local: both files, no servers", async () => {
        const settings = await resolver.engineSettings();
        assert.equal(settings.modelPath, "/models/coder-1.5b.gguf");
        assert.equal(settings.chatModelPath, "/models/instruct-7b.gguf");
        assert.equal(settings.servers, undefined);
        assert.equal(settings.unavailable, undefined);
    });

    it("completions on a server, chat local: the chat model is the one file, the server gets its origin's key", async () => {
        set({ "completions.engine": "ollama", "completions.serverUrl": "http://gpu-box:11434/", "completions.serverModel": "qwen2.5-coder:1.5b" });
        await secrets.store("hearth.apiKey:http://gpu-box:11434", "sk-ollama");
        const settings = await resolver.engineSettings();
        assert.equal(settings.modelPath, "/models/instruct-7b.gguf");
        assert.equal(settings.chatModelPath, undefined);
        assert.deepEqual(settings.servers, { completion: { kind: "ollama", url: "http://gpu-box:11434", model: "qwen2.5-coder:1.5b", apiKey: "sk-ollama" } });
        assert.equal(settings.unavailable, undefined);
    });

    it("completions on a server and no chat model setting: the completion model's file serves chat", async () => {
        set({ "chat.model": "", "completions.engine": "llama.cpp" });
        const settings = await resolver.engineSettings();
        assert.equal(settings.modelPath, "/models/coder-1.5b.gguf");
        assert.deepEqual(settings.servers, { completion: { kind: "llama.cpp", url: "http://127.0.0.1:8080", model: "" } }, "no key stored: none sent");
    });

    it("chat on a server, completions local: the completion model is the one file", async () => {
        set({ "chat.engine": "openai", "chat.serverUrl": "https://llm.example.com/v1", "chat.serverModel": "qwen-7b" });
        await secrets.store("hearth.apiKey:https://llm.example.com", "sk-chat");
        await secrets.store("hearth.apiKey:http://127.0.0.1:8080", "sk-other-server");
        const settings = await resolver.engineSettings();
        assert.equal(settings.modelPath, "/models/coder-1.5b.gguf");
        assert.equal(settings.chatModelPath, undefined);
        assert.deepEqual(settings.servers, { chat: { kind: "openai", url: "https://llm.example.com/v1", model: "qwen-7b", apiKey: "sk-chat" } });
    });

    it("both on servers: no local file, each server with its own origin's key", async () => {
        set({
            "completions.engine": "llama.cpp",
            "completions.serverUrl": "http://gpu:8080",
            "chat.engine": "openai",
            "chat.serverUrl": "http://gpu:8000/v1",
            "chat.serverModel": "m",
        });
        await secrets.store("hearth.apiKey:http://gpu:8000", "sk-vllm");
        const settings = await resolver.engineSettings();
        assert.equal(settings.modelPath, "");
        assert.equal(settings.chatModelPath, undefined);
        assert.equal(settings.unavailable, undefined);
        assert.deepEqual(settings.servers, {
            completion: { kind: "llama.cpp", url: "http://gpu:8080", model: "" },
            chat: { kind: "openai", url: "http://gpu:8000/v1", model: "m", apiKey: "sk-vllm" },
        });
    });

    it("both on servers needs no model at all: nothing to download", async () => {
        set({ "completions.model": "hf:owner/repo/missing.gguf", "chat.model": "", "completions.engine": "ollama", "chat.engine": "ollama" });
        const settings = await resolver.engineSettings();
        assert.equal(settings.unavailable, undefined, "the hf: model that is not downloaded does not matter");
        assert.deepEqual(resolver.localRoles, []);
        assert.deepEqual(resolver.localReferences, []);
    });

    it("the local role's model not downloaded is still reported, with the server kept", async () => {
        set({ "chat.model": "hf:owner/repo/chat.gguf", "completions.engine": "ollama", "completions.serverModel": "qwen2.5-coder:1.5b" });
        const settings = await resolver.engineSettings();
        assert.equal(settings.unavailable?.kind, "modelNotDownloaded");
        assert.equal(settings.unavailable?.path, "hf:owner/repo/chat.gguf");
        assert.deepEqual(resolver.localReferences, ["hf:owner/repo/chat.gguf"], "only the chat model needs downloading");
    });

    it("a server URL Hearth cannot use makes the load report it", async () => {
        set({ "chat.engine": "llama.cpp", "chat.serverUrl": "file:///tmp/socket" });
        const settings = await resolver.engineSettings();
        assert.equal(settings.unavailable?.kind, "serverUnreachable");
        assert.match(settings.unavailable?.detail ?? "", /"hearth\.chat\.serverUrl" is not an http\(s\) URL/);
    });

    it("a model in use for a role a server serves is not marked in use", () => {
        set({ "completions.engine": "ollama" });
        assert.equal(resolver.inUseNote("/models/coder-1.5b.gguf"), "");
        assert.equal(resolver.inUseNote("/models/instruct-7b.gguf"), " · in use for chat");
    });
});

describe("API keys of server engines", () => {
    let secrets: FakeSecrets;
    let memento: FakeMemento;
    let keys: ApiKeys;

    beforeEach(() => {
        vscodeStub.reset();
        secrets = new FakeSecrets();
        memento = new FakeMemento();
        keys = new ApiKeys(secrets as unknown as vscode.SecretStorage, memento as unknown as vscode.Memento, new Config());
    });

    it("one server configured: asks for its key alone, in a password box, and files it under the server's origin", async () => {
        set({ "chat.engine": "openai", "chat.serverUrl": "https://llm.example.com/v1" });
        vscodeStub.answers.push("  sk-abc123\n");
        assert.equal(await keys.set(), true);
        assert.equal(vscodeStub.quickPicks.length, 0, "nothing to choose");
        const [box] = vscodeStub.inputBoxes;
        assert.equal(box?.password, true);
        assert.equal(box?.ignoreFocusOut, true);
        assert.match(box?.title ?? "", /https:\/\/llm\.example\.com/);
        assert.deepEqual([...secrets.values], [["hearth.apiKey:https://llm.example.com", "sk-abc123"]]);
        assert.equal(await keys.keyFor("https://llm.example.com/v1/chat/completions"), "sk-abc123", "any path of that origin");
        assert.equal(await keys.keyFor("http://llm.example.com/v1"), undefined, "not another origin (http)");
        assert.ok(!vscodeStub.messages.some((message) => message.includes("sk-abc123")), "the key is never shown");
        assert.ok(!JSON.stringify([...memento.values]).includes("sk-abc123"), "nor kept outside SecretStorage");
    });

    it("the password box refuses an empty key and one with spaces or line breaks", async () => {
        set({ "completions.engine": "ollama" });
        vscodeStub.answers.push(undefined);
        assert.equal(await keys.set(), false, "cancelled");
        assert.equal(secrets.values.size, 0);
        const validate = (text: string): unknown => vscodeStub.inputBoxes[0]?.validateInput?.(text);
        for (const bad of ["", "   ", "sk-a b", "sk-a\nb", "sk\tb"]) assert.equal(typeof validate(bad), "string", JSON.stringify(bad));
        assert.equal(validate("sk-abc_123.XYZ"), undefined);
        assert.equal(validate(" sk-abc \n"), undefined, "whitespace around a pasted key is dropped");
    });

    it("two servers configured: the user picks which one", async () => {
        set({ "completions.engine": "llama.cpp", "completions.serverUrl": "http://gpu:8080", "chat.engine": "openai", "chat.serverUrl": "http://gpu:8000/v1" });
        vscodeStub.answers.push((items) => items.find((item) => item.label === "http://gpu:8000"), "sk-vllm");
        assert.equal(await keys.set(), true);
        assert.deepEqual(
            vscodeStub.quickPicks[0]?.items.map((item) => [item.label, item.description]),
            [
                ["http://gpu:8080", "completions: llama.cpp server"],
                ["http://gpu:8000", "chat: OpenAI-compatible server"],
            ],
        );
        assert.deepEqual([...secrets.values], [["hearth.apiKey:http://gpu:8000", "sk-vllm"]]);
    });

    it("two roles on one server: one origin, no choice", async () => {
        set({ "completions.engine": "ollama", "chat.engine": "ollama", "chat.serverModel": "qwen2.5-coder:7b" });
        vscodeStub.answers.push("sk-1");
        assert.equal(await keys.set(), true);
        assert.equal(vscodeStub.quickPicks.length, 0);
        assert.deepEqual([...secrets.values.keys()], ["hearth.apiKey:http://127.0.0.1:11434"]);
    });

    it("no server configured: asks for the server's URL first", async () => {
        vscodeStub.answers.push("https://llm.example.com/v1", "sk-2");
        assert.equal(await keys.set(), true);
        const validateUrl = (text: string): unknown => vscodeStub.inputBoxes[0]?.validateInput?.(text);
        assert.equal(typeof validateUrl("llm.example.com"), "string", "not a URL");
        assert.equal(validateUrl("https://llm.example.com/v1"), undefined);
        assert.equal(vscodeStub.inputBoxes[1]?.password, true, "then the key");
        assert.deepEqual([...secrets.values], [["hearth.apiKey:https://llm.example.com", "sk-2"]]);
    });

    it("a notice's button names its server: no question but the key", async () => {
        set({ "completions.engine": "ollama", "chat.engine": "openai" });
        vscodeStub.answers.push("sk-3");
        assert.equal(await keys.set("http://127.0.0.1:8000/v1"), true);
        assert.equal(vscodeStub.quickPicks.length, 0);
        assert.deepEqual([...secrets.values.keys()], ["hearth.apiKey:http://127.0.0.1:8000"]);
    });

    it("Remove API Key offers the keys stored, and removes the one picked", async () => {
        assert.equal(await keys.clear(), false);
        assert.match(vscodeStub.messages.at(-1) ?? "", /no API key stored/);
        set({ "chat.engine": "openai", "chat.serverUrl": "http://gpu:8000/v1" });
        vscodeStub.answers.push("sk-a");
        await keys.set();
        vscodeStub.answers.push("sk-b");
        await keys.set("https://other.example.com/v1");
        vscodeStub.answers.push((items) => items.find((item) => item.label === "http://gpu:8000"));
        assert.equal(await keys.clear(), true);
        assert.deepEqual(
            vscodeStub.quickPicks.at(-1)?.items.map((item) => [item.label, item.description]),
            [
                ["http://gpu:8000", "used for chat"],
                ["https://other.example.com", "not used now"],
            ],
        );
        assert.deepEqual([...secrets.values.keys()], ["hearth.apiKey:https://other.example.com"]);
        assert.deepEqual(memento.values.get("hearth.apiKeyOrigins"), ["https://other.example.com"]);
    });

    it("only a change of a configured server's key reloads the engine", () => {
        set({ "completions.engine": "ollama", "completions.serverUrl": "http://gpu:11434" });
        assert.equal(keys.isInUse("hearth.apiKey:http://gpu:11434"), true);
        assert.equal(keys.isInUse("hearth.apiKey:http://gpu:8000"), false);
        assert.equal(keys.isInUse("something.else"), false);
    });
});
