import assert from "node:assert/strict";
import { RestartPolicy } from "../../src/extension/engine/restartPolicy";

describe("RestartPolicy", () => {
    const minute = 60_000;

    it("restarts after each of the first four crashes, with doubling delays", () => {
        const policy = new RestartPolicy();
        const decisions = [0, 1000, 2000, 3000].map((at) => policy.recordCrash(at));
        assert.deepEqual(
            decisions.map((d) => (d.action === "restart" ? d.delayMs : "giveUp")),
            [500, 1000, 2000, 4000],
        );
    });

    it("gives up at the fifth crash within three minutes", () => {
        const policy = new RestartPolicy();
        for (const at of [0, 10_000, 20_000, 30_000]) assert.equal(policy.recordCrash(at).action, "restart");
        const fifth = policy.recordCrash(2.9 * minute);
        assert.deepEqual(fifth, { action: "giveUp", crashesInWindow: 5 });
    });

    it("forgets crashes older than three minutes", () => {
        const policy = new RestartPolicy();
        for (const at of [0, 10_000, 20_000, 30_000]) policy.recordCrash(at);
        const later = policy.recordCrash(3 * minute + 15_000); // the first two have aged out
        assert.deepEqual(later, { action: "restart", delayMs: 2000, crashesInWindow: 3 });
    });

    it("caps the delay", () => {
        const policy = new RestartPolicy({ maxCrashes: 100, windowMs: 10 * minute, initialDelayMs: 500, maxDelayMs: 8000 });
        let last = policy.recordCrash(0);
        for (let i = 1; i < 10; i++) last = policy.recordCrash(i);
        assert.equal(last.action === "restart" && last.delayMs, 8000);
    });

    it("starts afresh after a deliberate restart", () => {
        const policy = new RestartPolicy();
        for (const at of [0, 1, 2, 3]) policy.recordCrash(at);
        policy.reset();
        assert.deepEqual(policy.recordCrash(4), { action: "restart", delayMs: 500, crashesInWindow: 1 });
    });
});
