import * as vscode from "vscode";
import type { EngineRole } from "../../protocol/engineProtocol";
import type { Config, ServerSetting } from "../settings/config";
import { apiKeySecret, apiKeySecretPrefix, roleWord, serverKindName, serverOrigin } from "../engine/serverEngines";

/** The origins that have a key stored: not secret, and SecretStorage cannot list its keys. */
const storedOriginsKey = "hearth.apiKeyOrigins";

/** A server the settings name, by origin (one key serves every role on it). */
interface ConfiguredOrigin {
    readonly origin: string;
    readonly servers: readonly (ServerSetting & { readonly role: EngineRole })[];
}

/**
 * Server engines' API keys: one per server origin, in VS Code's SecretStorage. Never in the settings,
 * never in the log; sent only to the origin it was stored for. Storing or removing one changes a
 * secret, and the engine reloads on that change (see ModelSetup).
 */
export class ApiKeys {
    constructor(
        private readonly secrets: vscode.SecretStorage,
        private readonly globalState: vscode.Memento,
        private readonly config: Config,
    ) {}

    /** The key stored for the server at `url`, if any. */
    async keyFor(url: string): Promise<string | undefined> {
        const origin = serverOrigin(url);
        return origin === undefined ? undefined : await this.secrets.get(apiKeySecret(origin));
    }

    /** Whether a changed secret is the key of a server the settings use now (then the engine reloads). */
    isInUse(secret: string): boolean {
        return secret.startsWith(apiKeySecretPrefix) && this.configuredOrigins().some(({ origin }) => apiKeySecret(origin) === secret);
    }

    /** Hearth: Set API Key…: for the server `url` names (a notice's button), else one the user chooses. */
    async set(url?: unknown): Promise<boolean> {
        const origin = typeof url === "string" ? serverOrigin(url) : undefined;
        const chosen = origin ?? (await this.chooseOriginToSet());
        if (chosen === undefined) return false;
        const key = await vscode.window.showInputBox({
            title: `Hearth: API key for ${chosen}`,
            prompt: `Sent only to ${chosen}, as "Authorization: Bearer". VS Code keeps it in its secret storage: never in the settings or the log.`,
            password: true,
            ignoreFocusOut: true,
            validateInput: validateApiKey,
        });
        if (key === undefined || validateApiKey(key) !== undefined) return false;
        await this.secrets.store(apiKeySecret(chosen), key.trim());
        await this.remember(chosen, true);
        void vscode.window.showInformationMessage(`Hearth: the API key for ${chosen} is stored in VS Code's secret storage.`);
        return true;
    }

    /** Hearth: Remove API Key…: one of the keys stored, or the one of the server `url` names. */
    async clear(url?: unknown): Promise<boolean> {
        const named = typeof url === "string" ? serverOrigin(url) : undefined;
        const stored = this.storedOrigins();
        if (named === undefined && stored.length === 0) {
            void vscode.window.showInformationMessage("Hearth has no API key stored.");
            return false;
        }
        const origin = named ?? (await this.chooseStoredOrigin(stored));
        if (origin === undefined) return false;
        await this.secrets.delete(apiKeySecret(origin));
        await this.remember(origin, false);
        void vscode.window.showInformationMessage(`Hearth: the API key for ${origin} is removed.`);
        return true;
    }

    /** The servers the settings name now, by origin, completions' first. */
    private configuredOrigins(): ConfiguredOrigin[] {
        const origins: { origin: string; servers: (ServerSetting & { role: EngineRole })[] }[] = [];
        for (const role of ["completion", "chat"] as const) {
            const server = this.config.serverFor(role);
            const origin = server !== undefined && !("error" in server) ? serverOrigin(server.url) : undefined;
            if (server === undefined || "error" in server || origin === undefined) continue;
            const entry = origins.find((candidate) => candidate.origin === origin);
            if (entry !== undefined) entry.servers.push({ ...server, role });
            else origins.push({ origin, servers: [{ ...server, role }] });
        }
        return origins;
    }

    /** The configured server (a choice when there are two), or a URL the user types when none is configured. */
    private async chooseOriginToSet(): Promise<string | undefined> {
        const configured = this.configuredOrigins();
        const [only] = configured;
        if (configured.length === 1 && only !== undefined) return only.origin;
        if (configured.length === 0) {
            const typed = await vscode.window.showInputBox({
                title: "Hearth: API key for which server?",
                prompt: "No server engine is configured yet (hearth.completions.engine, hearth.chat.engine). The server's URL:",
                placeHolder: "http://gpu-box:8000/v1",
                ignoreFocusOut: true,
                validateInput: (text) => (serverOrigin(text.trim()) === undefined ? "An http or https URL, such as http://gpu-box:8000/v1" : undefined),
            });
            return typed === undefined ? undefined : serverOrigin(typed.trim());
        }
        const picked = await vscode.window.showQuickPick(
            configured.map(({ origin, servers }) => ({
                label: origin,
                description: servers.map((server) => `${roleWord(server.role)}: ${serverKindName(server.kind)}`).join(" · "),
                origin,
            })),
            { title: "Hearth: set the API key of which server?" },
        );
        return picked?.origin;
    }

    private async chooseStoredOrigin(stored: readonly string[]): Promise<string | undefined> {
        const configured = this.configuredOrigins();
        const picked = await vscode.window.showQuickPick(
            stored.map((origin) => {
                const servers = configured.find((candidate) => candidate.origin === origin)?.servers ?? [];
                const used = servers.map((server) => roleWord(server.role)).join(" and ");
                return { label: origin, description: used !== "" ? `used for ${used}` : "not used now", origin };
            }),
            { title: "Hearth: remove the API key of which server?" },
        );
        return picked?.origin;
    }

    private storedOrigins(): string[] {
        const value = this.globalState.get<unknown>(storedOriginsKey);
        return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
    }

    private async remember(origin: string, stored: boolean): Promise<void> {
        const others = this.storedOrigins().filter((item) => item !== origin);
        await this.globalState.update(storedOriginsKey, stored ? [...others, origin] : others);
    }
}

/** An API key as typed or pasted: something, and no whitespace inside (surrounding whitespace is dropped). */
function validateApiKey(value: string): string | undefined {
    const key = value.trim();
    if (key === "") return "Enter the server's API key.";
    if (/\s/.test(key)) return "An API key has no spaces or line breaks: paste the key alone.";
    return undefined;
}
