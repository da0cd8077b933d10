import type { Backend } from "../protocol/engineProtocol";

/**
 * The thread count for `hearth.threads = "auto"`.
 *
 * On the CPU backend, model work competes with VS Code itself. Measured on a 2-core
 * machine with a 0.5B model (`npm run bench:engine`): two threads decoded 1.5x faster
 * than one while nothing else ran, but 2.3x slower once the other core was busy, as
 * VS Code keeps it while the user types (and node-llama-cpp's own default of
 * max(4, cores) was 250x slower on a tiny model). So leave one core free, and stop at 8
 * where more threads stop paying. With a GPU backend the CPU only feeds
 * the GPU: a few threads are enough.
 */
export function autoThreads(backend: Backend, mathCores: number): number {
    const cores = Math.max(1, Math.floor(mathCores));
    if (backend === "cpu") return clamp(cores - 1, 1, 8);
    return clamp(Math.floor(cores / 2), 1, 4);
}

export function resolveThreads(setting: number | "auto", backend: Backend, mathCores: number): number {
    if (setting === "auto") return autoThreads(backend, mathCores);
    return clamp(Math.floor(setting), 1, 256);
}

function clamp(value: number, min: number, max: number): number {
    return Math.min(max, Math.max(min, value));
}
