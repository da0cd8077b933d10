import {
    estimatePairMemory,
    estimatePresetMemory,
    hearthMemoryDefaults,
    recommendationTiers,
    presetById,
    type ModelPreset,
    type Recommendation,
} from "./modelCatalog";
import { formatBytes } from "../../common/units";

/** "Qwen2.5-Coder 1.5B · Q8_0 (1.6 GB download, ~2.3 GB memory)" at Hearth's default context. */
function describePreset(preset: ModelPreset, sequences: number, contextSize: number = hearthMemoryDefaults.contextSize): string {
    const size = `${preset.sizeIsApproximate ? "~" : ""}${formatBytes(preset.downloadBytes)}`;
    return `${preset.label} (${size} download, ~${formatBytes(estimatePresetMemory(preset, contextSize, sequences))} memory)`;
}

/** The recommended pair in one sentence: both models with their download size and memory need. */
export function describeRecommendation(
    recommendation: Pick<Recommendation, "completion" | "chat">,
    contextSize: number = hearthMemoryDefaults.contextSize,
): string {
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
    const { tier, completion, chat } = tierPresets(index);
    return `For this machine (${tier.machines} of memory) Hearth recommends ${describeRecommendation({ completion, chat })}. Both run on this computer: nothing is sent anywhere.`;
}

/** README's table of recommendations, one row a tier (a unit test checks README holds exactly this). */
export function readmeTierTable(): string {
    const rows = recommendationTiers.map((_, index) => {
        const { tier, completion, chat } = tierPresets(index);
        const size = (preset: ModelPreset): string => `${preset.label} (${preset.sizeIsApproximate ? "~" : ""}${formatBytes(preset.downloadBytes)})`;
        return `| ${tier.machines} | ${size(completion)} | ${size(chat)} | ~${formatBytes(estimatePairMemory(completion, chat))} |`;
    });
    return ["| memory | completions (base model, fill-in-the-middle) | chat and commands (Instruct) | both use |", "|---|---|---|---|", ...rows].join("\n");
}

function tierPresets(index: number): { tier: (typeof recommendationTiers)[number]; completion: ModelPreset; chat: ModelPreset } {
    const tier = recommendationTiers[index];
    const completion = tier === undefined ? undefined : presetById(tier.completionId);
    const chat = tier === undefined ? undefined : presetById(tier.chatId);
    if (tier === undefined || completion === undefined || chat === undefined) throw new Error(`tier ${index} names a preset that does not exist`);
    return { tier, completion, chat };
}
