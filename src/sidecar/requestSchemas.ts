/**
 * The sidecar's boundary: every request's parameters are checked against the protocol's types
 * (valibot schemas, each tied to its protocol type by an assignability check below) before any
 * engine state is touched. A request that fails gets a `badRequest` error (or `tooLarge` where
 * only its size is wrong) and changes nothing; other requests never notice it.
 */
import * as v from "valibot";
import type { ChatParams } from "../protocol/chatProtocol";
import type { CompleteParams, WarmParams } from "../protocol/completionProtocol";
import type { InitializeParams, LoadModelParams } from "../protocol/engineProtocol";
import { EngineError } from "./engineError";

/**
 * The largest document text a completion request may carry. The extension sends a window of at
 * most `completionDocumentChars` around the cursor, so only a foreign or broken client hits this.
 */
export const maxDocumentChars = 8 * 1024 * 1024;
/** Per message and over a whole conversation: bounds what one chat request can make the sidecar read. */
const maxChatMessageChars = 4 * 1024 * 1024;
const maxChatTotalChars = 32 * 1024 * 1024;
const maxChatMessages = 100_000;
const maxPathChars = 4096;
/** A progress token (`partialResultToken`) as a string: the extension's are a few characters. */
export const maxProgressTokenChars = 256;

const path = v.pipe(v.string(), v.maxLength(maxPathChars));
const count = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
/**
 * Where a request's partial results stream (`$/progress`): JSON-RPC's ProgressToken, a string or an
 * integer, bounded so that a hostile one is refused rather than echoed with every streamed part.
 */
const partialResultToken = v.optional(
    v.union(
        [v.pipe(v.string(), v.minLength(1), v.maxLength(maxProgressTokenChars)), count(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)],
        "must be a non-empty string or an integer",
    ),
);

const documentSchema = v.strictObject({
    id: v.pipe(v.string(), v.minLength(1), v.maxLength(maxPathChars * 2)),
    path,
    repo: v.optional(v.pipe(v.string(), v.maxLength(1024))),
    languageId: v.pipe(v.string(), v.maxLength(256)),
    text: v.string(),
});

const layout = v.picklist(["psm", "spm"]);
const featureNames = [
    "replaceRange",
    "enclosingIndent",
    "repetition",
    "fences",
    "prefixEcho",
    "indentStyle",
    "balancedCut",
    "edgeWhitespace",
    "neededCloser",
    "modeUpgrade",
    "repoName",
    "eofNewline",
    "controlTokens",
    "tokenHealing",
    "chunkReuse",
] as const;

export const completeParamsSchema = v.strictObject({
    document: documentSchema,
    cursor: count(0, Number.MAX_SAFE_INTEGER),
    mode: v.picklist(["line", "block"]),
    layout,
    budget: v.strictObject({ maxTokens: count(1, 4096), maxLines: count(1, 1000), maxMs: v.pipe(v.number(), v.minValue(1), v.maxValue(600_000)) }),
    cold: v.optional(v.boolean()),
    partialResultToken,
    indentation: v.optional(v.strictObject({ tabSize: count(1, 64), insertSpaces: v.boolean() })),
    features: v.optional(
        v.strictObject(
            Object.fromEntries(featureNames.map((name) => [name, v.optional(v.boolean())])) as Record<
                (typeof featureNames)[number],
                v.OptionalSchema<v.BooleanSchema<undefined>, undefined>
            >,
        ),
    ),
    rawOnly: v.optional(v.boolean()),
});

export const warmParamsSchema = v.strictObject({
    document: documentSchema,
    cursor: count(0, Number.MAX_SAFE_INTEGER),
    layout,
    context: v.optional(v.pipe(v.array(v.strictObject({ path, text: v.pipe(v.string(), v.maxLength(1024 * 1024)) })), v.maxLength(64))),
});

