/**
 * `npm run bench`: completion latency while typing, through the same EngineClient, sidecar
 * and request parameters the extension uses (minus VS Code).
 *
 * Replays typing on a real 426-line TypeScript file (test/fixtures/source/lexer.ts.txt): at
 * each site it deletes the end of a line and retypes it one character at a time. The state
 * right after the deletion is the jump: at every other site it is warmed with a WarmRequest (as
 * the extension does when the cursor rests, on focus and when idle) and not counted; at the others
 * typing starts at once, and the first keystroke, which pays for the jump, is reported on its own
 * ("unwarmed site, first keystroke"). Every keystroke after it sends a
 * CompleteRequest with the extension's mode and budget (chooseMode, and the
 * default settings: maxLines 8, maxTokens 128, timeBudgetMs 2000), awaited one at a time.
 * Then a sample of those keystroke requests, spread across the sites, runs again with
 * `cold: true` (a fresh sequence) under a document id of its own, so the warm cache stays.
 *
 *   --model PATH         any GGUF with FIM tokens (default: a generated model with the real
 *                        shape of Qwen2.5-Coder-0.5B, Q8_0, random weights, with the real Qwen2
 *                        tokenizer and Qwen2.5's FIM tokens when ../shared/vocab/ggml-vocab-qwen2.gguf
 *                        exists, else the project's own tokenizer; cached in ~/.cache/hearth-test)
 *   --layout psm|spm|both  prompt layouts to measure (default both)
 *   --sites N            typing sites (default 20)
 *   --tail N             most characters deleted and retyped per site (default 8; at least 4)
 *   --cold N             keystroke requests re-run on a fresh sequence, per layout (default 5)
 *   --threads N|auto     the hearth.threads setting (default auto)
 *   --context N          the hearth.contextSize setting (default 4096)
 *   --json FILE          write the figures: with one layout, the object below; with both, an
 *                        ARRAY of two such objects, psm first (each names its "layout")
 *   --samples FILE       also write every request's figures (per keystroke, jump and cold run)
 *   --engine llama.cpp|ollama|openai  measure a server engine instead, side by side with
 *                        llama.vscode's requests (test/bench/serverBench.ts: --url, --model,
 *                        --threads, --keystrokes and the other flags it documents)
 *
 *   { "model", "threads", "layout", "keystrokes",
 *     "warm": { "ttft_ms": {"p50","p95"}, "suggestion_ms": {"p50","p95"}, "evaluated_tokens": {"p50","p95"} },
 *     "cold": { "samples", "ttft_ms": {"p50"}, "evaluated_tokens": {"p50"} },
 *     "decode_ms_per_token", "speedup_p50" }
 *
 * ttft_ms is measured in the sidecar (arrival to first token); suggestion_ms is the client's
 * wall time from sending the request to its result; evaluated_tokens comes from the
 * sequence's token meter. decode_ms_per_token is the median, over warm requests that generated
 * at least 2 tokens, of (totalMs - ttftMs) / (generatedTokens - 1). speedup_p50 is cold p50
 * / warm p50 time to first token. Targets (reported, not asserted): warm time to first token
 * within 2x one decode step, evaluated tokens p50 at most 3, speedup at least 50x.
 *
 * Run time: a random-weight model never ends a suggestion by itself, so every keystroke runs
 * to the extension's budget (48 tokens or 2 s for a line), and each jump re-evaluates most of a
 * ~2,000-token prompt. To keep both layouts near 10 minutes on a 2-core machine with the
 * default model, each site retypes at most 8 characters (--tail; the typing tests use up to
 * 24): 20 sites give 153 keystrokes per layout. A real model that stops at the line end is
 * much faster per keystroke.
 */
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, resolve } from "node:path";
import { CancellationToken } from "vscode-jsonrpc/node";
import { chooseMode } from "../../src/extension/completion/completionSite";
import type { EngineClient } from "../../src/extension/engine/engineClient";
import type {
    CompleteParams,
    CompleteResult,
    CompletionBudget,
    CompletionDocument,
    CompletionMode,
    PromptLayout,
    StopReason,
} from "../../src/protocol/completionProtocol";
import { extensionBudget as settingsBudget } from "../quality/qualityRunner";
import type { ModelInfo } from "../../src/protocol/engineProtocol";
import { createTestEngine, settingsFor, type TestEngine } from "../engine/engineHarness";
import { keystrokesAt, percentile, readRealSource, realSourceFile, type Keystroke, type TypingSite } from "../engine/typingReplay";
import { qwen05bShapeModel } from "./benchModels";
import { benchSites, minTail, runServerBench } from "./serverBench";

