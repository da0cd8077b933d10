/**
 * `npm run quality -- --cases IN.jsonl --out OUT.jsonl [--model FILE.gguf] [--context N] [--threads N]`
 * `npm run quality -- --cases IN.jsonl --out OUT.jsonl --engine llama.cpp|ollama|openai --url URL [--server-model NAME]`
 *
 * Runs completion cases through the code the extension uses (mode choice, prompt, engine,
 * post-processing), minus VS Code: the local engine on --model, or with --engine a server engine
 * as the extension's server path drives it (Hearth's FIM prompt in the model family's template, the
 * same post-processing; an API key from the HEARTH_API_KEY environment variable). The contract
 * (keep it stable; README documents it):
 *
 *   in, one JSON object a line:
 *     {"id": string, "language": string (a VS Code language id), "prefix": string, "suffix": string,
 *      "tabSize"?: number, "insertSpaces"?: boolean, "raw"?: string}
 *   With "raw" no model runs: raw is streamed through the real post-processing as if generated
 *   (split into the model's tokens when --model is given, else one character at a time). Without
 *   it, --model generates greedily.
 *
 *   out, one JSON object a line, in the order of the input:
 *     {"id": string, "insertText": string, "replaceEnd": number}
 *   replaceEnd: how many characters after the cursor the suggestion replaces; insertText is ""
 *   when nothing is shown. When a model ran, also "evaluatedTokens", "ttftMs", "totalMs" and
 *   "stopReason".
 *
 * A bad line is reported with its line number and what is wrong, and the run stops before any
 * model work; nothing is written then.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { LlamaModel } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { ServerKind } from "../../src/protocol/engineProtocol";
import { CompletionEngine } from "../../src/sidecar/completion/completionEngine";
import { ServerCompletion } from "../../src/sidecar/server/serverCompletion";
import { completionSequences, createModelContext } from "../../src/sidecar/modelContext";
import { generateCase, replayCase, type QualityCase, type QualityResult } from "./qualityRunner";

interface Options {
    readonly cases: string;
    readonly out: string;
    readonly model: string | undefined;
    readonly context: number;
    readonly threads: number;
    readonly server: { readonly kind: ServerKind; readonly url: string; readonly model: string } | undefined;
}

const serverKinds: readonly ServerKind[] = ["llama.cpp", "ollama", "openai"];

function parseOptions(args: readonly string[]): Options {
    const known = new Set(["cases", "out", "model", "context", "threads", "engine", "url", "server-model"]);
    const values = new Map<string, string>();
    for (let i = 0; i < args.length; i++) {
        const name = /^--(.+)$/.exec(args[i] ?? "")?.[1];
        const value = args[i + 1];
        if (name === undefined || !known.has(name))
            throw new Error(`Unknown argument ${args[i]}: expected --cases, --out, --model, --context, --threads, --engine, --url or --server-model.`);
        if (value === undefined || value.startsWith("--")) throw new Error(`--${name} needs a value.`);
        values.set(name, value);
        i++;
    }
    const cases = values.get("cases");
    const out = values.get("out");
    if (cases === undefined || out === undefined)
        throw new Error("Usage: npm run quality -- --cases IN.jsonl --out OUT.jsonl [--model FILE.gguf] [--context N] [--threads N]");
    const number = (name: string, fallback: number): number => {
        const raw = values.get(name);
        const parsed = raw === undefined ? fallback : Number(raw);
        if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a whole number of at least 1, not ${raw}.`);
        return parsed;
    };
    const engine = values.get("engine") ?? "local";
    const kind = serverKinds.find((candidate) => candidate === engine);
    if (engine !== "local" && kind === undefined) throw new Error(`--engine must be local, ${serverKinds.join(", ")}; not ${engine}.`);
    if (kind !== undefined && values.has("model")) throw new Error("--model is the local engine's file: with --engine, the server's model is --server-model.");
    const url = values.get("url");
    if (kind !== undefined && url === undefined) throw new Error(`--engine ${kind} needs --url, the server's address (e.g. http://127.0.0.1:8080).`);
    return {
        server: kind === undefined || url === undefined ? undefined : { kind, url, model: values.get("server-model") ?? "" },
        cases: resolve(cases),
        out: resolve(out),
        model: values.has("model") ? resolve(values.get("model") ?? "") : undefined,
        context: number("context", 2048),
        threads: number("threads", 1),
    };
}

/** Parses and checks the input: every line a case, ids unique. */
export function parseCases(text: string, source: string): QualityCase[] {
    const cases: QualityCase[] = [];
    const ids = new Set<string>();
    text.split("\n").forEach((line, index) => {
        if (line.trim() === "") return;
        const where = `${source}:${index + 1}`;
        let value: unknown;
        try {
            value = JSON.parse(line);
        } catch (error) {
            throw new Error(`${where}: not JSON (${error instanceof Error ? error.message : String(error)})`);
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}: a case must be a JSON object`);
        const c = value as Record<string, unknown>;
        for (const key of ["id", "language", "prefix", "suffix"]) if (typeof c[key] !== "string") throw new Error(`${where}: "${key}" must be a string`);
        if (c.raw !== undefined && typeof c.raw !== "string") throw new Error(`${where}: "raw" must be a string when given`);
        if (c.tabSize !== undefined && (typeof c.tabSize !== "number" || !Number.isInteger(c.tabSize) || c.tabSize < 1 || c.tabSize > 16))
            throw new Error(`${where}: "tabSize" must be a whole number from 1 to 16`);
        if (c.insertSpaces !== undefined && typeof c.insertSpaces !== "boolean") throw new Error(`${where}: "insertSpaces" must be true or false`);
        const id = c.id as string;
        if (ids.has(id)) throw new Error(`${where}: the id ${JSON.stringify(id)} appears twice`);
        ids.add(id);
        cases.push(c as unknown as QualityCase);
    });
    return cases;
}

async function main(): Promise<void> {
    const options = parseOptions(process.argv.slice(2));
    const cases = parseCases(readFileSync(options.cases, "utf8"), options.cases);
    const needsModel = cases.filter((c) => c.raw === undefined);
    if (needsModel.length > 0 && options.model === undefined && options.server === undefined) {
        throw new Error(
            `${needsModel.length} case(s) have no "raw" (the first: ${JSON.stringify(needsModel[0]?.id)}): give --model FILE.gguf to generate them.`,
        );
    }

    const results: QualityResult[] = [];
    if (options.server !== undefined) {
        const apiKey = process.env.HEARTH_API_KEY;
        const engine = new ServerCompletion({ ...options.server, ...(apiKey === undefined || apiKey === "" ? {} : { apiKey }) });
        for (const c of cases) results.push(c.raw !== undefined ? replayCase({ ...c, raw: c.raw }) : await generateCase(engine, c));
    } else if (options.model === undefined) {
        for (const c of cases) results.push(replayCase({ ...c, raw: c.raw ?? "" }));
    } else {
        const lib = await import("node-llama-cpp");
        const llama = await lib.getLlama({ build: "never", gpu: false, logLevel: lib.LlamaLogLevel.error });
        const model = await llama.loadModel({ modelPath: options.model });
        const contextSize = Math.min(options.context, model.trainContextSize);
        const context = await createModelContext(model, { contextSize, threads: options.threads, sequences: completionSequences });
        const engine = CompletionEngine.create(model, context, { sequences: completionSequences, tokenBias: lib.TokenBias });
        if (engine === undefined) throw new Error(`${options.model} has no fill-in-the-middle tokens: it cannot complete code.`);
        for (const c of cases) {
            results.push(
                c.raw !== undefined
                    ? replayCase({ ...c, raw: c.raw }, { steps: tokenSteps(model, c.raw), specialTexts: engine.specialTexts })
                    : await generateCase(engine, c),
            );
        }
        await context.dispose();
        await model.dispose();
        await llama.dispose();
    }
    // The contract's fields only (raw is for benchmarks).
    const lines = results.map(({ raw: _raw, movedTokens: _moved, ...result }) => JSON.stringify(result));
    writeFileSync(options.out, lines.join("\n") + (lines.length > 0 ? "\n" : ""));
    const shown = results.filter((result) => result.insertText !== "").length;
    console.log(`quality: ${results.length} case(s), ${shown} with a suggestion, written to ${options.out}`);
}

/** The raw text as the model would have streamed it: the text after each of its tokens. */
function tokenSteps(model: LlamaModel, raw: string): string[] {
    const tokens = model.tokenize(raw, false);
    return tokens.map((_, i) => model.detokenize(tokens.slice(0, i + 1)));
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(`quality: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    });
}
