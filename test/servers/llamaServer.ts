/**
 * Starts llama.cpp's own server (`llama-server`, built by test/servers/build-llama-server.sh) for the
 * server-engine tests and benchmarks. Plain Node: used by the engine tests, by the integration tests
 * inside VS Code's extension host and by `npm run bench -- --engine llama.cpp`.
 *
 *   const server = await startLlamaServer({ model: "/tmp/tiny.gguf" });
 *   // … requests to server.url …
 *   await server.stop();
 *
 * The binary: $HEARTH_LLAMA_SERVER, else the build script's cache,
 * $HEARTH_TEST_CACHE (default ~/.cache/hearth-test)/llama-server-<tag>/bin/llama-server, where <tag>
 * is the llama.cpp release node-llama-cpp bundles (llama.cpp.info.json).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export interface LlamaServerOptions {
    /** The GGUF file (-m). */
    readonly model: string;
    /** Parallel slots (-np, default 2). */
    readonly slots?: number;
    /** Context per slot (default 4096): -c is slots × contextSize. */
    readonly contextSize?: number;
    /** Threads (-t, default 1). */
    readonly threads?: number;
    /** More command-line arguments, appended last. */
    readonly extraArgs?: readonly string[];
    /** Each line the server writes (stdout and stderr). */
    readonly log?: (line: string) => void;
}

export interface RunningLlamaServer {
    /** http://127.0.0.1:PORT */
    readonly url: string;
    readonly pid: number;
    /** Kills the server (SIGTERM, then SIGKILL after 5 s); resolves once it exited. */
    stop(): Promise<void>;
    /** The server's stderr/stdout tail, for failure messages. */
    readonly output: string;
}

const healthPollMs = 100;
const startTimeoutMs = 120_000;
const killGraceMs = 5_000;
/** Lines of output kept for `output`. */
const tailLines = 60;

/** The llama-server binary to use, or undefined when it is not built (run test/servers/build-llama-server.sh). */
export function llamaServerPath(): string | undefined {
    const fromEnv = process.env.HEARTH_LLAMA_SERVER;
    if (fromEnv !== undefined && fromEnv !== "") return existsSync(fromEnv) ? fromEnv : undefined;
    const tag = bundledLlamaCppTag();
    if (tag === undefined) return undefined;
    const cache = process.env.HEARTH_TEST_CACHE ?? join(homedir(), ".cache", "hearth-test");
    const path = join(cache, `llama-server-${tag}`, "bin", "llama-server");
    return existsSync(path) ? path : undefined;
}

/** The llama.cpp release of node-llama-cpp, found from this file up (out/test/servers, or test/servers). */
function bundledLlamaCppTag(): string | undefined {
    for (let dir = __dirname; ; dir = dirname(dir)) {
        const info = join(dir, "node_modules", "node-llama-cpp", "llama", "llama.cpp.info.json");
        if (existsSync(info)) {
            const parsed: unknown = JSON.parse(readFileSync(info, "utf8"));
            const tag = typeof parsed === "object" && parsed !== null && "tag" in parsed ? parsed.tag : undefined;
            return typeof tag === "string" ? tag : undefined;
        }
        if (dirname(dir) === dir) return undefined;
    }
}

/** Starts llama-server on a free port of 127.0.0.1 and resolves once GET /health answers 200. */
export async function startLlamaServer(options: LlamaServerOptions): Promise<RunningLlamaServer> {
    const binary = llamaServerPath();
    if (binary === undefined) {
        throw new Error("llama-server is not built: run 'bash test/servers/build-llama-server.sh' (or set HEARTH_LLAMA_SERVER).");
    }
    // Another process may take the free port before the server binds it: then try another.
    for (let attempt = 1; ; attempt++) {
        try {
            return await startOnce(binary, await freePort(), options);
        } catch (error) {
            if (attempt >= 3 || !(error instanceof PortTakenError)) throw error;
        }
    }
}

class PortTakenError extends Error {}

async function startOnce(binary: string, port: number, options: LlamaServerOptions): Promise<RunningLlamaServer> {
    const slots = options.slots ?? 2;
    const args = [
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "-m",
        options.model,
        "-np",
        String(slots),
        "-c",
        String(slots * (options.contextSize ?? 4096)),
        "-t",
        String(options.threads ?? 1),
        "--metrics",
        "--no-webui",
        ...(options.extraArgs ?? []),
    ];
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    const collect = (stream: NodeJS.ReadableStream): void => {
        let partial = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
            const parts = (partial + chunk).split("\n");
            partial = parts.pop() ?? "";
            for (const line of parts) {
                lines.push(line);
                if (lines.length > tailLines) lines.shift();
                options.log?.(line);
            }
        });
    };
    collect(child.stdout);
    collect(child.stderr);
    const output = (): string => lines.join("\n");

    const exited = new Promise<string>((resolve) => {
        // "close", not "exit": the output is read to its end by then.
        child.on("close", (code, signal) => resolve(signal !== null ? `signal ${signal}` : `code ${code}`));
        child.on("error", (error) => resolve(`error: ${error.message}`));
    });
    let hasExited = false;
    void exited.then(() => (hasExited = true));
    // Never outlive the Node process that started it (tests that fail or exit early included).
    const killOnExit = (): void => {
        if (!hasExited) child.kill("SIGKILL");
    };
    process.on("exit", killOnExit);

    const stop = async (): Promise<void> => {
        if (!hasExited) {
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), killGraceMs);
            await exited;
            clearTimeout(timer);
        }
        process.removeListener("exit", killOnExit);
    };

    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + startTimeoutMs;
    let ended: string | undefined;
    void exited.then((how) => (ended = how));
    for (;;) {
        if (ended !== undefined) {
            process.removeListener("exit", killOnExit);
            const tail = output();
            const message = `llama-server exited (${ended}) before it was ready:\n  ${binary} ${args.join(" ")}\n${tail}`;
            throw /couldn't bind|address already in use/i.test(tail) ? new PortTakenError(message) : new Error(message);
        }
        if (await healthy(url)) break;
        if (Date.now() > deadline) {
            const tail = output();
            await stop();
            throw new Error(`llama-server did not answer GET /health with 200 within ${startTimeoutMs / 1000} s:\n  ${binary} ${args.join(" ")}\n${tail}`);
        }
        await new Promise((resolve) => setTimeout(resolve, healthPollMs));
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error("llama-server started without a process id.");
    return {
        url,
        pid,
        stop,
        get output() {
            return output();
        },
    };
}

async function healthy(url: string): Promise<boolean> {
    try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        return response.status === 200;
    } catch {
        return false;
    }
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address !== null ? address.port : 0;
            server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
        });
    });
}