// ---------- options ----------

interface Options {
    readonly model: string | undefined;
    readonly layouts: readonly PromptLayout[];
    readonly sites: number;
    readonly tail: number;
    readonly cold: number;
    readonly threads: number | "auto";
    readonly context: number;
    readonly json: string | undefined;
    readonly samples: string | undefined;
}

/** The extension's defaults (hearth.completions.maxLines, maxTokens, timeBudgetMs). */
const extensionBudget: CompletionBudget = settingsBudget();
/** Cold requests evaluate the whole prompt: give them time to finish. */
const coldBudget: CompletionBudget = { ...extensionBudget, maxMs: 300_000 };
const documentPath = "src/lexer.ts";

function parseOptions(args: readonly string[]): Options {
    const value = (name: string): string | undefined => {
        const index = args.indexOf(`--${name}`);
        if (index < 0) return undefined;
        const found = args[index + 1];
        if (found === undefined || found.startsWith("--")) throw new Error(`--${name} needs a value.`);
        return found;
    };
    const layout = value("layout") ?? "both";
    if (layout !== "psm" && layout !== "spm" && layout !== "both") throw new Error(`--layout must be psm, spm or both, not ${layout}.`);
    const threads = value("threads") ?? "auto";
    const model = value("model");
    const json = value("json");
    const samples = value("samples");
    const tail = positiveInteger("tail", value("tail") ?? "8");
    if (tail < minTail) throw new Error(`--tail must be at least ${minTail}.`);
    return {
        model: model === undefined ? undefined : resolve(model),
        layouts: layout === "both" ? ["psm", "spm"] : [layout],
        sites: positiveInteger("sites", value("sites") ?? "20"),
        tail,
        cold: positiveInteger("cold", value("cold") ?? "5"),
        threads: threads === "auto" ? "auto" : positiveInteger("threads", threads),
        context: positiveInteger("context", value("context") ?? "4096"),
        json: json === undefined ? undefined : resolve(json),
        samples: samples === undefined ? undefined : resolve(samples),
    };
}

