import type { EngineRole, ModelInfo, ServerEndpoint, ServerKind } from "../../protocol/engineProtocol";
import { EngineError } from "../engineError";
import { fimTemplateFor, fimTemplates, markersOf, type FimTemplate } from "./fimTemplates";
import { describeServer, requestJson, type ServerCall } from "./serverHttp";

/** What Hearth learned of a server's model when it first reached the server. */
export interface ServerModel {
    readonly info: ModelInfo;
    /** How to write FIM prompts for it; undefined when the model has no FIM support Hearth knows of. */
    readonly template: FimTemplate | undefined;
    /** llama.cpp's server: its slots, each with a KV cache of its own (one per document Hearth completes in). */
    readonly slots: number;
    /** Tokens a request may use (the slot's context), when the server says. */
    readonly contextSize: number | undefined;
    /** The model name to send in requests ("" for llama.cpp's server, which serves one). */
    readonly requestModel: string;
}

/** Probes answer quickly or not at all: a load waits for them. */
const probeTimeoutMs = 5_000;

const kindNames: Record<ServerKind, string> = { "llama.cpp": "llama.cpp server", ollama: "Ollama server", openai: "OpenAI-compatible server" };

export function serverKindName(kind: ServerKind): string {
    return kindNames[kind];
}

/** Asks the server which model it serves and how to prompt it. */
export async function probeServer(endpoint: ServerEndpoint, role: EngineRole, signal: AbortSignal): Promise<ServerModel> {
    const call = { endpoint, role, signal, headersTimeoutMs: probeTimeoutMs, idleTimeoutMs: probeTimeoutMs, retries: 1 };
    switch (endpoint.kind) {
        case "llama.cpp":
            return probeLlamaCpp(endpoint, role, call);
        case "ollama":
            return probeOllama(endpoint, role, call);
        case "openai":
            return probeOpenAi(endpoint, role, call);
    }
}

type ProbeCall = Omit<ServerCall, "path">;

async function probeLlamaCpp(endpoint: ServerEndpoint, role: EngineRole, call: ProbeCall): Promise<ServerModel> {
    const props = record(await requestJson({ ...call, path: "/props" }), endpoint, role, "/props");
    const modelPath = typeof props.model_path === "string" ? props.model_path : "";
    const name = endpoint.model !== "" ? endpoint.model : (modelPath.split(/[\\/]/).pop() ?? "") || "llama.cpp model";
    const slots = positiveInteger(props.total_slots) ?? 1;
    const settings = props.default_generation_settings;
    const contextSize = positiveInteger(isRecord(settings) ? settings.n_ctx : undefined) ?? positiveInteger(props.n_ctx);
    const chatTemplate = typeof props.chat_template === "string" ? props.chat_template : "";
    // The vocabulary decides: a family's markers must each be one token of it (the model's name may say nothing).
    const template = await llamaCppTemplate(call, name);
    const fileSeparator = template?.fileSeparator !== undefined && (await singleToken(call, template.fileSeparator)) !== undefined;
    return {
        info: serverInfo(endpoint, name, template, fileSeparator, chatTemplate.trim() !== "", contextSize),
        template,
        slots,
        contextSize,
        requestModel: endpoint.model,
    };
}

/** The template whose markers the server's vocabulary has as single tokens (the one the name suggests first). */
async function llamaCppTemplate(call: ProbeCall, name: string): Promise<FimTemplate | undefined> {
    const named = fimTemplateFor(name);
    const candidates = named === undefined ? fimTemplates : [named, ...fimTemplates.filter((template) => template !== named)];
    const tried = new Map<string, boolean>();
    for (const template of candidates) {
        let all = true;
        for (const marker of markersOf(template)) {
            let single = tried.get(marker);
            if (single === undefined) {
                single = (await singleToken(call, marker)) !== undefined;
                tried.set(marker, single);
            }
            if (!single) {
                all = false;
                break;
            }
        }
        if (all) return template;
    }
    return undefined;
}

async function singleToken(call: ProbeCall, text: string): Promise<number | undefined> {
    const answer = await requestJson({ ...call, path: "/tokenize", body: { content: text, add_special: false, parse_special: true } });
    const tokens: unknown[] = isRecord(answer) && Array.isArray(answer.tokens) ? (answer.tokens as unknown[]) : [];
    const [only] = tokens;
    return tokens.length === 1 && typeof only === "number" ? only : undefined;
}

