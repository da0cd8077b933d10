/**
 * `npm run bench -- --engine llama.cpp [--url URL] [--model PATH]`: what a keystroke costs when a
 * server engine serves the completions, for Hearth and for llama.vscode, in the same run, on the
 * same server, model and keystrokes. (completionBench.ts hands `--engine` here.)
 *
 * The typing is completionBench's: the same sites of test/fixtures/source/lexer.ts.txt, each line end
 * deleted and retyped one character at a time. Every keystroke is sent
 *  - by Hearth, through the real EngineClient and sidecar as the extension drives them (chooseMode,
 *    the default budgets, the document whole), with EngineSettings.servers.completion naming the
 *    server and no local model; evaluated tokens are the sidecar's counts.evaluatedTokens (the
 *    server's timings.prompt_n), latency the client's wall time per request;
 *  - in llama.vscode's request shape, straight to the server: POST /infill with the lines above the
 *    cursor as input_prefix, the current line up to the cursor as prompt, the rest of the line and
 *    the lines below as input_suffix, its ring buffer of extra chunks as input_extra, and its
 *    sampling and timing fields, as ggml-org/llama.vscode sends them (src/llama-server.ts
 *    createRequestPayload/getFIMCompletion and src/completion.ts getCompletionItems at commit
 *    033bf1137ca374cc841f0f831f94a628cd19e31a; the defaults of its package.json and the ring buffer
 *    of src/extra-context.ts at 009e5b72e5bb51a16e455bbcaa084dad5584c14b); evaluated tokens are the
 *    answer's timings.prompt_n, latency the wall time of the request.
 * With a server of 2 slots or more (`-np`), the two are interleaved per keystroke (taking turns at
 * going first) and llama.vscode's requests are pinned to the last slot with `id_slot` (the one field
 * added to its requests: Hearth's sidecar gives each document a slot of its own, from slot 0), so
 * neither evicts the other's cache. With one slot, Hearth types every keystroke first, then llama.vscode.
 *
 * The first keystroke at a site pays for the jump there. As in completionBench, the cursor rests
 * before every other site: there Hearth warms the prompt (WarmRequest, as the extension does when
 * the cursor rests) and llama.vscode's timer moves its queued chunks into the ring buffer (one
 * n_predict 0 request per chunk, as its periodicRingBufferUpdate does). That work is reported on its
 * own, not as a keystroke. Neither extension's client-side result cache is modelled: every keystroke
 * is a request (llama.vscode skips one when more than 8 characters follow the cursor; none do here).
 *
 *   --engine llama.cpp|ollama|openai  the server engine (llama.cpp: both sides; ollama and openai:
 *                        Hearth alone, as llama.vscode's /infill is llama.cpp's only)
 *   --url URL            the server; without it (llama.cpp only) the bench starts llama-server itself
 *                        (test/servers/llamaServer.ts: 2 slots, with llama.vscode's recommended FIM
 *                        flags `--cache-reuse 256 -b 1024 -ub 1024`) and stops it at the end
 *   --model PATH|NAME    llama.cpp without --url: the GGUF to start llama-server with (default:
 *                        completionBench's generated model with the shape of Qwen2.5-Coder-0.5B);
 *                        ollama/openai: the model's name on the server (required)
 *   --threads N          llama-server's threads when the bench starts it (default 1)
 *   --context N          context per slot when the bench starts llama-server (default 4096)
 *   --layout psm|spm     Hearth's prompt layout (default psm, the extension's default)
 *   --sites N            typing sites (default 20)
 *   --tail N             most characters deleted and retyped per site (default 8; at least 4)
 *   --keystrokes N       stop after N keystrokes (a quick run)
 *   --json FILE          write the figures (below)
 * An API key for the server, if it needs one, is read from $HEARTH_BENCH_API_KEY.
 *
 *   { "engine", "url", "model", "threads", "slots", "schedule": "interleaved"|"sequential", "keystrokes",
 *     "hearth": { "evaluated_tokens": {"p50","p95"}, "latency_ms": {"p50","p95"}, "first_keystroke": {…},
 *                 "rest": {…}, "requests", "error" } | null,
 *     "llama_vscode": { same } | null,
 *     "latency_ratio_p50": Hearth p50 / llama.vscode p50 | null,
 *     "targets": { "hearth_evaluated_p50_at_most_8": bool | null, "hearth_latency_at_most_0.2x": bool | null } }
 * (null: not measurable in this run). Each side also says whether the server reported token counts
 * ("counts_reported": an OpenAI-compatible stream may not, and then its token figures read 0).
 *
 * Run time: a random-weight model (the default) never ends a suggestion by itself, so every
 * llama.vscode request runs to its n_predict (128 tokens, or t_max_predict_ms after a newline) and
 * every Hearth request to its budget; --keystrokes N makes a quick run.
 *
 * Figures are over every keystroke (the first at each site included); "first_keystroke" is those
 * first keystrokes alone, "rest" the work done while the cursor rested. Targets (reported, not
 * asserted): Hearth's p50 evaluated tokens per keystroke at most 8; Hearth's p50 latency at most
 * 0.2x llama.vscode's.
 */
import { writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { CancellationToken } from "vscode-jsonrpc/node";
import { chooseMode } from "../../src/extension/completion/completionSite";
import type { CompleteParams, CompletionBudget, PromptLayout } from "../../src/protocol/completionProtocol";
import type { ServerEndpoint, ServerKind } from "../../src/protocol/engineProtocol";
import { createTestEngine, settingsFor, type TestEngine } from "../engine/engineHarness";
import { keystrokesAt, percentile, pickSites, readRealSource, realSourceFile, seededRandom, type Keystroke, type TypingSite } from "../engine/typingReplay";
import { extensionBudget } from "../quality/qualityRunner";
import { llamaServerPath, startLlamaServer, type LlamaServerOptions, type RunningLlamaServer } from "../servers/llamaServer";
import { qwen05bShapeModel } from "./benchModels";

// ---------- the typing, shared with completionBench ----------

/** The fewest characters a site retypes. */
export const minTail = 4;
const siteSeed = 20_250;

/** The typing sites of `npm run bench` (every engine's benchmark types the same keystrokes). */
export function benchSites(text: string, count: number, tail: number): TypingSite[] {
    return pickSites(text, count, siteSeed, minTail, tail);
}

// ---------- options ----------

interface Options {
    readonly engine: ServerKind;
    readonly url: string | undefined;
    readonly model: string | undefined;
    readonly threads: number;
    readonly context: number;
    readonly layout: PromptLayout;
    readonly sites: number;
    readonly tail: number;
    readonly keystrokes: number;
    readonly json: string | undefined;
}

function parseOptions(args: readonly string[]): Options {
    const value = (name: string): string | undefined => {
        const index = args.indexOf(`--${name}`);
        if (index < 0) return undefined;
        const found = args[index + 1];
        if (found === undefined || found.startsWith("--")) throw new Error(`--${name} needs a value.`);
        return found;
    };
    const engine = value("engine");
    if (engine !== "llama.cpp" && engine !== "ollama" && engine !== "openai") throw new Error(`--engine must be llama.cpp, ollama or openai, not ${engine}.`);
    const layout = value("layout") ?? "psm";
    if (layout !== "psm" && layout !== "spm") throw new Error(`--layout must be psm or spm, not ${layout}.`);
    const url = value("url");
    const model = value("model");
    if (engine !== "llama.cpp" && (url === undefined || model === undefined))
        throw new Error(`--engine ${engine} needs --url and --model (the model's name on the server).`);
    if (engine === "llama.cpp" && url !== undefined && model !== undefined) {
        throw new Error("--model starts llama-server with that file: with --url, the server runs its own model (leave --model out).");
    }
    const tail = positiveInteger("tail", value("tail") ?? "8");
    if (tail < minTail) throw new Error(`--tail must be at least ${minTail}.`);
    const keystrokes = value("keystrokes");
    const json = value("json");
    return {
        engine,
        url: url?.replace(/\/+$/, ""),
        model: model === undefined || engine !== "llama.cpp" ? model : resolve(model),
        threads: positiveInteger("threads", value("threads") ?? "1"),
        context: positiveInteger("context", value("context") ?? "4096"),
        layout,
        sites: positiveInteger("sites", value("sites") ?? "20"),
        tail,
        keystrokes: keystrokes === undefined ? Number.POSITIVE_INFINITY : positiveInteger("keystrokes", keystrokes),
        json: json === undefined ? undefined : resolve(json),
    };
}

function positiveInteger(name: string, text: string): number {
    const parsed = Number(text);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, not ${text}.`);
    return parsed;
}

// ---------- the two sides ----------

interface Sample {
    readonly site: number;
    readonly line: number;
    /** 1 for the first keystroke at a site (it pays for the jump), then 2, 3, … */
    readonly index: number;
    readonly evaluatedTokens: number;
    readonly promptTokens: number;
    readonly generatedTokens: number;
    readonly ms: number;
}

interface RestSample {
    readonly requests: number;
    readonly evaluatedTokens: number;
    readonly ms: number;
}

interface Side {
    readonly name: string;
    /** The cursor rests at a site before typing there. */
    rest(jump: Keystroke): Promise<RestSample>;
    /** One keystroke; undefined when the extension would send no request for it. */
    type(stroke: Keystroke, line: number): Promise<Sample | undefined>;
}

const documentPath = "src/lexer.ts";
const documentId = `file:///bench/${documentPath}`;
/** The extension's defaults (hearth.completions.maxLines, maxTokens, timeBudgetMs). */
const budget: CompletionBudget = extensionBudget();

function hearthSide(engine: TestEngine, layout: PromptLayout): Side {
    const document = (text: string): CompleteParams["document"] => ({ id: documentId, path: documentPath, languageId: "typescript", text });
    return {
        name: "Hearth",
        async rest(jump) {
            const started = performance.now();
            const result = await engine.client.warm({ document: document(jump.text), cursor: jump.cursor, layout }, CancellationToken.None);
            return { requests: 1, evaluatedTokens: result.evaluatedTokens, ms: round(performance.now() - started) };
        },
        async type(stroke, line) {
            const { text, cursor } = stroke;
            const lineStart = text.lastIndexOf("\n", cursor - 1) + 1;
            const lineEndAt = text.indexOf("\n", cursor);
            const mode = chooseMode(text.slice(lineStart, cursor), text.slice(cursor, lineEndAt === -1 ? text.length : lineEndAt));
            const params: CompleteParams = { document: document(text), cursor, mode, layout, budget };
            const started = performance.now();
            const result = await engine.client.complete(params, CancellationToken.None);
            const ms = round(performance.now() - started);
            return {
                site: stroke.site,
                line,
                index: stroke.index,
                evaluatedTokens: result.counts.evaluatedTokens,
                promptTokens: result.counts.promptTokens,
                generatedTokens: result.counts.generatedTokens,
                ms,
            };
        },
    };
}

/** llama.vscode's settings, at their defaults (package.json), and its constants (src/configuration.ts). */
const llamaVscode = {
    n_prefix: 256,
    n_suffix: 64,
    n_predict: 128,
    t_max_prompt_ms: 500,
    t_max_predict_ms: 500,
    max_line_suffix: 8,
    ring_n_chunks: 16,
    ring_chunk_size: 64,
    ring_scope: 1024,
    MAX_LAST_PICK_LINE_DISTANCE: 32,
    MAX_QUEUED_CHUNKS: 16,
} as const;

/** What the bench adds to llama-server's command line when it starts one: llama.vscode's launch_completion default (`-dt`, deprecated, left out). */
const llamaVscodeServerArgs = ["--cache-reuse", "256", "-b", "1024", "-ub", "1024"] as const;

interface Chunk {
    readonly text: string;
    readonly time: number;
    readonly filename: string;
}

interface InfillAnswer {
    readonly content?: string;
    readonly tokens_evaluated?: number;
    readonly timings?: { readonly prompt_n?: number; readonly predicted_n?: number };
}

function llamaVscodeSide(url: string, slot: number | undefined, apiKey: string | undefined): Side {
    const random = seededRandom(siteSeed);
    const filename = `/bench/${documentPath}`;
    // src/extra-context.ts: the ring buffer sent as input_extra, and the chunks queued for it.
    const chunks: Chunk[] = [];
    const queued: Chunk[] = [];
    let lastLinePick = -9999;

    const post = async (body: object): Promise<{ answer: InfillAnswer; ms: number }> => {
        const started = performance.now();
        const response = await fetch(`${url}/infill`, {
            method: "POST",
            headers: { "Content-Type": "application/json", ...(apiKey !== undefined ? { Authorization: `Bearer ${apiKey}` } : {}) },
            body: JSON.stringify({ ...body, ...(slot !== undefined ? { id_slot: slot } : {}) }),
            signal: AbortSignal.timeout(600_000),
        });
        const text = await response.text();
        const ms = round(performance.now() - started);
        if (response.status !== 200) throw new Error(`POST ${url}/infill answered ${response.status}: ${text.slice(0, 500)}`);
        return { answer: JSON.parse(text) as InfillAnswer, ms };
    };
    // ExtraContext.pickChunk(lines, noMod = false, doEvict = false, document).
    const pickChunk = (lines: readonly string[]): void => {
        if (llamaVscode.ring_n_chunks <= 0 || lines.length < 3) return;
        let picked = lines;
        if (lines.length + 1 >= llamaVscode.ring_chunk_size) {
            const start = Math.floor(random() * Math.max(0, lines.length - llamaVscode.ring_chunk_size / 2 + 1));
            picked = lines.slice(start, Math.min(start + llamaVscode.ring_chunk_size / 2, lines.length));
        }
        if (queued.length >= llamaVscode.MAX_QUEUED_CHUNKS) queued.splice(0, 1);
        queued.push({ text: `${picked.join("\n")}\n`, time: Date.now(), filename });
    };
    // ExtraContext.getDocumentLines: from startLine to endLine, both included.
    const documentLines = (lines: readonly string[], startLine: number, endLine: number): string[] => lines.slice(startLine, endLine + 1);
    // ExtraContext.addFimContextChunks, after each suggestion.
    const addFimContextChunks = (lines: readonly string[], line: number): void => {
        if (Math.abs(line - lastLinePick) <= llamaVscode.MAX_LAST_PICK_LINE_DISTANCE) return;
        const last = lines.length - 1;
        pickChunk(documentLines(lines, Math.max(0, line - llamaVscode.ring_scope), Math.max(0, line - llamaVscode.n_prefix)));
        pickChunk(documentLines(lines, Math.min(last, line + llamaVscode.n_suffix), Math.min(last, line + llamaVscode.n_suffix + llamaVscode.ring_chunk_size)));
        lastLinePick = line;
    };

    return {
        name: "llama.vscode",
        // periodicRingBufferUpdate, once a second while no completion started in the last 3 s: one queued
        // chunk into the ring, then updateExtraContext (createRequestPayload(noPredict = true, "", "", chunks, "")).
        async rest() {
            let requests = 0;
            let evaluatedTokens = 0;
            let ms = 0;
            while (queued.length > 0) {
                const next = queued.shift();
                if (next === undefined) break;
                chunks.push(next);
                while (chunks.length > llamaVscode.ring_n_chunks) chunks.shift();
                const { answer, ms: took } = await post({
                    input_prefix: "",
                    input_suffix: "",
                    input_extra: chunks,
                    prompt: "",
                    n_predict: 0,
                    samplers: [],
                    cache_prompt: true,
                    t_max_prompt_ms: llamaVscode.t_max_prompt_ms,
                    t_max_predict_ms: 1,
                });
                requests++;
                evaluatedTokens += answer.timings?.prompt_n ?? 0;
                ms += took;
            }
            return { requests, evaluatedTokens, ms: round(ms) };
        },
        // Completion.getCompletionItems → LlamaServer.getFIMCompletion → createRequestPayload(noPredict = false, …).
        async type(stroke, line) {
            const lines = stroke.text.split("\n");
            const lineText = lines[line] ?? "";
            const column = stroke.cursor - (stroke.text.lastIndexOf("\n", stroke.cursor - 1) + 1);
            const linePrefix = lineText.slice(0, column);
            const lineSuffix = lineText.slice(column);
            // An automatic trigger with more than max_line_suffix characters after the cursor sends nothing.
            if (lineSuffix.length > llamaVscode.max_line_suffix) return undefined;
            const nindent = lineText.length - lineText.trimStart().length;
            const prompt = /^[ \t]*$/.test(linePrefix) ? "" : linePrefix;
            // Utils.getPrefixLines / getSuffixLines.
            const prefixLines = lines.slice(Math.max(0, line - llamaVscode.n_prefix), line);
            const suffixLines = lines.slice(line + 1, Math.min(lines.length - 1, line + llamaVscode.n_suffix) + 1);
            const { answer, ms } = await post({
                input_prefix: `${prefixLines.join("\n")}\n`,
                input_suffix: `${lineSuffix}\n${suffixLines.join("\n")}\n`,
                input_extra: chunks,
                prompt,
                n_predict: llamaVscode.n_predict,
                // defaultRequestParams
                top_k: 40,
                top_p: 0.99,
                stream: false,
                samplers: ["top_k", "top_p", "infill"],
                cache_prompt: true,
                ...(nindent !== 0 ? { n_indent: nindent } : {}),
                t_max_prompt_ms: llamaVscode.t_max_prompt_ms,
                t_max_predict_ms: llamaVscode.t_max_predict_ms,
            });
            addFimContextChunks(lines, line);
            return {
                site: stroke.site,
                line,
                index: stroke.index,
                evaluatedTokens: answer.timings?.prompt_n ?? 0,
                promptTokens: answer.tokens_evaluated ?? 0,
                generatedTokens: answer.timings?.predicted_n ?? 0,
                ms,
            };
        },
    };
}

// ---------- the run ----------

interface SideRun {
    readonly samples: Sample[];
    readonly rests: RestSample[];
    error: string | undefined;
}

/** Types the keystrokes of every site with each of `sides`, taking turns per keystroke at going first. */
async function replay(text: string, sites: readonly TypingSite[], cap: number, sides: readonly Side[], runs: Map<Side, SideRun>): Promise<void> {
    let typed = 0;
    for (const [siteIndex, site] of sites.entries()) {
        if (typed >= cap) break;
        const [jump, ...typing] = keystrokesAt(text, site, siteIndex);
        if (jump === undefined) continue;
        const strokes = typing.slice(0, cap - typed);
        typed += strokes.length;
        const live = (): Side[] => sides.filter((side) => runs.get(side)?.error === undefined);
        if (siteIndex % 2 === 0) {
            for (const side of live()) await attempt(side, runs, async (run) => run.rests.push(await side.rest(jump)));
        }
        for (const [n, stroke] of strokes.entries()) {
            const order = n % 2 === 0 ? live() : live().reverse();
            for (const side of order) {
                await attempt(side, runs, async (run) => {
                    const sample = await side.type(stroke, site.line);
                    if (sample !== undefined) run.samples.push(sample);
                });
            }
        }
        const summary = sides.map((side) => {
            const run = runs.get(side);
            if (run === undefined) return "";
            if (run.error !== undefined) return `${side.name} failed`;
            const here = run.samples.filter((s) => s.site === siteIndex);
            return `${side.name} evaluated p50 ${percentile(
                here.map((s) => s.evaluatedTokens),
                50,
            )}, ${percentile(
                here.map((s) => s.ms),
                50,
            )} ms`;
        });
        say(`  site ${siteIndex + 1}/${sites.length} (line ${site.line + 1}, ${strokes.length} keystrokes): ${summary.filter((s) => s !== "").join("; ")}\n`);
    }
}

/** Runs one side's step; its first error ends that side (reported), the other goes on. */
async function attempt(side: Side, runs: Map<Side, SideRun>, step: (run: SideRun) => Promise<unknown>): Promise<void> {
    const run = runs.get(side);
    if (run === undefined || run.error !== undefined) return;
    try {
        await step(run);
    } catch (error) {
        run.error = error instanceof Error ? error.message : String(error);
        say(`  ${side.name} failed: ${run.error}\n`);
    }
}

// ---------- figures ----------

interface Spread {
    readonly p50: number;
    readonly p95: number;
}

interface SideFigures {
    readonly requests: number;
    /** Whether the server reported token counts (an OpenAI-compatible stream may report none: then every count reads 0). */
    readonly counts_reported: boolean;
    readonly evaluated_tokens: Spread;
    readonly prompt_tokens: Spread;
    readonly generated_tokens: Spread;
    readonly latency_ms: Spread;
    readonly first_keystroke: { readonly samples: number; readonly evaluated_tokens: Spread; readonly latency_ms: Spread };
    readonly rest: { readonly rests: number; readonly requests: number; readonly evaluated_tokens: Spread; readonly ms: Spread };
    readonly error: string | null;
}

function spread(values: readonly number[]): Spread {
    return { p50: percentile(values, 50), p95: percentile(values, 95) };
}

function figuresOf(run: SideRun): SideFigures {
    const first = run.samples.filter((s) => s.index === 1);
    return {
        requests: run.samples.length,
        counts_reported: run.samples.some((s) => s.promptTokens > 0 || s.evaluatedTokens > 0),
        evaluated_tokens: spread(run.samples.map((s) => s.evaluatedTokens)),
        prompt_tokens: spread(run.samples.map((s) => s.promptTokens)),
        generated_tokens: spread(run.samples.map((s) => s.generatedTokens)),
        latency_ms: spread(run.samples.map((s) => s.ms)),
        first_keystroke: { samples: first.length, evaluated_tokens: spread(first.map((s) => s.evaluatedTokens)), latency_ms: spread(first.map((s) => s.ms)) },
        rest: {
            rests: run.rests.length,
            requests: run.rests.reduce((sum, r) => sum + r.requests, 0),
            evaluated_tokens: spread(run.rests.map((r) => r.evaluatedTokens)),
            ms: spread(run.rests.map((r) => r.ms)),
        },
        error: run.error ?? null,
    };
}

function printFigures(name: string, figures: SideFigures): void {
    say(`\n${name}: ${figures.requests} keystroke requests${figures.error !== null ? ` (stopped by an error: ${figures.error})` : ""}\n`);
    if (figures.requests === 0) return;
    if (!figures.counts_reported) say("  (the server reported no token counts: the token figures below read 0, not measured)\n");
    const rows: [string, Spread, string][] = [
        ["prompt tokens evaluated per keystroke", figures.evaluated_tokens, ""],
        ["latency per keystroke (wall time)", figures.latency_ms, " ms"],
        ["prompt tokens", figures.prompt_tokens, ""],
        ["tokens generated", figures.generated_tokens, ""],
        [`first keystroke at a site (${figures.first_keystroke.samples}): evaluated`, figures.first_keystroke.evaluated_tokens, ""],
        [`first keystroke at a site: latency`, figures.first_keystroke.latency_ms, " ms"],
        [`while resting (${figures.rest.rests} rests, ${figures.rest.requests} requests): evaluated`, figures.rest.evaluated_tokens, ""],
        ["while resting: time", figures.rest.ms, " ms"],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    say(`  ${"".padEnd(width)}  ${"p50".padStart(10)}  ${"p95".padStart(10)}\n`);
    for (const [label, values, unit] of rows) say(`  ${label.padEnd(width)}  ${`${values.p50}${unit}`.padStart(10)}  ${`${values.p95}${unit}`.padStart(10)}\n`);
}

function say(text: string): void {
    process.stdout.write(text);
}

function round(value: number): number {
    return Math.round(value * 10) / 10;
}

// ---------- main ----------

interface LlamaProps {
    readonly total_slots?: number;
    readonly model_path?: string;
    readonly default_generation_settings?: { readonly n_ctx?: number };
}

async function llamaProps(url: string, apiKey: string | undefined): Promise<LlamaProps> {
    const response = await fetch(`${url}/props`, {
        headers: apiKey !== undefined ? { Authorization: `Bearer ${apiKey}` } : {},
        signal: AbortSignal.timeout(30_000),
    });
    if (response.status !== 200) throw new Error(`GET ${url}/props answered ${response.status}: is this llama.cpp's server?`);
    return (await response.json()) as LlamaProps;
}

async function startHearth(endpoint: ServerEndpoint, context: number): Promise<TestEngine> {
    const engine = createTestEngine();
    await engine.client.start(settingsFor("", { servers: { completion: endpoint }, contextSize: context }));
    const state = await engine.waitFor((s) => s.kind === "ready" || s.kind === "error" || s.kind === "stopped", "the server engine to be ready", 180_000);
    if (state.kind !== "ready") {
        await engine.client.dispose();
        throw new Error(`Hearth's engine did not become ready: ${JSON.stringify(state)}\n${engine.logs.slice(-10).join("\n")}`);
    }
    return engine;
}

/** `npm run bench -- --engine …`: see the header. */
export async function runServerBench(args: readonly string[]): Promise<void> {
    const options = parseOptions(args);
    const started = performance.now();
    const apiKey = process.env.HEARTH_BENCH_API_KEY || undefined;
    const text = readRealSource();
    const sites = benchSites(text, options.sites, options.tail);

    let server: RunningLlamaServer | undefined;
    let engine: TestEngine | undefined;
    try {
        let url = options.url;
        let model = options.model ?? "";
        if (url === undefined) {
            const binary = llamaServerPath();
            if (binary === undefined) throw new Error("llama-server is not built: run 'bash test/servers/build-llama-server.sh' (or pass --url).");
            model = options.model ?? (await qwen05bShapeModel(say));
            const serverOptions: LlamaServerOptions = {
                model,
                slots: 2,
                contextSize: options.context,
                threads: options.threads,
                extraArgs: llamaVscodeServerArgs,
            };
            say(`starting ${binary} with ${model} (2 slots of ${options.context} tokens, ${options.threads} thread(s), ${llamaVscodeServerArgs.join(" ")})…\n`);
            server = await startLlamaServer(serverOptions);
            url = server.url;
        }
        let slots = 1;
        if (options.engine === "llama.cpp") {
            const props = await llamaProps(url, apiKey);
            slots = props.total_slots ?? 1;
            model = props.model_path ?? model;
            say(`server ${url}: llama.cpp, ${slots} slot(s) of ${props.default_generation_settings?.n_ctx ?? "?"} tokens, model ${model}\n`);
        } else {
            say(`server ${url}: ${options.engine}, model ${model}\n`);
        }
        const interleaved = options.engine === "llama.cpp" && slots >= 2;
        const cap = options.keystrokes;
        // The sites the keystroke cap reaches, and their keystrokes.
        let planned = 0;
        const reached = sites.filter((site) => {
            if (planned >= cap) return false;
            planned += Math.min(site.tail.length, cap - planned);
            return true;
        });
        const schedule =
            options.engine !== "llama.cpp"
                ? "Hearth alone"
                : interleaved
                  ? `interleaved per keystroke, llama.vscode on slot ${slots - 1}`
                  : "one side after the other (1 slot)";
        say(`source: ${basename(realSourceFile)}, ${planned} keystrokes at ${reached.length} of ${sites.length} sites; ${schedule}\n`);

        const sides: Side[] = [];
        const runs = new Map<Side, SideRun>();
        const endpoint: ServerEndpoint = {
            kind: options.engine,
            url,
            model: options.engine === "llama.cpp" ? "" : model,
            ...(apiKey !== undefined ? { apiKey } : {}),
        };
        let hearthError: string | undefined;
        let hearthRun: SideRun | undefined;
        try {
            engine = await startHearth(endpoint, options.context);
            const side = hearthSide(engine, options.layout);
            hearthRun = { samples: [], rests: [], error: undefined };
            sides.push(side);
            runs.set(side, hearthRun);
        } catch (error) {
            hearthError = error instanceof Error ? error.message : String(error);
            say(`Hearth: ${hearthError}\n`);
            if (options.engine !== "llama.cpp") throw error;
        }
        let vscodeRun: SideRun | undefined;
        if (options.engine === "llama.cpp") {
            const side = llamaVscodeSide(url, interleaved ? slots - 1 : undefined, apiKey);
            vscodeRun = { samples: [], rests: [], error: undefined };
            sides.push(side);
            runs.set(side, vscodeRun);
        }
        if (interleaved || sides.length === 1) await replay(text, sites, cap, sides, runs);
        else for (const side of sides) await replay(text, sites, cap, [side], runs);

        const hearth = hearthRun !== undefined ? figuresOf(hearthRun) : null;
        const vscode = vscodeRun !== undefined ? figuresOf(vscodeRun) : null;
        if (hearth !== null) printFigures("Hearth", hearth);
        else say(`\nHearth: no figures (${hearthError ?? "not run"})\n`);
        if (vscode !== null) printFigures("llama.vscode's /infill", vscode);

        const usable = (figures: SideFigures | null): figures is SideFigures => figures !== null && figures.requests > 0;
        const ratio =
            usable(hearth) && usable(vscode) && vscode.latency_ms.p50 > 0 ? Math.round((hearth.latency_ms.p50 / vscode.latency_ms.p50) * 1000) / 1000 : null;
        const evaluatedMet = usable(hearth) && hearth.counts_reported ? hearth.evaluated_tokens.p50 <= 8 : null;
        const latencyMet = ratio !== null ? ratio <= 0.2 : null;
        const verdict = (met: boolean | null): string => (met === null ? "n/a" : met ? "PASS" : "FAIL");
        say("\ntargets (reported, not asserted):\n");
        say(
            `  ${verdict(evaluatedMet)}  Hearth p50 prompt tokens evaluated per keystroke <= 8: ${
                !usable(hearth) ? "no figures" : hearth.counts_reported ? hearth.evaluated_tokens.p50 : "the server reported no token counts"
            }` + `${usable(vscode) ? ` (llama.vscode ${vscode.evaluated_tokens.p50})` : ""}\n`,
        );
        say(
            `  ${verdict(latencyMet)}  Hearth p50 latency <= 0.2x llama.vscode's: ${
                ratio !== null && usable(hearth) && usable(vscode)
                    ? `${ratio}x (${hearth.latency_ms.p50} ms / ${vscode.latency_ms.p50} ms)`
                    : options.engine === "llama.cpp"
                      ? "no figures for both sides"
                      : "no llama.vscode side for this engine"
            }\n`,
        );
        say(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
        if (options.json !== undefined) {
            const figures = {
                engine: options.engine,
                url,
                model,
                threads: server !== undefined ? options.threads : null,
                slots,
                schedule: interleaved ? "interleaved" : "sequential",
                keystrokes: Math.max(hearth?.requests ?? 0, vscode?.requests ?? 0),
                hearth: hearth ?? (hearthError !== undefined ? { error: hearthError } : null),
                llama_vscode: vscode,
                latency_ratio_p50: ratio,
                targets: { hearth_evaluated_p50_at_most_8: evaluatedMet, "hearth_latency_at_most_0.2x": latencyMet },
            };
            writeFileSync(options.json, `${JSON.stringify(figures, null, 2)}\n`);
            say(`wrote ${options.json}\n`);
        }
    } finally {
        await engine?.client.dispose();
        await server?.stop();
    }
}