function positiveInteger(name: string, text: string): number {
    const parsed = Number(text);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, not ${text}.`);
    return parsed;
}

// ---------- the model ----------

/** The generated 0.5B-shape model, shared with the other benchmarks (same file and cache). */
function benchModel(): Promise<string> {
    return qwen05bShapeModel(say);
}

/** Tokens in the whole source file, counted with the model's own tokenizer (vocabulary only). */
async function countFileTokens(modelPath: string, text: string): Promise<number> {
    const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
    const llama = await getLlama({ build: "never", gpu: false, logLevel: LlamaLogLevel.error });
    try {
        const model = await llama.loadModel({ modelPath, vocabOnly: true });
        const count = model.tokenize(text, false).length;
        await model.dispose();
        return count;
    } finally {
        await llama.dispose();
    }
}

function describeModel(info: ModelInfo, generated: boolean): string {
    if (!generated) return info.name;
    // Only a label: Qwen2.5's vocabulary puts <|fim_prefix|> at 151659, the project's tokenizer does not.
    return `${info.name}, ${info.fim !== null && "prefix" in info.fim && info.fim.prefix === 151_659 ? "Qwen2 tokenizer with Qwen2.5 FIM tokens" : "project's own tokenizer"}`;
}

async function startEngine(modelPath: string, options: Options): Promise<{ engine: TestEngine; info: ModelInfo; threads: number; backend: string }> {
    const engine = createTestEngine();
    await engine.client.start(settingsFor(modelPath, { gpu: "auto", threads: options.threads, contextSize: options.context }));
    const state = await engine.waitFor((s) => s.kind === "ready" || s.kind === "error" || s.kind === "stopped", "the model to load", 600_000);
    if (state.kind !== "ready") throw new Error(`The engine did not become ready: ${JSON.stringify(state)}\n${engine.logs.slice(-20).join("\n")}`);
    if (state.load.model.fim === null) throw new Error(`${modelPath} has no FIM tokens: it cannot complete code.`);
    const devices = state.backend.gpuDevices.length > 0 ? ` (${state.backend.gpuDevices.join(", ")})` : "";
    return { engine, info: state.load.model, threads: state.load.threads, backend: `${state.backend.backend}${devices}` };
}

// ---------- one request ----------

interface Sample {
    readonly stroke: Keystroke;
    readonly site: number;
    readonly line: number;
    readonly index: number;
    readonly mode: CompletionMode;
    readonly ttftMs: number;
    readonly totalMs: number;
    readonly suggestionMs: number;
    readonly waitMs: number;
    readonly promptTokens: number;
    readonly reusedTokens: number;
    readonly evaluatedTokens: number;
    readonly generatedTokens: number;
    readonly anchorMoved: boolean;
    readonly stopReason: StopReason;
    readonly raw: string;
}

interface Request {
    readonly client: EngineClient;
    readonly layout: PromptLayout;
    readonly documentId: string;
    readonly cold: boolean;
}

function documentOf(id: string, text: string): CompletionDocument {
    return { id, path: documentPath, languageId: "typescript", text };
}

/** What the extension's InlineCompletionProvider sends for this cursor (mode and budget included). */
function paramsFor(stroke: Keystroke, request: Request): CompleteParams {
    const { text, cursor } = stroke;
    const lineStart = text.lastIndexOf("\n", cursor - 1) + 1;
    const lineEndAt = text.indexOf("\n", cursor);
    const lineEnd = lineEndAt === -1 ? text.length : lineEndAt;
    const mode = chooseMode(text.slice(lineStart, cursor), text.slice(cursor, lineEnd));
    return {
        document: documentOf(request.documentId, text),
        cursor,
        mode,
        layout: request.layout,
        budget: request.cold ? coldBudget : extensionBudget,
        ...(request.cold ? { cold: true } : {}),
    };
}

async function complete(stroke: Keystroke, line: number, request: Request): Promise<Sample> {
    const params = paramsFor(stroke, request);
    const sent = performance.now();
    const result: CompleteResult = await request.client.complete(params, CancellationToken.None);
    const suggestionMs = performance.now() - sent;
    return {
        stroke,
        site: stroke.site,
        line,
        index: stroke.index,
        mode: params.mode,
        ttftMs: result.timings.ttftMs,
        totalMs: result.timings.totalMs,
        suggestionMs: round(suggestionMs),
        waitMs: result.timings.waitMs,
        promptTokens: result.counts.promptTokens,
        reusedTokens: result.counts.reusedTokens,
        evaluatedTokens: result.counts.evaluatedTokens,
        generatedTokens: result.counts.generatedTokens,
        anchorMoved: result.anchorMoved,
        stopReason: result.stopReason,
        raw: result.raw,
    };
}

// ---------- one layout ----------

interface JumpSample {
    readonly evaluatedTokens: number;
    readonly promptTokens: number;
    readonly ms: number;
}

interface LayoutRun {
    readonly layout: PromptLayout;
    readonly warm: readonly Sample[];
    readonly jumps: readonly JumpSample[];
    /** The first keystroke at the sites typed without a warm-up (the user typed before the cursor rested). */
    readonly unwarmed: readonly Sample[];
    readonly cold: readonly { readonly warm: Sample; readonly cold: Sample }[];
    readonly seconds: number;
}

async function runLayout(client: EngineClient, layout: PromptLayout, text: string, sites: readonly TypingSite[], coldCount: number): Promise<LayoutRun> {
    const started = performance.now();
    const warmRequest: Request = { client, layout, documentId: `file:///bench/${layout}/${documentPath}`, cold: false };
    const warm: Sample[] = [];
    const jumps: JumpSample[] = [];
    const unwarmed: Sample[] = [];
    for (const [siteIndex, site] of sites.entries()) {
        const [jump, ...typing] = keystrokesAt(text, site, siteIndex);
        if (jump === undefined) continue;
        // Every other site is typed at once, with no warm-up: its first keystroke pays for the jump.
        const rested = siteIndex % 2 === 0;
        if (rested) jumps.push(await warmJump(client, layout, warmRequest.documentId, jump));
        const samples: Sample[] = [];
        for (const stroke of typing) samples.push(await complete(stroke, site.line, warmRequest));
        if (!rested && samples.length > 0) unwarmed.push(...samples.splice(0, 1));
        warm.push(...samples);
        say(
            `  ${layout} site ${siteIndex + 1}/${sites.length} (line ${site.line + 1}, ${samples.length} keystrokes): ` +
                `ttft p50 ${ttftOf(samples).p50} ms${samples.some(outOfBudget) ? ` (${samples.filter(outOfBudget).length} past the budget before a token)` : ""}, evaluated p50 ${percentile(
                    samples.map((s) => s.evaluatedTokens),
                    50,
                )}, ` +
                `jump warm-up ${jumps[jumps.length - 1]?.evaluatedTokens ?? 0} tokens\n`,
        );
    }
    const coldRequest: Request = { client, layout, documentId: `file:///bench/${layout}-cold/${documentPath}`, cold: true };
    const cold: { warm: Sample; cold: Sample }[] = [];
    for (const pick of coldPicks(warm, coldCount)) {
        const sample = await complete(pick.stroke, pick.line, coldRequest);
        cold.push({ warm: pick, cold: sample });
        say(
            `  ${layout} cold ${cold.length}/${coldCount} (line ${pick.line + 1}, keystroke ${pick.index}): ttft ${sample.ttftMs} ms, ${sample.evaluatedTokens} tokens evaluated\n`,
        );
    }
    return { layout, warm, jumps, unwarmed, cold, seconds: (performance.now() - started) / 1000 };
}

