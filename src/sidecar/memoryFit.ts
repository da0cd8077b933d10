import type { MemoryFit, MemoryPool } from "../protocol/engineProtocol";

/** What one model costs, as node-llama-cpp's GGUF insights estimate it. */
export interface ModelDemand {
    readonly totalLayers: number;
    /** The weights, with `gpuLayers` of them offloaded. */
    weights(gpuLayers: number): Promise<Requirement>;
    /** The model's context (KV cache and compute buffers) at `contextSize` tokens per sequence. */
    context(contextSize: number, gpuLayers: number): Promise<Requirement>;
    /** The context size the model can have: the request capped at its training context. */
    capContextSize(contextSize: number): number;
}

interface Requirement {
    readonly cpuRam: number;
    readonly gpuVram: number;
}

/** Memory free for the load, counting what the currently loaded models would give back. */
export interface FreeMemory {
    readonly ramBytes: number;
    readonly vramBytes: number;
    /** A GPU backend is in use. */
    readonly gpu: boolean;
    /** CPU and GPU share one pool (Apple Silicon). */
    readonly unified: boolean;
}

interface MemoryPlan {
    readonly fits: boolean;
    readonly fit: MemoryFit;
}

/** Context sizes below this are not worth suggesting: a completion prompt alone needs ~2,000 tokens. */
const smallestUsefulContext = 512;

/**
 * Whether the models and their contexts fit in free memory at `contextSize`, and if not, the
 * largest context size that would. Fitting is checked before anything is loaded, so a model
 * that cannot fit is refused with choices instead of crashing the engine or swapping.
 */
export async function planMemory(demands: readonly ModelDemand[], contextSize: number, free: FreeMemory): Promise<MemoryPlan> {
    const requested = await measure(demands, contextSize, free);
    if (requested.fits) return { fits: true, fit: { ...requested.fit, fittingContextSize: requested.fit.contextSize } };
    let fittingContextSize: number | null = null;
    for (const candidate of smallerContextSizes(requested.fit.contextSize)) {
        if ((await measure(demands, candidate, free)).fits) {
            fittingContextSize = candidate;
            break;
        }
    }
    return { fits: false, fit: { ...requested.fit, fittingContextSize } };
}

/** Halvings of `contextSize` down to the smallest useful size, largest first. */
export function smallerContextSizes(contextSize: number): number[] {
    const sizes: number[] = [];
    for (let size = Math.floor(contextSize / 2); size > smallestUsefulContext; size = Math.floor(size / 2)) sizes.push(size);
    if (contextSize > smallestUsefulContext) sizes.push(smallestUsefulContext);
    return sizes;
}

async function measure(
    demands: readonly ModelDemand[],
    contextSize: number,
    free: FreeMemory,
): Promise<{ fits: boolean; fit: Omit<MemoryFit, "fittingContextSize"> }> {
    const cappedContextSize = Math.min(...demands.map((demand) => demand.capContextSize(contextSize)));
    const offload = async (all: boolean): Promise<{ weights: Requirement; context: Requirement }> => {
        let weights = { cpuRam: 0, gpuVram: 0 };
        let context = { cpuRam: 0, gpuVram: 0 };
        for (const demand of demands) {
            const layers = all ? demand.totalLayers : 0;
            weights = add(weights, await demand.weights(layers));
            context = add(context, await demand.context(demand.capContextSize(contextSize), layers));
        }
        return { weights, context };
    };
    const result = (pool: MemoryPool, fits: boolean, modelBytes: number, contextBytes: number, availableBytes: number) => ({
        fits,
        fit: { pool, modelBytes, contextBytes, availableBytes, contextSize: cappedContextSize },
    });

    if (!free.gpu) {
        const { weights, context } = await offload(false);
        return result("ram", weights.cpuRam + context.cpuRam <= free.ramBytes, weights.cpuRam, context.cpuRam, free.ramBytes);
    }
    const { weights, context } = await offload(true);
    const modelBytes = weights.cpuRam + weights.gpuVram;
    const contextBytes = context.cpuRam + context.gpuVram;
    if (free.unified) {
        // One pool: the GPU's working set is the budget for everything.
        return result("unified", modelBytes + contextBytes <= free.vramBytes, modelBytes, contextBytes, free.vramBytes);
    }
    if (weights.gpuVram + context.gpuVram <= free.vramBytes && weights.cpuRam + context.cpuRam <= free.ramBytes) {
        return result("vram", true, modelBytes, contextBytes, free.vramBytes);
    }
    // Not all on the GPU: node-llama-cpp offloads the layers that fit and keeps the rest in RAM.
    return result("ram", modelBytes + contextBytes <= free.ramBytes + free.vramBytes, modelBytes, contextBytes, free.ramBytes + free.vramBytes);
}

function add(a: Requirement, b: Requirement): Requirement {
    return { cpuRam: a.cpuRam + b.cpuRam, gpuVram: a.gpuVram + b.gpuVram };
}
