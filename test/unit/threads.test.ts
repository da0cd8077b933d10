import assert from "node:assert/strict";
import { autoThreads, resolveThreads } from "../../src/sidecar/threads";

describe("threads", () => {
    const cases: [backend: "cpu" | "metal" | "cuda", cores: number, expected: number][] = [
        ["cpu", 1, 1],
        ["cpu", 2, 1], // measured: 1 thread beats 2 on a 2-core machine
        ["cpu", 4, 3],
        ["cpu", 8, 7],
        ["cpu", 24, 8],
        ["metal", 10, 4],
        ["cuda", 2, 1],
        ["cuda", 6, 3],
    ];
    for (const [backend, cores, expected] of cases) {
        it(`auto on ${backend} with ${cores} cores is ${expected}`, () => {
            assert.equal(autoThreads(backend, cores), expected);
        });
    }

    it("uses an explicit count as given, within 1..256", () => {
        assert.equal(resolveThreads(3, "cpu", 2), 3);
        assert.equal(resolveThreads(0, "cpu", 2), 1);
        assert.equal(resolveThreads(1000, "cpu", 2), 256);
        assert.equal(resolveThreads("auto", "cpu", 2), 1);
    });
});
