import assert from "node:assert/strict";
import { planMemory, smallerContextSizes, type FreeMemory, type ModelDemand } from "../../src/sidecar/memoryFit";

const GB = 1e9;

/** A model whose weights and per-token context cost are known, split across CPU and GPU by offloaded layers. */
function demand(weightsBytes: number, bytesPerToken: number, layers = 10, trainContext = 32768): ModelDemand {
    return {
        totalLayers: layers,
        weights: (gpuLayers) => Promise.resolve({ cpuRam: (weightsBytes * (layers - gpuLayers)) / layers, gpuVram: (weightsBytes * gpuLayers) / layers }),
        context: (contextSize, gpuLayers) => {
            const bytes = contextSize * bytesPerToken;
            return Promise.resolve(gpuLayers > 0 ? { cpuRam: 0, gpuVram: bytes } : { cpuRam: bytes, gpuVram: 0 });
        },
        capContextSize: (contextSize) => Math.min(contextSize, trainContext),
    };
}
const cpu = (ramBytes: number): FreeMemory => ({ ramBytes, vramBytes: 0, gpu: false, unified: false });

describe("memory fit before loading", () => {
    it("halves the context down to 512, largest first", () => {
        assert.deepEqual(smallerContextSizes(8192), [4096, 2048, 1024, 512]);
        assert.deepEqual(smallerContextSizes(6000), [3000, 1500, 750, 512]);
        assert.deepEqual(smallerContextSizes(512), []);
    });

    it("fits when weights and context are within free RAM, and reports the sums", async () => {
        const plan = await planMemory([demand(2 * GB, 100_000)], 4096, cpu(8 * GB));
        assert.equal(plan.fits, true);
        assert.equal(plan.fit.modelBytes, 2 * GB);
        assert.equal(plan.fit.contextBytes, 4096 * 100_000);
        assert.equal(plan.fit.fittingContextSize, 4096);
        assert.equal(plan.fit.pool, "ram");
    });

    it("counts both models of a completion + chat pair", async () => {
        const alone = await planMemory([demand(2 * GB, 100_000)], 4096, cpu(7 * GB));
        const pair = await planMemory([demand(2 * GB, 100_000), demand(4.5 * GB, 50_000)], 4096, cpu(7 * GB));
        assert.equal(alone.fits, true);
        assert.equal(pair.fits, false, "6.5 GB of weights plus two contexts exceed 7 GB");
        assert.equal(pair.fit.modelBytes, 6.5 * GB);
    });

    it("finds the largest halving of the context that fits", async () => {
        // 1 GB of weights, 1 MB per token, 5 GB free: 32768 tokens need 33 GB; 4096 need 5.1 GB; 2048 fit.
        const plan = await planMemory([demand(1 * GB, 1_000_000)], 32768, cpu(5 * GB));
        assert.equal(plan.fits, false);
        assert.equal(plan.fit.contextSize, 32768);
        assert.equal(plan.fit.fittingContextSize, 2048);
    });

    it("has no fitting context when the weights alone do not fit", async () => {
        const plan = await planMemory([demand(10 * GB, 1000)], 4096, cpu(8 * GB));
        assert.equal(plan.fits, false);
        assert.equal(plan.fit.fittingContextSize, null);
    });

    it("caps the context at the model's training context", async () => {
        const plan = await planMemory([demand(1 * GB, 1000, 10, 2048)], 8192, cpu(8 * GB));
        assert.equal(plan.fit.contextSize, 2048);
        assert.equal(plan.fit.contextBytes, 2048 * 1000);
    });

    it("on a discrete GPU: all in VRAM when it fits, else VRAM and RAM together, else refused", async () => {
        const model = demand(6 * GB, 100_000);
        const roomy = await planMemory([model], 4096, { ramBytes: 16 * GB, vramBytes: 12 * GB, gpu: true, unified: false });
        assert.deepEqual([roomy.fits, roomy.fit.pool], [true, "vram"]);
        const split = await planMemory([model], 4096, { ramBytes: 16 * GB, vramBytes: 4 * GB, gpu: true, unified: false });
        assert.deepEqual([split.fits, split.fit.pool, split.fit.availableBytes], [true, "ram", 20 * GB]);
        const short = await planMemory([model], 4096, { ramBytes: 2 * GB, vramBytes: 2 * GB, gpu: true, unified: false });
        assert.equal(short.fits, false);
    });

    it("with unified memory (Apple Silicon) the GPU's working set is the one budget", async () => {
        const plan = await planMemory([demand(6 * GB, 100_000)], 4096, { ramBytes: 30 * GB, vramBytes: 5 * GB, gpu: true, unified: true });
        assert.equal(plan.fits, false);
        assert.equal(plan.fit.pool, "unified");
        assert.equal(plan.fit.availableBytes, 5 * GB);
        assert.equal(plan.fit.fittingContextSize, null);
    });
});
