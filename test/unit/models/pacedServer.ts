/**
 * A file server on the loopback interface for the download deadline and redirect tests: it
 * serves one file at a pace the test sets per response (a trickle, or a steady but slow
 * stream), honours Range, can drop the connection after some bytes, and can answer with a
 * redirect instead. Every request is recorded with its Range, its Authorization and the body
 * bytes written, for tests to assert on counts rather than on time.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { listenOnLoopback } from "../../fixtures/loopbackServer";

/** `bytes` every `everyMs`. */
interface Pace {
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

    private constructor(
        private readonly server: Server,
        readonly url: string,
        private readonly body: Buffer,
    ) {}

    static async start(body: Buffer): Promise<PacedServer> {
        let instance: PacedServer | undefined = undefined;
        const { server, url } = await listenOnLoopback((request, response) => instance?.handle(request, response));
        instance = new PacedServer(server, url, body);
        return instance;
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
        const record: PacedRequest = {
            path: request.url ?? "/",
            range: request.headers.range,
            authorization: request.headers.authorization,
            status: 0,
            bodyBytesSent: 0,
        };
        this.requests.push(record);
        const location = this.redirect(record.path);
        if (location !== undefined) {
            record.status = 302;
            response.writeHead(302, { Location: location, "Content-Length": "0" }).end();
            return;
        }
        const size = this.body.length;
        const headers = { "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", ETag: '"paced-1"' };
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

/** A GGUF signature and version, then `noiseBytes` of random bytes: all the downloader checks is the header, size and checksum. */
export function ggufLikeBody(noiseBytes: number): Buffer {
    const header = Buffer.alloc(8);
    header.write("GGUF", 0, "latin1");
    header.writeUInt32LE(3, 4);
    return Buffer.concat([header, randomBytes(noiseBytes)]);
}
