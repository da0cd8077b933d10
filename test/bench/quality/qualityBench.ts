/**
 * `npm run bench:quality`: how good Hearth's completions are with a model that really predicts code,
 * and what each quality rule is worth.
 *
 *   --model PATH   a GGUF with FIM tokens (default ../shared/models/hearth-trained-code-102m-q4_k_m.gguf;
 *                  when missing the benchmark says so and exits 0: nothing needs it)
 *   --cases N      cases cut from real source (default 320; spread evenly over four cursor sites
 *                  and two languages, see corpus.ts)
 *   --seed N       which cases (default 1)
 *   --threads N    CPU threads (default 1)
 *   --ablate       also each feature off in turn (see below)
 *   --json FILE    write every figure, and each case's suggestions
 *
 * Per case (runner.ts): a cold request with every feature on (its suggestion and total time), then
 * the keystroke latency as a user meets it: a request one typed character earlier on the same
 * document, and the request at the cursor on its warm cache; then a jump: the request at the cursor
 * on a cache that holds the prompt of a place 60 lines above (what it evaluates, what moved chunks
 * of the cache served, and whether it suggests what the cold request did). Then `rawOnly` generations (all on, all
 * off, and with --ablate each prompt-affecting feature off) whose raw text is replayed through the
 * real post-processing under each configuration (all on; each post-processing feature off; all off).
 *
 * Metrics (metrics.ts): exact match and edit similarity of the suggestion's first line against the
 * file's, the share of cases with a suggestion shown, and of those the share after which the file
 * parses as well as before (TypeScript's parser; Python's ast.parse).
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join, resolve } from "node:path";
import type { QualityResult } from "../../quality/qualityRunner";
import { documentAfter } from "../../quality/qualityRunner";
import { cutCases, languages, readSources, siteKinds, type BenchCase } from "./corpus";
import { ParseChecks, qualityOf, round, scoreLine, split, spread, type QualityFigures, type Score, type Split, type Spread } from "./metrics";
import { generationsFor, jumpLines, loadModel, replayConfigsFor, replayConfigs, runCase, type CaseRun, type ReplayConfig } from "./runner";

const repoRoot = join(__dirname, "..", "..", "..", "..");
const defaultModel = resolve(repoRoot, "..", "shared", "models", "hearth-trained-code-102m-q4_k_m.gguf");

interface Options {
    readonly model: string;
    readonly cases: number;
    readonly seed: number;
    readonly threads: number;
    readonly ablate: boolean;
    readonly json: string | undefined;
}

function parseOptions(args: readonly string[]): Options {
    const values = new Map<string, string>();
    let ablate = false;
    for (let i = 0; i < args.length; i++) {
        const name = /^--(.+)$/.exec(args[i] ?? "")?.[1];
        if (name === "ablate") {
            ablate = true;
            continue;
        }
        if (name === undefined || !["model", "cases", "seed", "threads", "json"].includes(name)) {
            throw new Error(`Unknown argument ${args[i]}: expected --model, --cases, --seed, --threads, --json or --ablate.`);
        }
        const value = args[i + 1];
        if (value === undefined || value.startsWith("--")) throw new Error(`--${name} needs a value.`);
        values.set(name, value);
        i++;
    }
    const number = (name: string, fallback: number, min: number): number => {
        const raw = values.get(name);
        const parsed = raw === undefined ? fallback : Number(raw);
        if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} must be a whole number of at least ${min}, not ${raw}.`);
        return parsed;
    };
    const json = values.get("json");
    return {
        model: resolve(values.get("model") ?? defaultModel),
        cases: number("cases", 320, 1),
        seed: number("seed", 1, 0),
        threads: number("threads", 1, 1),
        ablate,
        json: json === undefined ? undefined : resolve(json),
    };
}

// ---------- figures ----------

interface LatencyFigures {
    readonly cases: number;
    readonly cold_ms: Spread;
    readonly keystroke_ms: Spread;
    readonly keystroke_ttft_ms: Spread;
    readonly keystroke_evaluated_tokens: Spread;
    /** A jump down: the request at the case on a cache that holds the prompt of a place above. */
    readonly jump_ms: Spread;
    readonly jump_evaluated_tokens: Spread;
    readonly jump_moved_tokens: Spread;
    readonly cold_evaluated_tokens: Spread;
    /** Share of jump requests whose suggestion is the cold request's, though moved chunks served their prompt. */
    readonly jump_same_as_cold: number;
    /** Exact match of the jump requests' suggestions, and of the cold requests' (the same cases). */
    readonly jump_exact: number;
    readonly cold_exact: number;
}

