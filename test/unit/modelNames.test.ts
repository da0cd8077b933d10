import assert from "node:assert/strict";
import { modelPairName, shortModelName } from "../../src/extension/engine/modelNames";

describe("short model names (status bar, chat footer)", () => {
    it("drop notes in brackets, a file type and a quantisation tag", () => {
        assert.equal(shortModelName("Hearth demo model (random weights)"), "Hearth demo model");
        assert.equal(shortModelName("qwen2.5-coder-1.5b-instruct-q8_0.gguf"), "qwen2.5-coder-1.5b-instruct");
        assert.equal(shortModelName("Qwen2.5 Coder 7B Instruct Q4_K_M"), "Qwen2.5 Coder 7B Instruct");
        assert.equal(shortModelName("CodeLlama 7B [GGUF]"), "CodeLlama 7B");
    });

    it("keep a name that would otherwise be empty, and cut long ones with an ellipsis", () => {
        assert.equal(shortModelName("(unnamed)"), "(unnamed)");
        assert.equal(shortModelName("   "), "unnamed model");
        assert.equal(shortModelName("Coder (v2 (beta)) 7B"), "Coder 7B", "nested notes go whole");
        assert.equal(shortModelName("Qwen-Coder-"), "Qwen-Coder", "no separator left dangling");
        const cut = shortModelName("An Extremely Long Model Name That Goes On", 20);
        assert.equal(cut.length, 20);
        assert.ok(cut.endsWith("…"));
    });

    it("a pair names the second model by what differs from the first", () => {
        assert.equal(modelPairName("Qwen2.5 Coder 1.5B", "Qwen2.5 Coder 7B Instruct"), "Qwen2.5 Coder 1.5B + 7B Instruct");
        assert.equal(modelPairName("qwen2.5-coder-1.5b", "qwen2.5-coder-7b-instruct"), "qwen2.5-coder-1.5b + 7b-instruct");
        assert.equal(modelPairName("StarCoder2 3B", "Llama 3.1 8B Instruct"), "StarCoder2 3B + Llama 3.1 8B Instruct");
        // Never reduced to nothing: the last word always stays.
        assert.equal(modelPairName("Tiny", "Tiny"), "Tiny + Tiny");
        assert.equal(modelPairName("Qwen Coder", "Qwen Coder-"), "Qwen Coder + Coder");
    });

    it("a pair stays within its length", () => {
        const pair = modelPairName("A Very Long Completion Model Name", "Another Very Long Chat Model Name Instruct");
        assert.ok(pair.length <= 40, pair);
    });
});
