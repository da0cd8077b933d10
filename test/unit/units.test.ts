import * as assert from "node:assert/strict";
import { formatBytes, formatMachineMemory } from "../../src/common/units";

// One convention wherever a user reads a size: decimal units, as model pages and download tools give them.
describe("formatBytes", function () {
    it("uses decimal units, as download sites do", function () {
        assert.equal(formatBytes(1_646_573_056), "1.6 GB");
        assert.equal(formatBytes(531_068_128), "531 MB");
        assert.equal(formatBytes(999_700_000), "1.0 GB");
        assert.equal(formatBytes(2_000), "2 kB");
        assert.equal(formatBytes(12), "12 bytes");
    });
    it("reads like a file manager's", function () {
        assert.deepEqual([900, 1536, 100_000, 350 * 1024 * 1024, 1.5 * 1024 ** 3].map(formatBytes), ["900 bytes", "2 kB", "100 kB", "367 MB", "1.6 GB"]);
    });
    it("never says NaN, whatever an estimate says", function () {
        assert.deepEqual([Number.NaN, Infinity, -1].map(formatBytes), ["an unknown amount", "an unknown amount", "an unknown amount"]);
    });
});

describe("formatMachineMemory", function () {
    it("names installed memory as it is sold: binary gigabytes called GB", function () {
        assert.deepEqual([16 * 1024 ** 3, 7.5 * 1024 ** 3, 7.3 * 1024 ** 3, 24.2 * 1024 ** 3].map(formatMachineMemory), ["16 GB", "7.5 GB", "7.5 GB", "24 GB"]);
    });
});