/** The jump to a site: the extension warms the document's prompt (focus, idle) before typing starts. */
async function warmJump(client: EngineClient, layout: PromptLayout, documentId: string, jump: Keystroke): Promise<JumpSample> {
    const started = performance.now();
    const result = await client.warm({ document: documentOf(documentId, jump.text), cursor: jump.cursor, layout }, CancellationToken.None);
    return { evaluatedTokens: result.evaluatedTokens, promptTokens: result.promptTokens, ms: round(performance.now() - started) };
}

/** `count` warm samples spread evenly across the sites, each from the middle of its site's typing. */
function coldPicks(warm: readonly Sample[], count: number): Sample[] {
    const bySite = new Map<number, Sample[]>();
    for (const sample of warm) bySite.set(sample.site, [...(bySite.get(sample.site) ?? []), sample]);
    const sites = [...bySite.values()];
    const picks: Sample[] = [];
    for (let i = 0; i < count && sites.length > 0; i++) {
        // Fewer samples than sites: every (sites/count)-th site. More: round after round, a later keystroke each time.
        const siteSamples = count <= sites.length ? sites[Math.floor((i * sites.length) / count)] : sites[i % sites.length];
        const lap = count <= sites.length ? 0 : Math.floor(i / sites.length);
        const sample = siteSamples?.[Math.min(siteSamples.length - 1, Math.floor(siteSamples.length / 2) + lap)];
        if (sample !== undefined && !picks.includes(sample)) picks.push(sample);
    }
    return picks;
}

// ---------- figures ----------

interface Spread {
    readonly p50: number;
    readonly p95: number;
}

interface LayoutFigures {
    readonly model: string;
    readonly threads: number;
    readonly layout: PromptLayout;
    readonly keystrokes: number;
    readonly warm: { readonly out_of_budget: number; readonly ttft_ms: Spread; readonly suggestion_ms: Spread; readonly evaluated_tokens: Spread };
    readonly cold: { readonly samples: number; readonly ttft_ms: { readonly p50: number }; readonly evaluated_tokens: { readonly p50: number } };
    /** The first keystroke at a site nothing warmed (typed before the cursor rested). */
    readonly unwarmed_first_keystroke: {
        readonly samples: number;
        readonly out_of_budget: number;
        readonly ttft_ms: Spread;
        readonly evaluated_tokens: Spread;
    };
    readonly decode_ms_per_token: number;
    readonly speedup_p50: number;
}