export const chatParamsSchema = v.strictObject({
    partialResultToken,
    conversationId: v.pipe(v.string(), v.maxLength(256)),
    messages: v.pipe(
        v.array(v.strictObject({ role: v.picklist(["system", "user", "assistant"]), content: v.pipe(v.string(), v.maxLength(maxChatMessageChars)) })),
        v.minLength(1),
        v.maxLength(maxChatMessages),
    ),
    maxTokens: count(1, 32_768),
    temperature: v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(2)),
    lane: v.optional(v.picklist(["chat", "action"])),
});

export const initializeParamsSchema = v.strictObject({ gpu: v.picklist(["auto", "metal", "cuda", "vulkan", "cpu"]) });

/** A server engine: an http(s) URL without credentials, a model name and an API key of bounded size. */
const serverEndpoint = v.strictObject({
    kind: v.picklist(["llama.cpp", "ollama", "openai"]),
    url: v.pipe(
        v.string(),
        v.maxLength(2048),
        v.check((url) => /^https?:\/\/[^\s/@]+(?:[/?#][^\s]*)?$/i.test(url), "must be an http:// or https:// URL without credentials"),
    ),
    model: v.pipe(v.string(), v.maxLength(512)),
    apiKey: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(8192), v.regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"))),
});

export const loadModelParamsSchema = v.strictObject({
    modelPath: path,
    chatModelPath: v.optional(path),
    threads: v.union([v.literal("auto"), count(1, 1024)]),
    contextSize: count(64, 1 << 24),
    ignoreMemoryFit: v.optional(v.boolean()),
    servers: v.optional(v.strictObject({ completion: v.optional(serverEndpoint), chat: v.optional(serverEndpoint) })),
});

// Each schema's output must be assignable to its protocol type: a protocol change that the
// schema does not follow fails to compile here.
type Assignable<Schema extends v.GenericSchema, Target> = v.InferOutput<Schema> extends Target ? true : never;
const schemasMatchProtocol: [
    Assignable<typeof completeParamsSchema, CompleteParams>,
    Assignable<typeof warmParamsSchema, WarmParams>,
    Assignable<typeof chatParamsSchema, ChatParams>,
    Assignable<typeof initializeParamsSchema, InitializeParams>,
    Assignable<typeof loadModelParamsSchema, LoadModelParams>,
] = [true, true, true, true, true];
void schemasMatchProtocol;

/** `params` checked against `schema`, or an EngineError naming the method and the first problems. */
export function validated<Schema extends v.GenericSchema>(method: string, schema: Schema, params: unknown): v.InferOutput<Schema> {
    const result = v.safeParse(schema, params, { abortPipeEarly: true });
    if (!result.success) {
        const problems = result.issues.slice(0, 3).map((issue) => `${v.getDotPath(issue) ?? "params"}: ${issue.message}`);
        throw new EngineError(
            "badRequest",
            `${method} refused: ${problems.join("; ")}${result.issues.length > 3 ? ` (and ${result.issues.length - 3} more)` : ""}.`,
        );
    }
    return result.output;
}

/** A completion or warm request whose document the engine can work on: the cursor inside it, its size bounded. */
export function checkDocument(method: string, params: { readonly document: { readonly text: string }; readonly cursor: number }): void {
    const length = params.document.text.length;
    if (length > maxDocumentChars) {
        throw new EngineError(
            "tooLarge",
            `${method}: the document's text is ${length} characters; the engine reads at most ${maxDocumentChars} around the cursor.`,
        );
    }
    if (params.cursor > length)
        throw new EngineError("badRequest", `${method} refused: the cursor offset ${params.cursor} is past the document's end (${length} characters).`);
}

/** A conversation the chat engine can work on: its total size bounded. */
export function checkConversation(params: ChatParams): void {
    let total = 0;
    for (const message of params.messages) total += message.content.length;
    if (total > maxChatTotalChars) {
        throw new EngineError(
            "tooLarge",
            `The conversation holds ${total} characters; the engine reads at most ${maxChatTotalChars}. Start a new conversation.`,
        );
    }
}
