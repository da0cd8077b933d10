/** The generated models the benchmarks share: one cache, one file per shape. */
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { writeBenchModel, writeTinyModel } from "../fixtures/gguf";

const benchModelsDir = join(process.env.HEARTH_TEST_CACHE ?? join(homedir(), ".cache", "hearth-test"), "models");
/** A real tokenizer for a realistic model, on developers' machines only (never needed). */
const realQwenVocab = resolve(__dirname, "../../../../shared/vocab/ggml-vocab-qwen2.gguf");

/** `--name VALUE` from the command line, or undefined. */
export function benchOption(name: string, args: readonly string[] = process.argv.slice(2)): string | undefined {
    const index = args.indexOf(`--${name}`);
    return index >= 0 ? args[index + 1] : undefined;
}

/**
 * The generated model with the real shape of Qwen2.5-Coder-0.5B (Q8_0, ~500 MB), written on first
 * use; with the real Qwen2 tokenizer plus Qwen2.5's FIM tokens when the vocab file exists.
 */
export async function qwen05bShapeModel(say: (text: string) => void = (text) => process.stdout.write(text)): Promise<string> {
    mkdirSync(benchModelsDir, { recursive: true });
    const file = join(benchModelsDir, "qwen2.5-coder-0.5b-shape-q8_0.gguf");
    if (!existsSync(file)) {
        say(`writing ${file} (about 500 MB)…\n`);
        const written = await writeBenchModel(file, existsSync(realQwenVocab) ? { vocabPath: realQwenVocab } : {});
        say(`  with the ${written.tokenizer === "qwen2.5" ? "real Qwen2 tokenizer and Qwen2.5's FIM tokens" : "project's own tokenizer"}\n`);
    }
    return file;
}

/** The tiny test model, cached with the others. */
export async function tinyBenchModel(): Promise<string> {
    mkdirSync(benchModelsDir, { recursive: true });
    const file = join(benchModelsDir, "bench-tiny.gguf");
    if (!existsSync(file)) await writeTinyModel(file);
    return file;
}
