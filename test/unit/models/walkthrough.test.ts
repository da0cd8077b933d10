import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { recommendationTiers, recommendModels } from "../../../src/extension/models/modelCatalog";
import { tierOf, walkthroughTierText } from "../../../src/extension/models/recommendationText";

interface Step {
    readonly id: string;
    readonly description: string;
    readonly when?: string;
    readonly media: { readonly markdown?: string; readonly image?: string };
}
interface Manifest {
    readonly contributes: {
        readonly walkthroughs: readonly { readonly id: string; readonly steps: readonly Step[] }[];
        readonly commands: readonly { readonly command: string }[];
    };
}

const root = join(__dirname, "../../../..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
const walkthrough = manifest.contributes.walkthroughs.find((candidate) => candidate.id === "hearth.gettingStarted");

describe("the getting-started walkthrough", () => {
    it("exists, and every step's media file and command link is real", () => {
        assert.ok(walkthrough, "package.json contributes hearth.gettingStarted");
        const commands = new Set(manifest.contributes.commands.map((command) => command.command));
        for (const step of walkthrough.steps) {
            const media = step.media.markdown ?? step.media.image;
            assert.ok(media !== undefined, `${step.id} has media`);
            assert.ok(readFileSync(join(root, media), "utf8").length > 0, `${media} exists`);
            for (const [, command] of step.description.matchAll(/\(command:(hearth\.[\w.]+)/g))
                assert.ok(commands.has(command), `${step.id} links to ${command}, which package.json declares`);
        }
    });

    it("has one recommendation step per memory tier, whose text is the catalog's", () => {
        assert.ok(walkthrough);
        recommendationTiers.forEach((_, index) => {
            const step = walkthrough.steps.find((candidate) => candidate.when === `hearth.memoryTier == ${index}`);
            assert.ok(step, `a step for tier ${index}`);
            assert.ok(
                step.description.startsWith(walkthroughTierText(index)),
                `tier ${index}: package.json says what the catalog recommends (regenerate the text if presets changed)`,
            );
            assert.match(step.description, /\(command:hearth\.downloadRecommended\)/);
        });
    });

    it("each tier's label names the machines it is offered on, in the memory they are sold with", () => {
        /** "less than 6 GB", "6 or 7 GB", "8 to 15 GB", "32 GB or more" → the sold sizes it covers. */
        const covers = (label: string, gb: number): boolean => {
            const less = /^less than (\d+) GB$/.exec(label);
            if (less) return gb < Number(less[1]);
            const between = /^(\d+) (?:or|to) (\d+) GB$/.exec(label);
            if (between) return gb >= Number(between[1]) && gb <= Number(between[2]);
            const more = /^(\d+) GB or more$/.exec(label);
            if (more) return gb >= Number(more[1]);
            throw new Error(`a tier label of unknown form: ${label}`);
        };
        // Linux reports a little less than the machine is sold with (firmware, integrated graphics); macOS all of it.
        for (const [platform, reported] of [
            ["linux", 0.965],
            ["darwin", 1],
        ] as const) {
            for (const gb of [4, 6, 8, 12, 16, 18, 24, 32, 36, 48, 64, 96, 128]) {
                const tier = tierOf(recommendModels({ totalBytes: gb * reported * 1024 ** 3, freeBytes: gb * 1024 ** 3, platform, arch: "x64" }));
                const label = recommendationTiers[tier]?.machines ?? "";
                assert.ok(covers(label, gb), `a ${gb} GB ${platform} machine gets the tier labelled "${label}"`);
            }
        }
    });

    it("the tier a machine gets is the recommendation it is offered", () => {
        for (const gib of [4, 6, 8, 16, 24, 32, 64]) {
            const recommendation = recommendModels({ totalBytes: gib * 1024 ** 3, freeBytes: gib * 1024 ** 3, platform: "darwin", arch: "arm64" });
            const tier = tierOf(recommendation);
            assert.ok(tier >= 0, `${gib} GiB maps to a tier`);
            assert.equal(recommendationTiers[tier].chatId, recommendation.chat.id);
        }
    });
});