/**
 * A keystroke whose prompt evaluation ran past the time budget ends with no token (the sidecar keeps
 * what it evaluated for the next keystroke): it has no time to first token, and is counted apart.
 */
function outOfBudget(sample: Sample): boolean {
    return sample.stopReason === "timeout" && sample.generatedTokens === 0;
}

/** Time to first token over the keystrokes that reached one. */
function ttftOf(samples: readonly Sample[]): Spread {
    return spread(samples.filter((s) => !outOfBudget(s)).map((s) => s.ttftMs));
}

function spread(values: readonly number[]): Spread {
    return { p50: percentile(values, 50), p95: percentile(values, 95) };
}

function decodeMsPerToken(samples: readonly Sample[]): number {
    const steps = samples.filter((s) => s.generatedTokens >= 2).map((s) => (s.totalMs - s.ttftMs) / (s.generatedTokens - 1));
    return round(percentile(steps, 50));
}

function figuresOf(run: LayoutRun, model: string, threads: number): LayoutFigures {
    const warmTtft = ttftOf(run.warm);
    const coldTtft = percentile(
        run.cold.map((c) => c.cold.ttftMs),
        50,
    );
    return {
        model,
        threads,
        layout: run.layout,
        keystrokes: run.warm.length,
        warm: {
            out_of_budget: run.warm.filter(outOfBudget).length,
            ttft_ms: warmTtft,
            suggestion_ms: spread(run.warm.map((s) => s.suggestionMs)),
            evaluated_tokens: spread(run.warm.map((s) => s.evaluatedTokens)),
        },
        cold: {
            samples: run.cold.length,
            ttft_ms: { p50: coldTtft },
            evaluated_tokens: {
                p50: percentile(
                    run.cold.map((c) => c.cold.evaluatedTokens),
                    50,
                ),
            },
        },
        unwarmed_first_keystroke: {
            samples: run.unwarmed.length,
            out_of_budget: run.unwarmed.filter(outOfBudget).length,
            ttft_ms: ttftOf(run.unwarmed),
            evaluated_tokens: spread(run.unwarmed.map((s) => s.evaluatedTokens)),
        },
        decode_ms_per_token: decodeMsPerToken(run.warm),
        speedup_p50: warmTtft.p50 > 0 ? round(coldTtft / warmTtft.p50) : 0,
    };
}

// ---------- the report ----------

