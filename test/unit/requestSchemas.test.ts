import assert from "node:assert/strict";
import { ChatRequest, type ChatParams } from "../../src/protocol/chatProtocol";
import { CompleteRequest, type CompleteParams } from "../../src/protocol/completionProtocol";
import { EngineError } from "../../src/sidecar/engineError";
import { chatParamsSchema, completeParamsSchema, maxProgressTokenChars, validated } from "../../src/sidecar/requestSchemas";

const complete: CompleteParams = {
    document: { id: "file:///a.ts", path: "a.ts", languageId: "typescript", text: "const x = " },
    cursor: 10,
    mode: "line",
    layout: "psm",
    budget: { maxTokens: 8, maxLines: 1, maxMs: 1000 },
};
const chat: ChatParams = { conversationId: "c", messages: [{ role: "user", content: "Hi." }], maxTokens: 8, temperature: 0 };

/** The kind of error a request's params are refused with, or undefined when they pass. */
function refusal(check: () => unknown): string | undefined {
    try {
        check();
        return undefined;
    } catch (error) {
        assert.ok(error instanceof EngineError, String(error));
        return error.kind;
    }
}

describe("request schemas: the progress token a streaming request carries (partialResultToken)", () => {
    const requests = [
        ["complete", (token: unknown) => validated(CompleteRequest.method, completeParamsSchema, { ...complete, partialResultToken: token })],
        ["chat", (token: unknown) => validated(ChatRequest.method, chatParamsSchema, { ...chat, partialResultToken: token })],
    ] as const;

    for (const [kind, check] of requests) {
        it(`${kind}: a string or an integer token passes, and comes through as sent`, () => {
            for (const token of ["1", "stream-7", "x".repeat(maxProgressTokenChars), 0, 42, -3, Number.MAX_SAFE_INTEGER]) {
                assert.equal(check(token).partialResultToken, token);
            }
        });

        it(`${kind}: no token passes (nothing streams)`, () => {
            assert.equal(check(undefined).partialResultToken, undefined);
        });

        it(`${kind}: any other token is refused as a bad request`, () => {
            for (const token of [
                "",
                "x".repeat(maxProgressTokenChars + 1),
                1.5,
                Number.MAX_SAFE_INTEGER + 2,
                Number.NaN,
                Number.POSITIVE_INFINITY,
                null,
                true,
                {},
                [],
                ["a"],
            ]) {
                assert.equal(
                    refusal(() => check(token)),
                    "badRequest",
                    `token ${JSON.stringify(token)}`,
                );
            }
        });
    }

    it("the old hand-made request id is no longer a field: a request that sends one is refused", () => {
        assert.equal(
            refusal(() => validated(CompleteRequest.method, completeParamsSchema, { ...complete, requestId: 1 })),
            "badRequest",
        );
        assert.equal(
            refusal(() => validated(ChatRequest.method, chatParamsSchema, { ...chat, requestId: 1 })),
            "badRequest",
        );
    });
});
