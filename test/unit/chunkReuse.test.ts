import assert from "node:assert/strict";
import { minReuseChunkTokens, planChunkReuse } from "../../src/sidecar/completion/chunkReuse";

/** n distinct tokens from `from`. */
const run = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/** The cache after applying a plan's erasures in order. */
function applied(cached: readonly number[], plan: ReturnType<typeof planChunkReuse>): number[] {
    const cache = [...cached];
    for (const { start, end } of plan.erase) cache.splice(start, end - start);
    return cache;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
}

describe("chunk reuse after a cursor jump", () => {
    const header = run(1, 10);
    const SUF = 9000;
    const MID = 9001;

    it("a jump down: the old suffix's text above the new place moves up behind the common prefix", () => {
        // Cached: header, prefix up to A, [SUF], text from A on, [MID]. New: header, prefix up to B (= old prefix + text A..B), [SUF], text from B.
        const prefixA = run(100, 50);
        const textAB = run(200, 120);
        const textB = run(400, 80);
        const cached = [...header, ...prefixA, SUF, ...textAB, ...textB, MID];
        const prompt = [...header, ...prefixA, ...textAB, SUF, ...textB.slice(5), MID];
        const plan = planChunkReuse(cached, prompt);
        assert.deepEqual(plan.erase, [{ start: header.length + prefixA.length, end: header.length + prefixA.length + 1 }], "only [SUF] is erased");
        assert.equal(plan.moved, textAB.length);
        assert.equal(commonPrefix(applied(cached, plan), prompt), header.length + prefixA.length + textAB.length);
    });

    it("the window's start moving down a step: the rest of the prefix moves up", () => {
        const dropped = run(100, 40);
        const kept = run(200, 300);
        const cached = [...header, ...dropped, ...kept, SUF, ...run(600, 50), MID];
        const prompt = [...header, ...kept, ...run(700, 30), SUF, ...run(800, 50), MID];
        const plan = planChunkReuse(cached, prompt);
        assert.equal(plan.moved, kept.length);
        assert.equal(commonPrefix(applied(cached, plan), prompt), header.length + kept.length);
    });

    it("runs shorter than the minimum are evaluated again, not moved", () => {
        const short = run(200, minReuseChunkTokens - 1);
        const cached = [...header, 5000, ...short, MID];
        const prompt = [...header, ...short, SUF, MID];
        assert.deepEqual(planChunkReuse(cached, prompt), { erase: [], moved: 0 });
    });

    it("nothing to move when the prompt only grows at its end (typing) or the cache is empty", () => {
        const cached = [...header, ...run(100, 200)];
        assert.deepEqual(planChunkReuse(cached, [...cached, 7, 8]), { erase: [], moved: 0 });
        assert.deepEqual(planChunkReuse([], [...cached]), { erase: [], moved: 0 });
    });
});