function printLayout(run: LayoutRun, figures: LayoutFigures, fileTokens: number): void {
    const { warm, cold } = figures;
    const name = run.layout === "psm" ? "PSM, anchored middle" : "SPM, suffix first";
    say(`\n${name}: ${figures.keystrokes} keystrokes at ${new Set(run.warm.map((s) => s.site)).size} sites, ${run.seconds.toFixed(0)} s\n`);
    say(
        table(
            ["", "p50", "p95"],
            [
                ["time to first token (sidecar)", `${warm.ttft_ms.p50} ms`, `${warm.ttft_ms.p95} ms`],
                ["suggestion (client wall time)", `${warm.suggestion_ms.p50} ms`, `${warm.suggestion_ms.p95} ms`],
                ["prompt tokens evaluated", `${warm.evaluated_tokens.p50}`, `${warm.evaluated_tokens.p95}`],
                [
                    "prompt tokens",
                    `${percentile(
                        run.warm.map((s) => s.promptTokens),
                        50,
                    )}`,
                    `${percentile(
                        run.warm.map((s) => s.promptTokens),
                        95,
                    )}`,
                ],
                [
                    "tokens generated",
                    `${percentile(
                        run.warm.map((s) => s.generatedTokens),
                        50,
                    )}`,
                    `${percentile(
                        run.warm.map((s) => s.generatedTokens),
                        95,
                    )}`,
                ],
                [
                    "jump warm-up: tokens evaluated",
                    `${percentile(
                        run.jumps.map((j) => j.evaluatedTokens),
                        50,
                    )}`,
                    `${percentile(
                        run.jumps.map((j) => j.evaluatedTokens),
                        95,
                    )}`,
                ],
                [
                    "jump warm-up: time",
                    `${percentile(
                        run.jumps.map((j) => j.ms),
                        50,
                    )} ms`,
                    `${percentile(
                        run.jumps.map((j) => j.ms),
                        95,
                    )} ms`,
                ],
                [
                    `unwarmed site, first keystroke (${figures.unwarmed_first_keystroke.samples}): time to first token`,
                    `${figures.unwarmed_first_keystroke.ttft_ms.p50} ms`,
                    `${figures.unwarmed_first_keystroke.ttft_ms.p95} ms`,
                ],
                [
                    "keystrokes past the time budget before a first token (warm / unwarmed first)",
                    `${warm.out_of_budget}`,
                    `${figures.unwarmed_first_keystroke.out_of_budget}`,
                ],
                [
                    "unwarmed site, first keystroke: tokens evaluated",
                    `${figures.unwarmed_first_keystroke.evaluated_tokens.p50}`,
                    `${figures.unwarmed_first_keystroke.evaluated_tokens.p95}`,
                ],
                [`cold, ${cold.samples} samples: time to first token`, `${cold.ttft_ms.p50} ms`, ""],
                [`cold, ${cold.samples} samples: tokens evaluated`, `${cold.evaluated_tokens.p50}`, ""],
            ],
        ),
    );
    say(`file: ${fileTokens} tokens; decode ${figures.decode_ms_per_token} ms/token; speedup (cold/warm ttft p50) ${figures.speedup_p50}x\n`);
    say(`stop reasons: ${countsOf(run.warm.map((s) => s.stopReason))}; modes: ${countsOf(run.warm.map((s) => s.mode))}\n`);
    printTargets(figures, fileTokens);
    printOutliers(run.warm);
    printColdCheck(run);
}

function printTargets(figures: LayoutFigures, fileTokens: number): void {
    const step = figures.decode_ms_per_token;
    const check = (met: boolean): string => (met ? "met" : "NOT met");
    say("targets (reported, not asserted):\n");
    say(`  warm ttft p50 within 2x a decode step (${round(2 * step)} ms): ${check(figures.warm.ttft_ms.p50 <= 2 * step)} (${figures.warm.ttft_ms.p50} ms)\n`);
    say(`  evaluated tokens p50 at most 3: ${check(figures.warm.evaluated_tokens.p50 <= 3)} (${figures.warm.evaluated_tokens.p50})\n`);
    say(`  speedup at least 50x (file of ${fileTokens} tokens; the target assumes ~2,800): ${check(figures.speedup_p50 >= 50)} (${figures.speedup_p50}x)\n`);
}

/** The keystrokes that evaluated the most prompt tokens, and the slowest ones, with what their results say about why. */
function printOutliers(samples: readonly Sample[]): void {
    const costly = [...samples]
        .sort((a, b) => b.evaluatedTokens - a.evaluatedTokens)
        .slice(0, 3)
        .filter((s) => s.evaluatedTokens > 3);
    if (costly.length > 0) say("keystrokes that evaluated the most tokens:\n");
    for (const s of costly) say(`  ${describeSample(s)}\n`);
    say("slowest keystrokes to first token:\n");
    for (const s of [...samples].sort((a, b) => b.ttftMs - a.ttftMs).slice(0, 3)) say(`  ${describeSample(s)}\n`);
}

function describeSample(s: Sample): string {
    return (
        `line ${s.line + 1}, keystroke ${s.index} (${s.mode}): ttft ${s.ttftMs} ms (waited ${s.waitMs} ms), ` +
        `${s.evaluatedTokens} of ${s.promptTokens} prompt tokens evaluated (${s.reusedTokens} reused), anchor ${s.anchorMoved ? "moved" : "kept"}`
    );
}

/**
 * The cold run of a request sees the same prompt as the warm one. Their greedy suggestions
 * should match too, but a random-weight model's logits are nearly tied: evaluating the same
 * prompt in differently sized batches changes float rounding, and greedy decoding then parts
 * after a few tokens. So the prompt size is the check; the text is shown for information.
 */
