/**
 * `npm run bench:engine`: how long the engine takes to come up, and which thread
 * count runs a model fastest on this machine.
 *
 *   --models tiny,0.5b   which generated models to time (default both)
 *   --model PATH         also time this GGUF file
 *   --runs N             start-ups per model (default 3; the median is reported)
 *   --json FILE          write the figures as JSON
 *
 * Start-up goes through the same EngineClient and sidecar the extension uses.
 * Threads are timed with node-llama-cpp directly, idle and with one core kept busy
 * (as VS Code's own processes keep it when the user types).
 */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { benchOption, qwen05bShapeModel, tinyBenchModel } from "./benchModels";
import { createTestEngine, settingsFor } from "../engine/engineHarness";

interface StartupFigures {
    readonly model: string;
    readonly runs: number;
    readonly sidecarReadyMs: number;
    readonly backendLoadMs: number;
    readonly modelLoadMs: number;
    readonly contextCreateMs: number;
    readonly totalToReadyMs: number;
}

interface ThreadFigures {
    readonly threads: number;
    readonly otherCoreBusy: boolean;
    readonly prefillTokensPerSecond: number;
    readonly decodeMsPerToken: number;
}

const option = (name: string): string | undefined => benchOption(name);

async function main(): Promise<void> {
    const runs = Number(option("runs") ?? 3);
    const wanted = (option("models") ?? "tiny,0.5b").split(",");
    const models: [name: string, path: string][] = [];
    if (wanted.includes("tiny")) models.push(["tiny (2 layers, n_embd 64, F16)", await tinyBenchModel()]);
    if (wanted.includes("0.5b")) models.push(["Qwen2.5-Coder-0.5B shape (24 layers, n_embd 896, Q8_0)", await qwen05bShapeModel()]);
    const extra = option("model");
    if (extra !== undefined) models.push([extra, resolve(extra)]);

    const startup: StartupFigures[] = [];
    for (const [name, path] of models) startup.push(await timeStartup(name, path, runs));
    printTable("Engine start-up (median of runs; fork to ready through the real sidecar)", startup);

    const threadModel = models.find(([name]) => name.startsWith("Qwen2.5")) ?? models[0];
    const threads = threadModel === undefined ? [] : await timeThreads(threadModel[1]);
    printTable(`Threads on ${threadModel?.[0] ?? "-"} (prefill 256 tokens, decode 32)`, threads);

    const jsonFile = option("json");
    if (jsonFile !== undefined) writeFileSync(jsonFile, JSON.stringify({ cores: availableParallelism(), startup, threads }, null, 2));
}

async function timeStartup(model: string, path: string, runs: number): Promise<StartupFigures> {
    const samples: Omit<StartupFigures, "model" | "runs">[] = [];
    for (let run = 0; run < runs; run++) {
        const engine = createTestEngine();
        const started = performance.now();
        let sidecarReadyMs = 0;
        const readyLine = /Sidecar \d+ up in (\d+) ms/;
        await engine.client.start(settingsFor(path, { contextSize: 4096 }));
        const state = await engine.waitFor((s) => s.kind === "ready" || s.kind === "error", "the model", 300_000);
        const totalToReadyMs = performance.now() - started;
        if (state.kind !== "ready") throw new Error(`${path} did not load: ${JSON.stringify(state)}`);
        for (const line of engine.logs) sidecarReadyMs = Number(readyLine.exec(line)?.[1] ?? sidecarReadyMs);
        samples.push({
            sidecarReadyMs,
            backendLoadMs: state.backend.backendLoadMs,
            modelLoadMs: state.load.modelLoadMs,
            contextCreateMs: state.load.contextCreateMs,
            totalToReadyMs: Math.round(totalToReadyMs),
        });
        await engine.client.dispose();
    }
    const median = (pick: (s: (typeof samples)[number]) => number): number => {
        const values = samples.map(pick).sort((a, b) => a - b);
        return values[Math.floor(values.length / 2)] ?? 0;
    };
    return {
        model,
        runs,
        sidecarReadyMs: median((s) => s.sidecarReadyMs),
        backendLoadMs: median((s) => s.backendLoadMs),
        modelLoadMs: median((s) => s.modelLoadMs),
        contextCreateMs: median((s) => s.contextCreateMs),
        totalToReadyMs: median((s) => s.totalToReadyMs),
    };
}

async function timeThreads(modelPath: string): Promise<ThreadFigures[]> {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath });
    const prompt = model.tokenize("export function add(a: number, b: number): number {\n    return a + b;\n}\n".repeat(30)).slice(0, 256);
    const figures: ThreadFigures[] = [];
    for (const otherCoreBusy of [false, true]) {
        const spinner = otherCoreBusy ? busyCore() : undefined;
        for (let threads = 1; threads <= Math.max(2, availableParallelism()); threads++) {
            const context = await model.createContext({ contextSize: 1024, threads });
            const sequence = context.getSequence();
            let started = performance.now();
            await sequence.evaluateWithoutGeneratingNewTokens(prompt);
            const prefillMs = performance.now() - started;
            started = performance.now();
            let generated = 0;
            for await (const token of sequence.evaluate([prompt[0] ?? 0], { temperature: 0 })) {
                void token;
                if (++generated >= 32) break;
            }
            figures.push({
                threads,
                otherCoreBusy,
                prefillTokensPerSecond: Math.round((prompt.length / prefillMs) * 1000),
                decodeMsPerToken: Number(((performance.now() - started) / generated).toFixed(1)),
            });
            await context.dispose();
        }
        await spinner?.terminate();
    }
    await model.dispose();
    await llama.dispose();
    return figures;
}

/** Keeps one core busy, as the editor, the extension host and the renderer do while typing. */
function busyCore(): Worker {
    return new Worker("const end = () => {}; for (;;) { end(); }", { eval: true });
}

function printTable(title: string, rows: readonly object[]): void {
    process.stdout.write(`\n${title}\n`);
    console.table(rows);
}

main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
});
