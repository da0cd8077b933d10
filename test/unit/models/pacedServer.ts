/**
 * A file server on the loopback interface for the download deadline and redirect tests: it
 * serves one file at a pace the test sets per response (a trickle, or a steady but slow
 * stream), honours Range, can drop the connection after some bytes, and can answer with a
 * redirect instead. Every request is recorded with its Range, its Authorization and the body
 * bytes written, for tests to assert on counts rather than on time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** `bytes` every `everyMs`. */
export interface Pace {
    readonly bytes: number;
    readonly everyMs: number;
}

export interface PacedRequest {
    readonly path: string;
    readonly range: string | undefined;
    readonly authorization: string | undefined;
    status: number;
    bodyBytesSent: number;
}

export class PacedServer {
    readonly requests: PacedRequest[] = [];
    /** The pace of the n-th file response (0-based); undefined: as fast as the socket takes it. */
    pace: (responseIndex: number) => Pace | undefined = () => undefined;
    /** Closes the connection of the n-th file response after this many body bytes. */
    dropAfter: (responseIndex: number) => number | undefined = () => undefined;
    /** Answers a path with a 302 to this Location instead of the file. */
    redirect: (path: string) => string | undefined = () => undefined;
    private fileResponses = 0;

    private constructor(private readonly server: Server, readonly url: string, private readonly body: Buffer) {}

    static async start(body: Buffer): Promise<PacedServer> {
        const started: { instance?: PacedServer } = {};
        const server = createServer((request, response) => {
            if (started.instance === undefined) {
                response.writeHead(503).end();
                return;
            }
            started.instance.handle(request, response).catch(() => response.destroy());
        });
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        const { port } = server.address() as AddressInfo;
        started.instance = new PacedServer(server, `http://127.0.0.1:${port}`, body);
        return started.instance;
    }

    /** File responses only (redirects excluded), in order. */
    get fileRequests(): PacedRequest[] {
        return this.requests.filter((request) => request.status !== 302);
    }

    reset(): void {
        this.requests.length = 0;
        this.fileResponses = 0;
        this.pace = () => undefined;
        this.dropAfter = () => undefined;
        this.redirect = () => undefined;
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
        const record: PacedRequest = { path: request.url ?? "/", range: request.headers.range, authorization: request.headers.authorization, status: 0, bodyBytesSent: 0 };
        this.requests.push(record);
        const location = this.redirect(record.path);
        if (location !== undefined) {
            record.status = 302;
            response.writeHead(302, { Location: location, "Content-Length": "0" }).end();
            return;
        }
        const size = this.body.length;
        const headers = { "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", ETag: "\"paced-1\"" };
        const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? "");
        const start = range === null ? 0 : Number(range[1]);
        if (range !== null) {
            record.status = 206;
            response.writeHead(206, { ...headers, "Content-Range": `bytes ${start}-${size - 1}/${size}`, "Content-Length": String(size - start) });
        } else {
            record.status = 200;
            response.writeHead(200, { ...headers, "Content-Length": String(size) });
        }
        const index = this.fileResponses++;
        const pace = this.pace(index);
        const dropAfter = this.dropAfter(index);
        const body = this.body.subarray(start);
        let sent = 0;
        while (sent < body.length) {
            const end = Math.min(body.length, sent + (pace?.bytes ?? 64 * 1024), dropAfter ?? Infinity);
            if (!(await write(response, body.subarray(sent, end)))) return;
            record.bodyBytesSent += end - sent;
            sent = end;
            if (dropAfter !== undefined && sent >= dropAfter) {
                request.socket.destroy();
                return;
            }
            if (pace !== undefined && sent < body.length) await sleep(pace.everyMs);
            if (response.destroyed) return; // the client gave up (a deadline, a cancel)
        }
        response.end();
    }
}

/** Writes a chunk and waits until it is handed to the socket; false when the connection is gone. */
function write(response: ServerResponse, chunk: Buffer): Promise<boolean> {
    if (response.destroyed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
        const onClose = (): void => resolve(false);
        response.once("close", onClose);
        response.write(chunk, (error) => {
            response.off("close", onClose);
            resolve(error === undefined || error === null);
        });
    });
}

function sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
