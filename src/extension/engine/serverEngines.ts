/**
 * Server engines (llama.cpp's server, Ollama, OpenAI-compatible servers) as users see them: their
 * names, the settings of each role, and where a server's API key is filed. Plain Node.
 */
import type { EngineRole, ServerKind } from "../../protocol/engineProtocol";

const kindNames: Readonly<Record<ServerKind, string>> = { "llama.cpp": "llama.cpp server", ollama: "Ollama server", openai: "OpenAI-compatible server" };

/** "llama.cpp server", "Ollama server", "OpenAI-compatible server". */
export function serverKindName(kind: ServerKind): string {
    return kindNames[kind];
}

/** Where each kind of server listens when it runs on this machine with its defaults: what an empty URL setting means. */
export const defaultServerUrls: Readonly<Record<ServerKind, string>> = {
    "llama.cpp": "http://127.0.0.1:8080",
    ollama: "http://127.0.0.1:11434",
    openai: "http://127.0.0.1:8000/v1",
};

/** A role in words, which is also its settings' section: `hearth.completions.*`, `hearth.chat.*`. */
export function roleWord(role: EngineRole): "completions" | "chat" {
    return role === "completion" ? "completions" : "chat";
}

/** The settings (under "hearth.") that choose a role's engine. */
export function serverSettingKeys(role: EngineRole): readonly string[] {
    const section = roleWord(role);
    return [`${section}.engine`, `${section}.serverUrl`, `${section}.serverModel`];
}

/**
 * The origin a server's API key is filed under (`http://gpu-box:8000`): one key per server, whatever
 * path its API has. Undefined for anything that is not an http(s) URL.
 */
export function serverOrigin(url: string): string | undefined {
    try {
        const parsed = new URL(url);
        return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : undefined;
    } catch {
        return undefined;
    }
}

/** The SecretStorage key of a server's API key. */
export function apiKeySecret(origin: string): string {
    return `${apiKeySecretPrefix}${origin}`;
}

export const apiKeySecretPrefix = "hearth.apiKey:";