interface Ran {
    readonly c: BenchCase;
    readonly run: CaseRun;
    /** By config name, in the order of the configs. */
    readonly results: readonly QualityResult[];
    readonly scores: readonly Score[];
}

/** The cold request's suggestion, scored like the replayed configurations. */
const generatedName = "all on (generated, cold)";

function latencyOf(runs: readonly Ran[]): LatencyFigures {
    return {
        cases: runs.length,
        cold_ms: spread(runs.map((r) => r.run.cold.totalMs ?? 0)),
        keystroke_ms: spread(runs.map((r) => r.run.keystroke.totalMs ?? 0)),
        keystroke_ttft_ms: spread(runs.map((r) => r.run.keystroke.ttftMs ?? 0)),
        keystroke_evaluated_tokens: spread(runs.map((r) => r.run.keystroke.evaluatedTokens ?? 0)),
        jump_ms: spread(runs.map((r) => r.run.jump.totalMs ?? 0)),
        jump_evaluated_tokens: spread(runs.map((r) => r.run.jump.evaluatedTokens ?? 0)),
        jump_moved_tokens: spread(runs.map((r) => r.run.jump.movedTokens ?? 0)),
        cold_evaluated_tokens: spread(runs.map((r) => r.run.cold.evaluatedTokens ?? 0)),
        jump_exact: round(runs.filter((r) => scoreLine(r.c, r.run.jump.insertText).exact).length / Math.max(1, runs.length), 3),
        cold_exact: round(runs.filter((r) => scoreLine(r.c, r.run.cold.insertText).exact).length / Math.max(1, runs.length), 3),
        jump_same_as_cold: round(
            runs.filter((r) => r.run.jump.insertText === r.run.cold.insertText && r.run.jump.replaceEnd === r.run.cold.replaceEnd).length /
                Math.max(1, runs.length),
            3,
        ),
    };
}

// ---------- the report ----------

