// `npm run quality` as its users call it: JSONL in, JSONL out, in the documented shape; a bad line
// named with what is wrong, and nothing written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCases } from "../quality/quality";

const cli = join(__dirname, "..", "quality", "quality.js");

describe("npm run quality: the case runner's contract", function () {
    this.timeout(30_000);
    let work: string;
    beforeEach(() => {
        work = mkdtempSync(join(tmpdir(), "hearth-quality-cli-"));
    });
    afterEach(() => rmSync(work, { recursive: true, force: true }));

    function run(lines: readonly string[], args: readonly string[] = []): { status: number | null; out: string; results: unknown[] | undefined } {
        const input = join(work, "in.jsonl");
        const output = join(work, "out.jsonl");
        writeFileSync(input, lines.join("\n") + "\n");
        const result = spawnSync(process.execPath, [cli, "--cases", input, "--out", output, ...args], { encoding: "utf8" });
        const results = existsSync(output)
            ? readFileSync(output, "utf8")
                  .trim()
                  .split("\n")
                  .filter((line) => line !== "")
                  .map((line) => JSON.parse(line) as unknown)
            : undefined;
        return { status: result.status, out: `${result.stdout}${result.stderr}`, results };
    }

    it("replays raw text through post-processing and writes one result a case, in order, in the documented shape", () => {
        const cases = [
            { id: "quote", language: "javascript", prefix: 'console.log("Obj: ', suffix: '")\n', raw: '", obj);' },
            { id: "none", language: "python", prefix: "x = ", suffix: "\n", raw: "<|endoftext|>" },
            { id: "tabs", language: "python", prefix: "def f():\n", suffix: "\n", raw: "    return 1\n", tabSize: 4, insertSpaces: false },
        ];
        const { status, out, results } = run(cases.map((c) => JSON.stringify(c)));
        assert.equal(status, 0, out);
        const shown = (results ?? []).map((result) => {
            const { id, insertText, replaceEnd } = result as { id: string; insertText: string; replaceEnd: number };
            return { id, insertText, replaceEnd };
        });
        assert.deepEqual(shown, [
            // The auto-closed `")` is replaced by the suggestion's own.
            { id: "quote", insertText: '", obj);', replaceEnd: 2 },
            { id: "none", insertText: "", replaceEnd: 0 },
            // A tab-indented file gets tabs.
            { id: "tabs", insertText: "\treturn 1", replaceEnd: 0 },
        ]);
        // No model ran: the contract's fields and the stop reason only.
        for (const result of results ?? []) assert.deepEqual(Object.keys(result as object).sort(), ["id", "insertText", "replaceEnd", "stopReason"]);
        assert.match(out, /3 case\(s\), 2 with a suggestion/);
    });

    it("a case without raw needs --model, and says so before doing anything", () => {
        const { status, out, results } = run([JSON.stringify({ id: "a", language: "go", prefix: "func ", suffix: "" })]);
        assert.equal(status, 1);
        assert.match(out, /1 case\(s\) have no "raw" \(the first: "a"\): give --model FILE\.gguf/);
        assert.equal(results, undefined, "nothing written");
    });

    it("names the line and what is wrong with it", () => {
        const check = (text: string, message: RegExp): void => assert.throws(() => parseCases(text, "in.jsonl"), message);
        check("{not json", /in\.jsonl:1: not JSON/);
        check(`${JSON.stringify({ id: "a", language: "go", prefix: "", suffix: "", raw: "" })}\n[1, 2]`, /in\.jsonl:2: a case must be a JSON object/);
        check(JSON.stringify({ id: "a", language: "go", prefix: 3, suffix: "" }), /in\.jsonl:1: "prefix" must be a string/);
        check(JSON.stringify({ id: "a", language: "go", prefix: "", suffix: "", tabSize: 0 }), /"tabSize" must be a whole number from 1 to 16/);
        check(JSON.stringify({ id: "a", language: "go", prefix: "", suffix: "", insertSpaces: "yes" }), /"insertSpaces" must be true or false/);
        const line = JSON.stringify({ id: "a", language: "go", prefix: "", suffix: "", raw: "" });
        check(`${line}\n\n${line}`, /in\.jsonl:3: the id "a" appears twice/);
        assert.equal(parseCases(`\n${line}\n\n`, "in.jsonl").length, 1, "blank lines are skipped");
    });

    it("refuses an argument it does not know, with the usage", () => {
        const { status, out } = run([], ["--layout", "spm"]);
        assert.equal(status, 1);
        assert.match(out, /Unknown argument --layout/);
    });
});
