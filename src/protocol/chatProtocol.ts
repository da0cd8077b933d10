/**
 * Chat between the extension and the sidecar. The extension owns conversations (and
 * persists them); each request carries the conversation's messages, and the sidecar
 * answers on a sequence of its own, reusing its KV cache where the prompt's prefix
 * matches what it evaluated last.
 */
import { ProgressType, RequestType, type ProgressToken } from "vscode-jsonrpc";
import type { EngineErrorData } from "./engineProtocol";

export interface ChatTurn {
    readonly role: "system" | "user" | "assistant";
    readonly content: string;
}

export interface ChatParams {
    /**
     * Where the answer streams (LSP's partialResultToken): while it is generated, each part goes out
     * as JSON-RPC's `$/progress` with this token and a ChatPartialResult (ChatRequest.partialResult).
     * Without one nothing streams; the answer only comes with the result.
     */
    readonly partialResultToken?: ProgressToken;
    readonly conversationId: string;
    /** The conversation so far, ending with the user's new message. */
    readonly messages: readonly ChatTurn[];
    readonly maxTokens: number;
    /** 0 for greedy answers (tests); the extension uses a little randomness. */
    readonly temperature: number;
    /**
     * Which lane answers: the chat view's ("chat", the default) or a command on selected code's
     * ("action"). Each lane has a sequence of its own; a request only ever supersedes one of its lane.
     */
    readonly lane?: ChatLane;
}

export type ChatLane = "chat" | "action";

export type ChatStopReason = "done" | "maxTokens" | "stopped";

export interface ChatResult {
    readonly text: string;
    readonly stopReason: ChatStopReason;
    /** Oldest messages left out so the conversation fits the context. */
    readonly trimmedMessages: number;
    readonly counts: {
        readonly promptTokens: number;
        readonly reusedTokens: number;
        readonly evaluatedTokens: number;
        readonly generatedTokens: number;
        /** Times the conversation was rendered and tokenized to find what fits (O(log n) in its length). */
        readonly promptRenders: number;
    };
    readonly timings: { readonly ttftMs: number; readonly totalMs: number; readonly yieldedMs: number };
}

/** A part of a streaming answer: not a piece to append but the whole answer so far. */
export interface ChatPartialResult {
    /** The answer so far. */
    readonly text: string;
}

export namespace ChatRequest {
    export const method = "hearth/chat";
    export const type = new RequestType<ChatParams, ChatResult, EngineErrorData>(method);
    /** The answer so far, sent as `$/progress` on the request's partialResultToken. */
    export const partialResult = new ProgressType<ChatPartialResult>();
}
