import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EngineErrorKind, ServerEndpoint } from "../../src/protocol/engineProtocol";
import { EngineError } from "../../src/sidecar/engineError";
import { describeServer, requestJson, streamJson, type ServerCall } from "../../src/sidecar/server/serverHttp";

interface SeenRequest {
    readonly method: string;
    readonly url: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
    /** Resolves when the request's socket closes. */
    readonly socketClosed: Promise<void>;
}

interface FakeServer {
    readonly url: string;
    readonly requests: SeenRequest[];
    close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse, seen: SeenRequest) => void | Promise<void>;

const servers: FakeServer[] = [];

/** A node:http server on loopback that records every request and when its socket closes. */
async function fakeServer(handle: Handler): Promise<FakeServer> {
    const requests: SeenRequest[] = [];
    const server = createServer((request, response) => {
        request.socket.setNoDelay(true);
        const socketClosed = new Promise<void>((resolve) => {
            if (request.socket.destroyed) resolve();
            else request.socket.once("close", () => resolve());
        });
        const chunks: Buffer[] = [];
        request.on("data", (chunk: Buffer) => chunks.push(chunk));
        request.on("end", () => {
            const seen: SeenRequest = {
                method: request.method ?? "",
                url: request.url ?? "",
                headers: request.headers,
                body: Buffer.concat(chunks).toString("utf8"),
                socketClosed,
            };
            requests.push(seen);
            Promise.resolve(handle(request, response, seen)).catch(() => response.destroy());
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    const fake: FakeServer = {
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
    servers.push(fake);
    return fake;
}

/** A port nothing listens on (it was just closed). */
async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

const tick = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function json(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
    response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
}

function call(url: string, overrides: Omit<Partial<ServerCall>, "endpoint"> & { endpoint?: Partial<ServerEndpoint> } = {}): ServerCall {
    const { endpoint, ...rest } = overrides;
    return {
        endpoint: { kind: "llama.cpp", url, model: "", ...endpoint },
        role: "completion",
        path: "/completion",
        signal: new AbortController().signal,
        ...rest,
    };
}

async function rejection(promise: Promise<unknown>, kind: EngineErrorKind): Promise<EngineError> {
    try {
        await promise;
    } catch (error) {
        assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
        assert.equal(error.kind, kind, `expected ${kind}: ${error.message}`);
        return error;
    }
    assert.fail(`expected a ${kind} rejection`);
}

async function collect(stream: AsyncGenerator<unknown, void, undefined>): Promise<unknown[]> {
    const values: unknown[] = [];
    for await (const value of stream) values.push(value);
    return values;
}

/** Writes `text` one byte at a time, so that the client's chunks split lines, CRLFs and UTF-8 characters anywhere. */
async function writeBytewise(response: ServerResponse, text: string): Promise<void> {
    for (const byte of Buffer.from(text, "utf8")) {
        response.write(Buffer.from([byte]));
        await tick(0);
    }
}

const apiKey = "sk-test-9f8e7d6c5b4a";

function assertNoKey(error: EngineError): void {
    assert.ok(!error.message.includes(apiKey), `the key leaked: ${error.message}`);
    assert.ok(!JSON.stringify(error.toData()).includes(apiKey));
}

describe("serverHttp", () => {
    afterEach(async () => {
        await Promise.all(servers.splice(0).map((server) => server.close()));
    });

    describe("requestJson", () => {
        it("GETs a 200 JSON answer, joining the path without doubling slashes", async () => {
            const server = await fakeServer((_request, response) => json(response, 200, { ok: true, n: 1 }));
            assert.deepEqual(await requestJson(call(`${server.url}/`, { path: "/props" })), { ok: true, n: 1 });
            assert.deepEqual(await requestJson(call(`${server.url}/v1/`, { path: "models" })), { ok: true, n: 1 });
            assert.deepEqual(await requestJson(call(`${server.url}/v1`, { path: "/models" })), { ok: true, n: 1 });
            assert.deepEqual(
                server.requests.map((r) => `${r.method} ${r.url}`),
                ["GET /props", "GET /v1/models", "GET /v1/models"],
            );
            assert.equal(server.requests[0]?.headers["content-type"], undefined);
        });

        it("POSTs a JSON body", async () => {
            const server = await fakeServer((_request, response, seen) => json(response, 200, { echo: JSON.parse(seen.body) as unknown }));
            const answer = await requestJson(call(server.url, { body: { prompt: "héllo", n_predict: 8 } }));
            assert.deepEqual(answer, { echo: { prompt: "héllo", n_predict: 8 } });
            assert.equal(server.requests[0]?.method, "POST");
            assert.equal(server.requests[0]?.headers["content-type"], "application/json");
        });

        it("sends Authorization: Bearer only when an API key is set", async () => {
            const server = await fakeServer((_request, response) => json(response, 200, {}));
            await requestJson(call(server.url, { endpoint: { apiKey } }));
            await requestJson(call(server.url));
            await requestJson(call(server.url, { endpoint: { apiKey: "" } }));
            assert.deepEqual(
                server.requests.map((r) => r.headers.authorization),
                [`Bearer ${apiKey}`, undefined, undefined],
            );
        });

        it("leaves no listener on the caller's signal", async () => {
            const server = await fakeServer((_request, response) => json(response, 200, {}));
            const controller = new AbortController();
            await requestJson(call(server.url, { signal: controller.signal }));
            assert.equal(getEventListeners(controller.signal, "abort").length, 0);
        });

        it("401 with a key: serverUnauthorized that says to set the key, and never quotes it", async () => {
            const server = await fakeServer((_request, response) =>
                json(response, 401, { error: { message: `Incorrect API key provided: ${apiKey}`, type: "invalid_request_error" } }),
            );
            const error = await rejection(requestJson(call(server.url, { endpoint: { apiKey } })), "serverUnauthorized");
            assert.match(error.message, /refused the API key/);
            assert.match(error.message, /Set API Key/);
            assert.match(error.message, /Incorrect API key provided/);
            assertNoKey(error);
            assert.deepEqual(error.server, { kind: "llama.cpp", url: server.url, role: "completion", status: 401 });
        });

        it("401 without a key: serverUnauthorized that says no key is set", async () => {
            const server = await fakeServer((_request, response) => void response.writeHead(403).end("Forbidden"));
            const error = await rejection(requestJson(call(server.url)), "serverUnauthorized");
            assert.match(error.message, /no API key is set/);
            assert.match(error.message, /Set API Key/);
            assert.equal(error.server?.status, 403);
        });

        it("404: serverNotFound naming the path, or the model when the server says so", async () => {
            const server = await fakeServer((request, response) => {
                if (request.url === "/api/generate") json(response, 404, { error: 'model "qwen2.5-coder:7b" not found, try pulling it first' });
                else json(response, 404, { detail: "Not Found" });
            });
            const missingPath = await rejection(requestJson(call(server.url, { path: "/v1/completions" })), "serverNotFound");
            assert.match(missingPath.message, /\/v1\/completions/);
            assert.match(missingPath.message, /hearth\.completions\.serverUrl/);
            const ollama = call(server.url, { path: "/api/generate", body: {}, role: "chat", endpoint: { kind: "ollama", model: "qwen2.5-coder:7b" } });
            const missingModel = await rejection(requestJson(ollama), "serverNotFound");
            assert.match(missingModel.message, /Ollama server/);
            assert.match(missingModel.message, /model "qwen2.5-coder:7b" not found/);
            assert.deepEqual(missingModel.server, { kind: "ollama", url: server.url, role: "chat", status: 404 });
        });

        it("500: serverFailed with the server's own message", async () => {
            const server = await fakeServer((request, response) => {
                if (request.url === "/json") json(response, 500, { error: { message: "boom", code: 500 } });
                else if (request.url === "/string") json(response, 400, { error: "bad \u001b[31mthing\u0007" });
                else response.writeHead(500, { "content-type": "text/plain" }).end(`oops\r\n${"x".repeat(1000)}`);
            });
            const boom = await rejection(requestJson(call(server.url, { path: "/json" })), "serverFailed");
            assert.match(boom.message, /HTTP 500: boom/);
            assert.equal(boom.server?.status, 500);
            const text = await rejection(requestJson(call(server.url, { path: "/string" })), "serverFailed");
            assert.match(text.message, /HTTP 400: bad \[31mthing\./);
            assert.doesNotMatch(text.message, /[\u0000-\u001f]/);
            const long = await rejection(requestJson(call(server.url, { path: "/text" })), "serverFailed");
            assert.match(long.message, /HTTP 500: oops x+…\.$/);
            assert.ok(long.message.length < 400);
        });

        it("retries 503 and succeeds: the server counted 2 requests", async () => {
            const server = await fakeServer((_request, response) => {
                if (server.requests.length === 1) json(response, 503, { error: { message: "Loading model", code: 503 } });
                else json(response, 200, { ok: true });
            });
            assert.deepEqual(await requestJson(call(server.url, { retries: 2, body: { prompt: "x" } })), { ok: true });
            assert.equal(server.requests.length, 2);
            assert.equal(server.requests[1]?.body, '{"prompt":"x"}');
        });

        it("gives up on 503 after exactly retries + 1 requests", async () => {
            const server = await fakeServer((_request, response) => json(response, 503, { error: { message: "Loading model" } }));
            const error = await rejection(requestJson(call(server.url, { retries: 2 })), "serverFailed");
            assert.equal(server.requests.length, 3);
            assert.match(error.message, /HTTP 503: Loading model/);
            assert.equal(error.server?.status, 503);
        });

        it("honours Retry-After and does not retry other statuses", async () => {
            const server = await fakeServer((request, response) => {
                if (request.url === "/busy") json(response, 429, { error: "slow down" }, { "retry-after": "0" });
                else json(response, 500, { error: "no" });
            });
            await rejection(requestJson(call(server.url, { path: "/busy", retries: 3 })), "serverFailed");
            assert.equal(server.requests.length, 4);
            await rejection(requestJson(call(server.url, { path: "/fail", retries: 3 })), "serverFailed");
            assert.equal(server.requests.length, 5);
        });

        it("a redirect is not followed (the key would go along): serverFailed naming where it points, without its query", async () => {
            const server = await fakeServer((_request, response) => void response.writeHead(301, { location: "https://gpu-box.example/v1/?token=abc" }).end());
            const error = await rejection(requestJson(call(server.url, { endpoint: { apiKey } })), "serverFailed");
            assert.match(error.message, /redirects to https:\/\/gpu-box\.example\/v1 \(HTTP 301\): set "hearth\.completions\.serverUrl"/);
            assert.equal(server.requests.length, 1);
        });

        it("a closed port: serverUnreachable, connection refused, naming the role's setting", async () => {
            const url = `http://127.0.0.1:${await closedPort()}`;
            const completion = await rejection(requestJson(call(url, { retries: 1 })), "serverUnreachable");
            assert.match(completion.message, /^Could not reach the llama\.cpp server at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)\. Is it running\?/);
            assert.match(completion.message, /"hearth\.completions\.serverUrl"/);
            assert.equal(completion.server?.status, undefined);
            const chat = await rejection(requestJson(call(url, { role: "chat", endpoint: { kind: "openai" } })), "serverUnreachable");
            assert.match(chat.message, /OpenAI-compatible server/);
            assert.match(chat.message, /"hearth\.chat\.serverUrl"/);
        });

        it("a port fetch refuses: serverUnreachable that says so", async () => {
            const error = await rejection(requestJson(call("http://127.0.0.1:6000")), "serverUnreachable");
            assert.match(error.message, /refuses this port/);
        });

        it("a socket closed before the headers: serverUnreachable", async () => {
            const server = await fakeServer((request) => void request.socket.destroy());
            const error = await rejection(requestJson(call(server.url, { retries: 1 })), "serverUnreachable");
            assert.match(error.message, /the connection closed/);
            assert.equal(server.requests.length, 2);
        });

        it("no headers within headersTimeoutMs: timedOut, and the connection is closed", async () => {
            const server = await fakeServer(() => undefined);
            const error = await rejection(requestJson(call(server.url, { headersTimeoutMs: 100, retries: 2 })), "timedOut");
            assert.match(error.message, /^The llama\.cpp server at http:\/\/127\.0\.0\.1:\d+ sent nothing for 100 ms\.$/);
            assert.equal(server.requests.length, 1);
            await server.requests[0]?.socketClosed;
        });

        it("a body that stops coming: timedOut by idleTimeoutMs", async () => {
            const server = await fakeServer((_request, response) => {
                response.writeHead(200, { "content-type": "application/json" });
                response.write('{"content": "par');
            });
            await rejection(requestJson(call(server.url, { idleTimeoutMs: 100 })), "timedOut");
            await server.requests[0]?.socketClosed;
        });

        it("not JSON, empty, or larger than maxBytes: serverBadResponse", async () => {
            const server = await fakeServer((request, response) => {
                if (request.url === "/html") response.writeHead(200, { "content-type": "text/html" }).end(`<!DOCTYPE html><html>${"y".repeat(500)}</html>`);
                else if (request.url === "/empty") response.writeHead(200).end();
                else if (request.url === "/declared") json(response, 200, { text: "z".repeat(200) });
                else {
                    response.writeHead(200, { "content-type": "application/json" }); // chunked: no length to check first
                    response.write(`{"text": "${"z".repeat(100)}`);
                    response.end(`${"z".repeat(100)}"}`);
                }
            });
            const html = await rejection(requestJson(call(server.url, { path: "/html" })), "serverBadResponse");
            assert.match(html.message, /not JSON \("<!DOCTYPE html><html>y+…"\)/);
            assert.ok(html.message.length < 300);
            assert.equal(html.server?.status, 200);
            const empty = await rejection(requestJson(call(server.url, { path: "/empty" })), "serverBadResponse");
            assert.match(empty.message, /empty answer/);
            const declared = await rejection(requestJson(call(server.url, { path: "/declared", maxBytes: 64 })), "serverBadResponse");
            assert.match(declared.message, /larger than 64 bytes/);
            const chunked = await rejection(requestJson(call(server.url, { path: "/chunked", maxBytes: 150 })), "serverBadResponse");
            assert.match(chunked.message, /larger than 150 bytes/);
            assert.deepEqual(await requestJson(call(server.url, { path: "/chunked", maxBytes: 300 })), { text: "z".repeat(200) });
        });

        it("a bad URL: badRequest saying what it must look like, never quoting a password", async () => {
            for (const url of ["ftp://host/x", "not a url", "localhost:8080", "http://"]) {
                const error = await rejection(requestJson(call(url)), "badRequest");
                assert.match(error.message, /must be an http:\/\/ or https:\/\/ URL such as http:\/\/localhost:8080/);
            }
            const credentials = await rejection(requestJson(call("http://admin:hunter22@gpu-box:8080/")), "badRequest");
            assert.match(credentials.message, /user name or password/);
            assert.doesNotMatch(credentials.message, /hunter22/);
            assert.equal(credentials.server?.url, "http://gpu-box:8080");
        });

        it("an API key that no header can carry: badRequest that does not quote it", async () => {
            const server = await fakeServer((_request, response) => json(response, 200, {}));
            const error = await rejection(requestJson(call(server.url, { endpoint: { apiKey: `${apiKey}\nX-Evil: 1` } })), "badRequest");
            assertNoKey(error);
            assert.equal(server.requests.length, 0);
        });

        it("an already aborted signal: cancelled, and nothing is sent", async () => {
            const server = await fakeServer((_request, response) => json(response, 200, {}));
            const controller = new AbortController();
            controller.abort();
            await rejection(requestJson(call(server.url, { signal: controller.signal })), "cancelled");
            assert.equal(server.requests.length, 0);
        });

        it("abort while waiting for the headers: cancelled, and the server sees the connection close", async () => {
            const controller = new AbortController();
            const server = await fakeServer(() => controller.abort());
            await rejection(requestJson(call(server.url, { signal: controller.signal, retries: 3 })), "cancelled");
            await server.requests[0]?.socketClosed;
            assert.equal(server.requests.length, 1);
        });

        it("abort while a retry's backoff is pending: cancelled without further requests", async function () {
            this.timeout(4000); // the server asks for 5 s: only the abort ends the wait in time
            const controller = new AbortController();
            const server = await fakeServer((_request, response) => {
                json(response, 503, { error: "busy" }, { "retry-after": "5" });
                setTimeout(() => controller.abort(), 50);
            });
            await rejection(requestJson(call(server.url, { signal: controller.signal, retries: 3 })), "cancelled");
            await tick(100);
            assert.equal(server.requests.length, 1);
            assert.equal(getEventListeners(controller.signal, "abort").length, 0);
        });
    });

    describe("streamJson", () => {
        function sse(response: ServerResponse): void {
            response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        }

        it("SSE: events with comments, fields, multi-line data and CRLF, split anywhere (mid-UTF-8 too), up to [DONE]", async () => {
            const payload =
                ": ping\r\n" +
                'event: message\r\nid: 1\r\ndata: {"content":"héllo 🔥"}\r\n\r\n' +
                'data: {"content":\r\ndata: "wörld"}\n\n' +
                "retry: 1000\n\n" + // an event without data: nothing
                'data:{"content":"日本語"}\n\n' +
                "data: [DONE]\n\n" +
                'data: {"content":"after done"}\n\n';
            const server = await fakeServer(async (_request, response) => {
                sse(response);
                await writeBytewise(response, payload);
                response.end();
            });
            const values = await collect(streamJson(call(server.url, { body: { stream: true } }), "sse"));
            assert.deepEqual(values, [{ content: "héllo 🔥" }, { content: "wörld" }, { content: "日本語" }]);
            assert.equal(server.requests[0]?.headers.accept, "text/event-stream");
        });

        it("SSE: a stream that ends without [DONE] just ends, its last event included", async () => {
            const server = await fakeServer((_request, response) => {
                sse(response);
                response.end('data: {"a":1}\n\ndata: {"a":2}');
            });
            assert.deepEqual(await collect(streamJson(call(server.url), "sse")), [{ a: 1 }, { a: 2 }]);
        });

        it("SSE: data that is not JSON: serverBadResponse quoting at most ~120 characters", async () => {
            const server = await fakeServer((_request, response) => {
                sse(response);
                response.end(`data: {"a":1}\n\ndata: {"a": ${"q".repeat(500)}\n\n`);
            });
            const values: unknown[] = [];
            const error = await rejection(
                (async () => {
                    for await (const value of streamJson(call(server.url), "sse")) values.push(value);
                })(),
                "serverBadResponse",
            );
            assert.deepEqual(values, [{ a: 1 }]);
            assert.match(error.message, /not JSON \("\{"a": q+…"\)/);
            assert.ok(error.message.length < 250);
        });

        it("a line over maxBytes: serverBadResponse", async () => {
            const server = await fakeServer((_request, response) => {
                sse(response);
                response.write('data: {"a":1}\n\n');
                response.write(`data: "${"w".repeat(100)}`); // never ends: the limit, not the end, must stop it
            });
            const error = await rejection(collect(streamJson(call(server.url, { maxBytes: 64 }), "sse")), "serverBadResponse");
            assert.match(error.message, /a line longer than 64 bytes/);
            await server.requests[0]?.socketClosed;
        });

        it("SSE: an event over maxBytes in many data lines: serverBadResponse", async () => {
            const server = await fakeServer((_request, response) => {
                sse(response);
                response.end(`${"data: 1234567890\n".repeat(20)}\n`);
            });
            const error = await rejection(collect(streamJson(call(server.url, { maxBytes: 64 }), "sse")), "serverBadResponse");
            assert.match(error.message, /an event larger than 64 bytes/);
        });

        it("SSE: an error object, llama.cpp's error field, or an error event: serverFailed with its message", async () => {
            const server = await fakeServer((request, response) => {
                sse(response);
                if (request.url === "/data") response.end('data: {"content":"a"}\n\ndata: {"error":{"message":"context overflow","code":400}}\n\n');
                else if (request.url === "/field")
                    response.end('error: {"code":400,"message":"the request exceeds the available context size","type":"x"}\n\n');
                else response.end('event: error\ndata: {"message":"gone"}\n\n');
            });
            const values: unknown[] = [];
            const data = await rejection(
                (async () => {
                    for await (const value of streamJson(call(server.url, { path: "/data" }), "sse")) values.push(value);
                })(),
                "serverFailed",
            );
            assert.deepEqual(values, [{ content: "a" }]);
            assert.match(data.message, /failed during its answer: context overflow/);
            assert.equal(data.server?.status, 200);
            const field = await rejection(collect(streamJson(call(server.url, { path: "/field" }), "sse")), "serverFailed");
            assert.match(field.message, /exceeds the available context size/);
            const event = await rejection(collect(streamJson(call(server.url, { path: "/event" }), "sse")), "serverFailed");
            assert.match(event.message, /gone/);
        });

        it("NDJSON: one value per line, blank lines skipped, the last line without a newline", async () => {
            const server = await fakeServer(async (_request, response) => {
                response.writeHead(200, { "content-type": "application/x-ndjson" });
                await writeBytewise(response, '{"response":"é","done":false}\r\n\n{"response":"🔥","done":false}\n{"response":"","done":true}');
                response.end();
            });
            const ollama = call(server.url, { path: "/api/generate", body: { stream: true }, endpoint: { kind: "ollama", model: "m" } });
            assert.deepEqual(await collect(streamJson(ollama, "ndjson")), [
                { response: "é", done: false },
                { response: "🔥", done: false },
                { response: "", done: true },
            ]);
        });

        it("NDJSON: an error line: serverFailed; a line that is not JSON: serverBadResponse", async () => {
            const server = await fakeServer((request, response) => {
                response.writeHead(200, { "content-type": "application/x-ndjson" });
                if (request.url === "/error") response.end('{"response":"a"}\n{"error":"out of memory"}\n');
                else response.end('{"response":"a"}\nnope\n');
            });
            const failed = await rejection(collect(streamJson(call(server.url, { path: "/error", endpoint: { kind: "ollama" } }), "ndjson")), "serverFailed");
            assert.match(failed.message, /Ollama server .* failed during its answer: out of memory/);
            const bad = await rejection(collect(streamJson(call(server.url, { path: "/bad" }), "ndjson")), "serverBadResponse");
            assert.match(bad.message, /a line that is not JSON \("nope"\)/);
        });

        it("an error status before the stream: the same errors as requestJson", async () => {
            const server = await fakeServer((_request, response) => json(response, 500, { error: { message: "boom" } }));
            const error = await rejection(collect(streamJson(call(server.url, { endpoint: { apiKey } }), "sse")), "serverFailed");
            assert.match(error.message, /boom/);
        });

        it("breaking out of the loop closes the connection", async () => {
            const controller = new AbortController();
            const server = await fakeServer((_request, response) => {
                sse(response);
                let n = 0;
                const timer = setInterval(() => response.write(`data: {"n":${n++}}\n\n`), 5);
                response.on("close", () => clearInterval(timer));
            });
            const values: unknown[] = [];
            for await (const value of streamJson(call(server.url, { signal: controller.signal }), "sse")) {
                values.push(value);
                if (values.length === 3) break;
            }
            assert.deepEqual(values, [{ n: 0 }, { n: 1 }, { n: 2 }]);
            await server.requests[0]?.socketClosed;
            assert.equal(getEventListeners(controller.signal, "abort").length, 0);
        });

        it("aborting mid-stream: cancelled, and the server sees the connection close", async () => {
            const controller = new AbortController();
            const server = await fakeServer((_request, response) => {
                sse(response);
                response.write('data: {"n":0}\n\n'); // then nothing: the client waits in a read
            });
            const values: unknown[] = [];
            const error = await rejection(
                (async () => {
                    for await (const value of streamJson(call(server.url, { signal: controller.signal }), "sse")) {
                        values.push(value);
                        setTimeout(() => controller.abort(), 20);
                    }
                })(),
                "cancelled",
            );
            assert.deepEqual(values, [{ n: 0 }]);
            assert.match(error.message, /was cancelled/);
            await server.requests[0]?.socketClosed;
        });

        it("a stream that stalls: timedOut by idleTimeoutMs, and the connection is closed", async () => {
            const server = await fakeServer((_request, response) => {
                sse(response);
                response.write('data: {"n":0}\n\ndata: {"n"'); // half an event, then silence
            });
            const values: unknown[] = [];
            const error = await rejection(
                (async () => {
                    for await (const value of streamJson(call(server.url, { idleTimeoutMs: 100 }), "sse")) values.push(value);
                })(),
                "timedOut",
            );
            assert.deepEqual(values, [{ n: 0 }]);
            assert.match(error.message, /sent nothing for 100 ms/);
            await server.requests[0]?.socketClosed;
        });

        it("a connection that breaks mid-stream: serverUnreachable", async () => {
            const server = await fakeServer((request, response) => {
                sse(response);
                response.write('data: {"n":0}\n\n');
                setTimeout(() => request.socket.destroy(), 20);
            });
            const error = await rejection(collect(streamJson(call(server.url), "sse")), "serverUnreachable");
            assert.match(error.message, /broke during its answer/);
        });
    });

    describe("describeServer", () => {
        const endpoint = (url: string): ServerEndpoint => ({ kind: "openai", url, model: "" });

        it("gives the origin and path, without credentials, query, fragment or trailing slash", () => {
            assert.equal(describeServer(endpoint("http://gpu-box:8080/")), "http://gpu-box:8080");
            assert.equal(describeServer(endpoint("https://user:secret@api.example.com/v1/?key=abc#x")), "https://api.example.com/v1");
            assert.equal(describeServer(endpoint("http://[::1]:8000/v1")), "http://[::1]:8000/v1");
            assert.equal(describeServer(endpoint("  HTTP://GPU-BOX:80/  ")), "http://gpu-box");
        });

        it("cleans what does not parse", () => {
            assert.equal(describeServer(endpoint("user:secret@gpu box:8080/?token=abc")), "gpu box:8080");
            assert.equal(describeServer(endpoint("ftp://u:p@host/x")), "ftp://host/x");
            assert.equal(describeServer(endpoint("a\u0000b")), "a b");
        });
    });
});
