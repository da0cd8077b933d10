import { arch, freemem, platform, totalmem } from "node:os";
import { recommendModels, type MachineMemory, type Recommendation } from "../models/modelCatalog";
import { describeRecommendation } from "../models/recommendationText";
import { formatMachineMemory } from "../../common/units";

/** This machine's memory as the recommendation sees it (unified memory on Apple Silicon counts whole). */
export function machineMemory(): MachineMemory {
    return { totalBytes: totalmem(), freeBytes: freemem(), platform: platform(), arch: arch() };
}

export function recommendationFor(memory: MachineMemory = machineMemory()): Recommendation {
    return recommendModels(memory);
}

/** The words the first-run notification adds: both models, their download size and memory need. */
export function recommendationSentence(contextSize: number): string {
    const memory = machineMemory();
    return `Recommended for this machine (${formatMachineMemory(memory.totalBytes)}): ${describeRecommendation(recommendationFor(memory), contextSize)}.`;
}