function say(text: string): void {
    process.stdout.write(text);
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

const fixed = (value: number | null): string => (value === null ? "-" : value.toFixed(3));
const qualityRow = (name: string, q: QualityFigures): string[] => [
    name,
    fixed(q.exact_match),
    fixed(q.edit_similarity),
    fixed(q.parses),
    fixed(q.shown),
    `${q.cases}`,
];
const qualityHeader = ["", "exact", "edit sim", "parses", "shown", "cases"];

/** A split's figures with their row names: overall, then by site kind, then by language. */
function splitEntries<T>(figures: Split<T>): [string, T][] {
    return [
        ["all", figures.all],
        ...siteKinds.map((kind): [string, T] => [`  ${kind}`, figures.byKind[kind]]),
        ...languages.map((language): [string, T] => [`  ${language}`, figures.byLanguage[language]]),
    ];
}

function countsOf(values: readonly string[]): string {
    const counts = new Map<string, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    return [...counts].map(([value, count]) => `${value} ${count}`).join(", ");
}

// ---------- main ----------

async function main(): Promise<void> {
    const options = parseOptions(process.argv.slice(2));
    if (!existsSync(options.model)) {
        say(`bench:quality: no model at ${options.model}: skipped (give --model PATH; see ../shared/models/README.md).\n`);
        return;
    }
    const started = performance.now();
    const files = readSources(repoRoot);
    const cases = cutCases(files, options.cases, options.seed);
    const generations = generationsFor(options.ablate);
    const configs: ReplayConfig[] = replayConfigsFor(options.ablate);
    const loaded = await loadModel(options.model, options.threads);
    const ran: Ran[] = [];
    const failed: { id: string; error: string }[] = [];
    try {
        const megabytes = (statSync(options.model).size / 1e6).toFixed(0);
        say(`model: ${loaded.name ?? basename(options.model)} (${basename(options.model)}, ${megabytes} MB)\n  ${options.model}\n`);
        say(
            `CPU, ${options.threads} thread(s) on ${availableParallelism()} cores, context ${loaded.contextSize}, seed ${options.seed}${options.ablate ? ", with ablations" : ""}\n`,
        );
        const count = (keep: (c: BenchCase) => boolean): number => cases.filter(keep).length;
        say(
            `cases: ${cases.length} from ${new Set(cases.map((c) => c.file)).size} files; ` +
                `${languages.map((l) => `${l} ${count((c) => c.language === l)}`).join(", ")}; ${siteKinds.map((k) => `${k} ${count((c) => c.kind === k)}`).join(", ")}\n`,
        );
        say(
            `per case: a cold request, a keystroke pair on the warm document, ${generations.length} rawOnly generation(s) (${generations.map((g) => g.name).join(", ")}), ${configs.length} replays\n\n`,
        );

        for (const [index, c] of cases.entries()) {
            try {
                const run = await runCase(loaded.engine, c, generations);
                const results = [run.cold, ...replayConfigs(loaded, c, run, configs)];
                ran.push({ c, run, results, scores: results.map((result) => scoreLine(c, result.insertText)) });
            } catch (error) {
                failed.push({ id: c.id, error: error instanceof Error ? error.message : String(error) });
            }
            if ((index + 1) % 20 === 0 || index + 1 === cases.length) {
                const seconds = (performance.now() - started) / 1000;
                const left = (seconds / (index + 1)) * (cases.length - index - 1);
                say(
                    `  ${index + 1}/${cases.length} cases, ${seconds.toFixed(0)} s${index + 1 < cases.length ? `, about ${(left / 60).toFixed(1)} min left` : ""}\n`,
                );
            }
        }
    } finally {
        await loaded.dispose();
    }

    // Parse checks, together (Python in one process).
    const checks = new ParseChecks();
    for (const r of ran) {
        r.results.forEach((result, i) => {
            const score = r.scores[i];
            if (score?.shown === true)
                checks.add(r.c, documentAfter(r.c, result), (parses) => {
                    score.parses = parses;
                });
        });
    }
    checks.run();

    const names = [generatedName, ...configs.map((config) => config.name)];
    const cased = ran.map((r) => r.c);
    const quality = names.map((name, i) => ({ name, quality: split(cased, ran, (rs) => qualityOf(rs.flatMap((r) => r.scores[i] ?? []))) }));
    const latency = split(cased, ran, latencyOf);
    const promptTokens = spread(ran.map((r) => r.run.cold.evaluatedTokens ?? 0));
    const agreeing = ran.filter((r) => r.results[0]?.insertText === r.results[1]?.insertText).length;
    const agreement = ran.length === 0 ? 0 : round(agreeing / ran.length, 3);
    const seconds = round((performance.now() - started) / 1000);

    say(
        `\nprompt tokens (cold): p50 ${promptTokens.p50}, p95 ${promptTokens.p95}; cold stop reasons: ${countsOf(ran.map((r) => r.run.cold.stopReason ?? "-"))}\n`,
    );
    if (failed.length > 0)
        say(
            `${failed.length} case(s) failed: ${failed
                .slice(0, 3)
                .map((f) => `${f.id}: ${f.error}`)
                .join("; ")}\n`,
        );
    if (!checks.pythonAvailable) say("python3 could not be run: Python cases have no parse figure.\n");

    say(
        "\nQuality by configuration (exact match and edit similarity of the first line over all cases; shown: share with a suggestion; parses: of those shown, the share after which the file parses as well as before):\n",
    );
    say(
        table(
            ["config", ...qualityHeader.slice(1)],
            quality.map((q) => qualityRow(q.name, q.quality.all)),
        ),
    );
    say(`the cold request and the replayed "all on" show the same suggestion in ${agreeing} of ${ran.length} cases\n`);

    const on = quality.find((entry) => entry.name === "all on")?.quality;
    const off = quality.find((entry) => entry.name === "all off")?.quality;
    if (on !== undefined && off !== undefined) {
        say("\nBy site kind and language, all on / all off (both replayed):\n");
        const pair = (a: number | null, b: number | null): string => `${fixed(a)} / ${fixed(b)}`;
        const offRows = splitEntries(off);
        const rows = splitEntries(on).map(([name, q], i): string[] => {
            const o = offRows[i]?.[1] ?? q;
            return [
                name,
                pair(q.exact_match, o.exact_match),
                pair(q.edit_similarity, o.edit_similarity),
                pair(q.parses, o.parses),
                pair(q.shown, o.shown),
                `${q.cases}`,
            ];
        });
        say(table(qualityHeader, rows));
    }

    say("\nLatency (all features on; cold: fresh sequence; keystroke: the request after the previous keystroke's, on the warm document):\n");
    say(
        table(
            ["", "cold p50", "cold p95", "keystroke p50", "keystroke p95", "evaluated p50", "cases"],
            splitEntries(latency).map(([name, l]) => [
                name,
                `${l.cold_ms.p50} ms`,
                `${l.cold_ms.p95} ms`,
                `${l.keystroke_ms.p50} ms`,
                `${l.keystroke_ms.p95} ms`,
                `${l.keystroke_evaluated_tokens.p50}`,
                `${l.cases}`,
            ]),
        ),
    );
    say(`\nA jump down (the cache holds the prompt ${jumpLines} lines above; moved chunks serve what they can):\n`);
    say(
        table(
            ["", "evaluated p50", "moved p50", "cold evaluated p50", "jump p50", "jump p95", "same as cold", "exact jump / cold"],
            splitEntries(latency).map(([name, l]) => [
                name,
                `${l.jump_evaluated_tokens.p50}`,
                `${l.jump_moved_tokens.p50}`,
                `${l.cold_evaluated_tokens.p50}`,
                `${l.jump_ms.p50} ms`,
                `${l.jump_ms.p95} ms`,
                fixed(l.jump_same_as_cold),
                `${fixed(l.jump_exact)} / ${fixed(l.cold_exact)}`,
            ]),
        ),
    );
    say(`\ntotal ${seconds.toFixed(0)} s (${(seconds / 60).toFixed(1)} min)\n`);

    if (options.json !== undefined) {
        const figures = {
            model: { name: loaded.name ?? null, file: basename(options.model), path: options.model, bytes: statSync(options.model).size },
            threads: options.threads,
            cores: availableParallelism(),
            context: loaded.contextSize,
            seed: options.seed,
            ablate: options.ablate,
            seconds,
            cases: {
                total: ran.length,
                failed,
                files: new Set(cased.map((c) => c.file)).size,
                byKind: Object.fromEntries(siteKinds.map((kind) => [kind, cased.filter((c) => c.kind === kind).length])),
                byLanguage: Object.fromEntries(languages.map((language) => [language, cased.filter((c) => c.language === language).length])),
                prompt_tokens: promptTokens,
            },
            python_parse_checked: checks.pythonAvailable,
            generations: generations.map(({ name, features }) => ({ name, features })),
            configs: [
                { name: generatedName, generation: "cold request", features: {}, quality: quality[0]?.quality },
                ...configs.map((config, i) => ({ ...config, quality: quality[i + 1]?.quality })),
            ],
            agreement_generated_replayed: agreement,
            latency,
            samples: ran.map((r) => ({
                id: r.c.id,
                file: r.c.file,
                line: r.c.line,
                kind: r.c.kind,
                language: r.c.language,
                expected: r.c.expected,
                cold: {
                    totalMs: r.run.cold.totalMs,
                    ttftMs: r.run.cold.ttftMs,
                    evaluatedTokens: r.run.cold.evaluatedTokens,
                    stopReason: r.run.cold.stopReason,
                },
                keystroke: {
                    totalMs: r.run.keystroke.totalMs,
                    ttftMs: r.run.keystroke.ttftMs,
                    evaluatedTokens: r.run.keystroke.evaluatedTokens,
                    insertText: r.run.keystroke.insertText,
                },
                jump: {
                    totalMs: r.run.jump.totalMs,
                    evaluatedTokens: r.run.jump.evaluatedTokens,
                    movedTokens: r.run.jump.movedTokens,
                    insertText: r.run.jump.insertText,
                },
                raw: Object.fromEntries(r.run.raw),
                results: Object.fromEntries(
                    names.map((name, i) => [name, { insertText: r.results[i]?.insertText, replaceEnd: r.results[i]?.replaceEnd, ...r.scores[i] }]),
                ),
            })),
        };
        writeFileSync(options.json, `${JSON.stringify(figures, null, 1)}\n`);
        say(`wrote ${options.json}\n`);
    }
}

main().catch((error: unknown) => {
    process.stderr.write(`bench:quality: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
});