async function probeOllama(endpoint: ServerEndpoint, role: EngineRole, call: ProbeCall): Promise<ServerModel> {
    if (endpoint.model === "") throw missingModel(endpoint, role, "an Ollama model tag such as qwen2.5-coder:1.5b");
    const show = record(await requestJson({ ...call, path: "/api/show", body: { model: endpoint.model } }), endpoint, role, "/api/show");
    const details = isRecord(show.details) ? show.details : {};
    const modelInfo = isRecord(show.model_info) ? show.model_info : {};
    const architecture = typeof modelInfo["general.architecture"] === "string" ? modelInfo["general.architecture"] : "";
    const contextSize = positiveInteger(modelInfo[`${architecture}.context_length`]);
    const capabilities = Array.isArray(show.capabilities) ? show.capabilities.filter((item): item is string => typeof item === "string") : undefined;
    const family = typeof details.family === "string" ? details.family : "";
    const template = fimTemplateFor(endpoint.model) ?? fimTemplateFor(family);
    // Ollama lists "insert" for models whose template handles a suffix; a family Hearth knows is FIM-trained either way.
    const fim = template !== undefined && (capabilities === undefined || capabilities.includes("insert") || capabilities.includes("completion"));
    const hasChat = typeof show.template === "string" ? show.template.includes(".Messages") || show.template.includes(".Prompt") : true;
    return {
        info: serverInfo(endpoint, endpoint.model, fim ? template : undefined, template?.fileSeparator !== undefined, hasChat, contextSize, architecture),
        template: fim ? template : undefined,
        slots: 1,
        contextSize,
        requestModel: endpoint.model,
    };
}

async function probeOpenAi(endpoint: ServerEndpoint, role: EngineRole, call: ProbeCall): Promise<ServerModel> {
    const list = record(await requestJson({ ...call, path: openAiPath(endpoint, "/models") }), endpoint, role, "/models");
    const ids = (Array.isArray(list.data) ? list.data : []).flatMap((entry) => (isRecord(entry) && typeof entry.id === "string" ? [entry.id] : []));
    let model = endpoint.model;
    if (model === "") {
        if (ids.length !== 1) throw missingModel(endpoint, role, `one of the models it serves (${ids.slice(0, 5).join(", ") || "it lists none"})`);
        model = ids[0] ?? "";
    } else if (ids.length > 0 && !ids.includes(model)) {
        throw new EngineError(
            "serverNotFound",
            `The ${serverKindName(endpoint.kind)} at ${describeServer(endpoint)} does not serve "${model}"; it serves ${ids.slice(0, 5).join(", ")}. Check "${modelSetting(role)}".`,
            undefined,
            undefined,
            { kind: endpoint.kind, url: describeServer(endpoint), role, status: 404 },
        );
    }
    const entry: unknown = (Array.isArray(list.data) ? (list.data as unknown[]) : []).find((item) => isRecord(item) && item.id === model);
    const contextSize = isRecord(entry) ? positiveInteger(entry.max_model_len) : undefined;
    const template = fimTemplateFor(model);
    return {
        info: serverInfo({ ...endpoint, model }, model, template, template?.fileSeparator !== undefined, true, contextSize),
        template,
        slots: 1,
        contextSize,
        requestModel: model,
    };
}

/** A path under an OpenAI-compatible server's API root: the URL may name it (`…/v1`) or not. */
export function openAiPath(endpoint: ServerEndpoint, path: string): string {
    return /\/v1\/?$/.test(endpoint.url) ? path : `/v1${path}`;
}

/** Model info for a role served by a server before it could be reached: requests try it again. */
export function unreachedServerInfo(endpoint: ServerEndpoint): ModelInfo {
    const template = fimTemplateFor(endpoint.model);
    return serverInfo(endpoint, endpoint.model !== "" ? endpoint.model : describeServer(endpoint), template ?? { name: "unknown" }, false, true, undefined);
}

function serverInfo(
    endpoint: ServerEndpoint,
    name: string,
    template: Pick<FimTemplate, "name"> | undefined,
    hasFileSeparator: boolean,
    hasChatTemplate: boolean,
    contextSize: number | undefined,
    architecture = "",
): ModelInfo {
    const url = describeServer(endpoint);
    return {
        path: url,
        name,
        architecture,
        fileSizeBytes: 0,
        parameterCount: 0,
        trainContextSize: contextSize ?? null,
        fim: template === undefined ? null : { template: template.name },
        hasFileSeparator,
        hasChatTemplate,
        chatWrapper: null,
        isDemo: false,
        server: { kind: endpoint.kind, url },
    };
}

function modelSetting(role: EngineRole): string {
    return role === "completion" ? "hearth.completions.serverModel" : "hearth.chat.serverModel";
}

function missingModel(endpoint: ServerEndpoint, role: EngineRole, what: string): EngineError {
    return new EngineError(
        "serverNotFound",
        `No model is set for the ${serverKindName(endpoint.kind)} at ${describeServer(endpoint)}: set "${modelSetting(role)}" to ${what}.`,
        undefined,
        undefined,
        { kind: endpoint.kind, url: describeServer(endpoint), role },
    );
}

function record(value: unknown, endpoint: ServerEndpoint, role: EngineRole, path: string): Record<string, unknown> {
    if (isRecord(value)) return value;
    throw new EngineError(
        "serverBadResponse",
        `The ${serverKindName(endpoint.kind)} at ${describeServer(endpoint)} answered ${path} with something other than a JSON object. Is it a ${serverKindName(endpoint.kind)}?`,
        undefined,
        undefined,
        { kind: endpoint.kind, url: describeServer(endpoint), role },
    );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function positiveInteger(value: unknown): number | undefined {
    return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}