function printColdCheck(run: LayoutRun): void {
    const samePrompt = run.cold.filter(({ warm, cold }) => warm.promptTokens === cold.promptTokens).length;
    const sameText = run.cold.filter(({ warm, cold }) => (warm.stopReason === "timeout" ? cold.raw.startsWith(warm.raw) : cold.raw === warm.raw)).length;
    say(
        `cold vs warm: same prompt size ${samePrompt}/${run.cold.length}, same suggestion ${sameText}/${run.cold.length}` +
            (sameText < run.cold.length
                ? ` (they part after ${run.cold.map(({ warm, cold }) => commonPrefixLength(warm.raw, cold.raw)).join(", ")} characters)`
                : "") +
            "\n",
    );
    for (const { warm, cold } of run.cold.filter((c) => c.warm.promptTokens !== c.cold.promptTokens)) {
        say(`  line ${warm.line + 1}, keystroke ${warm.index}: warm prompt ${warm.promptTokens} tokens, cold ${cold.promptTokens}\n`);
    }
}

function commonPrefixLength(a: string, b: string): number {
    let length = 0;
    while (length < a.length && length < b.length && a[length] === b[length]) length++;
    return length;
}

function countsOf(values: readonly string[]): string {
    const counts = new Map<string, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    return [...counts].map(([value, count]) => `${value} ${count}`).join(", ");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const all = [header, ...rows];
    const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
    const line = (row: readonly string[]): string =>
        row
            .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
            .join("  ")
            .trimEnd();
    return all.map((row) => `  ${line(row)}\n`).join("");
}

/** Every request's figures, without the document texts. */
function samplesOf(run: LayoutRun): object {
    const strip = ({ stroke, ...rest }: Sample): Omit<Sample, "stroke"> & { cursor: number } => ({ ...rest, cursor: stroke.cursor });
    return { layout: run.layout, seconds: round(run.seconds), jumps: run.jumps, warm: run.warm.map(strip), cold: run.cold.map(({ cold }) => strip(cold)) };
}

function say(text: string): void {
    process.stdout.write(text);
}

function round(value: number): number {
    return Math.round(value * 10) / 10;
}

// ---------- main ----------

async function main(): Promise<void> {
    const args = process.argv.slice(2);
    // A server engine: serverBench.ts ("--engine local" is this benchmark).
    if (args.includes("--engine") && args[args.indexOf("--engine") + 1] !== "local") return runServerBench(args);
    const options = parseOptions(args);
    const started = performance.now();
    const modelPath = options.model ?? (await benchModel());
    const text = readRealSource();
    const sites = benchSites(text, options.sites, options.tail);
    const fileTokens = await countFileTokens(modelPath, text);
    const { engine, info, threads, backend } = await startEngine(modelPath, options);
    try {
        const model = describeModel(info, options.model === undefined);
        say(`model: ${model}\n  ${modelPath}\nbackend ${backend}, ${threads} thread(s) on ${availableParallelism()} cores, context ${options.context}\n`);
        say(
            `source: ${basename(realSourceFile)}, ${text.split("\n").length - (text.endsWith("\n") ? 1 : 0)} lines, ${fileTokens} tokens; ${sites.length} sites, ` +
                `${sites.reduce((sum, site) => sum + site.tail.length, 0)} keystrokes per layout\n`,
        );
        const figures: LayoutFigures[] = [];
        const runs: LayoutRun[] = [];
        for (const layout of options.layouts) {
            const run = await runLayout(engine.client, layout, text, sites, options.cold);
            runs.push(run);
            const layoutFigures = figuresOf(run, model, threads);
            printLayout(run, layoutFigures, fileTokens);
            figures.push(layoutFigures);
        }
        say(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
        if (options.json !== undefined) {
            writeFileSync(options.json, `${JSON.stringify(figures.length === 1 ? figures[0] : figures, null, 2)}\n`);
            say(`wrote ${options.json}\n`);
        }
        if (options.samples !== undefined) {
            writeFileSync(options.samples, `${JSON.stringify(runs.map(samplesOf), null, 1)}\n`);
            say(`wrote ${options.samples}\n`);
        }
    } finally {
        await engine.client.dispose();
    }
}

main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
});
