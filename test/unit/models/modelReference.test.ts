import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import {
    isHuggingFaceReference,
    knownQuantNames,
    ModelReferenceError,
    parseModelReference,
    type ModelReference,
} from "../../../src/extension/models/modelReference";

/** node-llama-cpp's own parser, from its files (it does not export it), to check our canonical URIs against. */
interface NodeLlamaCppUriParser {
    readonly parseModelUri: (uri: string) => { readonly uri: string } | null;
}

async function nodeLlamaCppParser(): Promise<NodeLlamaCppUriParser> {
    const entry = require.resolve("node-llama-cpp");
    return (await import(pathToFileURL(path.join(path.dirname(entry), "utils", "parseModelUri.js")).href)) as NodeLlamaCppUriParser;
}

describe("model references", function () {
    const valid: readonly (readonly [string, ModelReference])[] = [
        [
            "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:q4_k_m",
            { kind: "hfQuant", uri: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M", owner: "Qwen", repo: "Qwen2.5-Coder-1.5B-Instruct-GGUF", tag: "Q4_K_M" },
        ],
        ["  hf://owner/repo  ", { kind: "hfQuant", uri: "hf:owner/repo", owner: "owner", repo: "repo", tag: "latest" }],
        ["huggingface:owner/repo:Latest", { kind: "hfQuant", uri: "hf:owner/repo", owner: "owner", repo: "repo", tag: "latest" }],
        ["huggingface://owner/repo:bf16", { kind: "hfQuant", uri: "hf:owner/repo:BF16", owner: "owner", repo: "repo", tag: "BF16" }],
        ["HF:owner/repo:ud-q4_k_xl", { kind: "hfQuant", uri: "hf:owner/repo:ud-q4_k_xl", owner: "owner", repo: "repo", tag: "ud-q4_k_xl" }],
        ["hf:owner/repo/", { kind: "hfQuant", uri: "hf:owner/repo", owner: "owner", repo: "repo", tag: "latest" }],
        [
            "hf:owner/repo/model.Q4_K_M.gguf",
            { kind: "hfFile", uri: "hf:owner/repo/model.Q4_K_M.gguf", owner: "owner", repo: "repo", file: "model.Q4_K_M.gguf", branch: "main" },
        ],
        [
            "hf:owner/repo/sub/dir/Model.GGUF#dev",
            { kind: "hfFile", uri: "hf:owner/repo/sub/dir/Model.GGUF#dev", owner: "owner", repo: "repo", file: "sub/dir/Model.GGUF", branch: "dev" },
        ],
        ["hf:owner/repo/model.gguf#", { kind: "hfFile", uri: "hf:owner/repo/model.gguf", owner: "owner", repo: "repo", file: "model.gguf", branch: "main" }],
        [
            "hf:owner/repo/model.gguf#main",
            { kind: "hfFile", uri: "hf:owner/repo/model.gguf", owner: "owner", repo: "repo", file: "model.gguf", branch: "main" },
        ],
        [
            "hf://owner/repo/model.gguf#refs/pr/1",
            { kind: "hfFile", uri: "hf:owner/repo/model.gguf#refs/pr/1", owner: "owner", repo: "repo", file: "model.gguf", branch: "refs/pr/1" },
        ],
        [
            "hf:owner/repo/my model.gguf",
            { kind: "hfFile", uri: "hf:owner/repo/my model.gguf", owner: "owner", repo: "repo", file: "my model.gguf", branch: "main" },
        ],
        ["/home/me/models/model.gguf", { kind: "file", path: "/home/me/models/model.gguf" }],
        ["  ~/models/model.gguf ", { kind: "file", path: "~/models/model.gguf" }],
        ["C:\\models\\model.gguf", { kind: "file", path: "C:\\models\\model.gguf" }],
        ["models/hf:thing.gguf", { kind: "file", path: "models/hf:thing.gguf" }],
    ];

    for (const [raw, expected] of valid) {
        it(`parses ${JSON.stringify(raw)}`, function () {
            assert.deepEqual(parseModelReference(raw), expected);
        });
    }

    const invalid: readonly (readonly [string, RegExp])[] = [
        ["", /empty/],
        ["   ", /empty/],
        ["hf:", /owner is missing/],
        ["hf:owner", /repository is missing/],
        ["hf:/repo", /starts with \//],
        ["hf:owner/", /repository is missing/],
        ["hf:o/r/../../x.gguf", /contains "\.\."/],
        ["hf:o/r/sub/../../../x.gguf", /contains "\.\."/],
        ["hf:o/r/./x.gguf", /contains "\."/],
        ["hf:o/r/a//x.gguf", /empty folder name/],
        ["hf:o/r/model.bin", /not a \.gguf file/],
        ["hf:o/r/.gguf", /not a \.gguf file/],
        ["hf:o/r/dir\\x.gguf", /backslash/],
        ["hf:o/r/C:/x.gguf", /contains ":"/],
        ["hf:o/r/x\u0000.gguf", /control characters/],
        ["hf:o/r/x\n.gguf", /control characters/],
        ["hf:../r/x.gguf", /owner "\.\."/],
        ["hf:o/../x.gguf", /repository "\.\."/],
        ["hf:o/r/x.gguf#../main", /branch/],
        ["hf:o/r/x.gguf#a b", /branch/],
        ["hf:o/r:Q4_K_M/x.gguf", /cannot be combined with a file path/],
        ["hf:o/r#dev", /#branch can only follow a file path/],
        ["hf:o/r:bad tag", /tag "bad tag"/],
        ["hf:own er/repo", /owner "own er"/],
    ];

    for (const [raw, problem] of invalid) {
        it(`refuses ${JSON.stringify(raw)}, saying what to write`, function () {
            assert.throws(
                () => parseModelReference(raw),
                (error: unknown) => {
                    assert.ok(error instanceof ModelReferenceError, `expected a ModelReferenceError, got ${String(error)}`);
                    assert.match(error.message, problem);
                    assert.match(error.message, /hf:owner\/repo:QUANT \(for example hf:Qwen\/Qwen2\.5-Coder-1\.5B-Instruct-GGUF:Q4_K_M\)/);
                    return true;
                },
            );
        });
    }

    it("tells Hugging Face references from file paths", function () {
        for (const raw of ["hf:o/r", " HF://o/r", "huggingface:o/r/x.gguf", "huggingface://o/r", "hf:"]) assert.equal(isHuggingFaceReference(raw), true, raw);
        for (const raw of ["/models/hf:x.gguf", "model.gguf", "hfmodel.gguf", "hf/model.gguf", "", "https://huggingface.co/o/r"])
            assert.equal(isHuggingFaceReference(raw), false, raw);
    });

    it("writes canonical URIs as node-llama-cpp does (except the default tag, which it writes only when given)", async function () {
        const { parseModelUri } = await nodeLlamaCppParser();
        for (const [raw, expected] of valid) {
            if (expected.kind === "file") continue;
            const theirs = parseModelUri(raw.trim().replace(/^HF:/, "hf:"));
            assert.ok(theirs !== null, raw);
            const theirUri = theirs.uri.replace(/:latest$/i, "");
            assert.equal(expected.uri, theirUri, raw);
        }
    });

    it("knows the quantisation names node-llama-cpp knows", async function () {
        const { ggufFileQuantNames } = await import("node-llama-cpp");
        assert.deepEqual([...knownQuantNames].sort(), [...ggufFileQuantNames].sort());
    });
});
