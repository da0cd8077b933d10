import {
    estimatePresetMemory, formatBytes, hearthMemoryDefaults, recommendationTiers, presetById, type ModelPreset, type Recommendation,
} from "./modelCatalog";

const GiB = 1024 ** 3;

/** "Qwen2.5-Coder 1.5B · Q8_0 (1.6 GB download, ~2.3 GB memory)" at Hearth's default context. */
export function describePreset(preset: ModelPreset, sequences: number, contextSize: number = hearthMemoryDefaults.contextSize): string {
    const size = `${preset.sizeIsApproximate ? "~" : ""}${formatBytes(preset.downloadBytes)}`;
    return `${preset.label} (${size} download, ~${formatBytes(estimatePresetMemory(preset, contextSize, sequences))} memory)`;
}

/** The recommended pair in one sentence: both models with their download size and memory need. */
export function describeRecommendation(recommendation: Pick<Recommendation, "completion" | "chat">, contextSize: number = hearthMemoryDefaults.contextSize): string {
    return (
        `${describePreset(recommendation.completion, hearthMemoryDefaults.completionSequences, contextSize)} for completions and ` +
        `${describePreset(recommendation.chat, hearthMemoryDefaults.chatSequences, contextSize)} for chat`
    );
}

/** Which of recommendationTiers a recommendation is (the walkthrough shows that tier's step). */
export function tierOf(recommendation: Pick<Recommendation, "completion" | "chat">): number {
    return recommendationTiers.findIndex((tier) => tier.completionId === recommendation.completion.id && tier.chatId === recommendation.chat.id);
}

/**
 * The walkthrough step for a tier (package.json holds these texts, which cannot be computed
 * at run time; a unit test checks they match the catalog).
 */
export function walkthroughTierText(index: number): string {
    const tier = recommendationTiers[index];
    const next = recommendationTiers[index + 1];
    const completion = presetById(tier.completionId);
    const chat = presetById(tier.chatId);
    if (completion === undefined || chat === undefined) throw new Error(`tier ${index} names a preset that does not exist`);
    const from = tier.minTotalBytes / GiB;
    const range = next === undefined ? `${Math.round(from)} GB or more` : from === 0 ? `under ${Math.round(next.minTotalBytes / GiB)} GB` : `${Math.round(from)} to ${Math.round(next.minTotalBytes / GiB)} GB`;
    return `For this machine (${range} of memory) Hearth recommends ${describeRecommendation({ completion, chat })}. Both run on this computer: nothing is sent anywhere.`;
}
