import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readmeTierTable } from "../../src/extension/models/recommendationText";

const root = join(__dirname, "../../..");
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("README.md says what the code does", () => {
    it("its table of recommended models is the catalog's", () => {
        const table = readmeTierTable();
        assert.ok(readme.includes(table), `README.md's table under "Choose a model" must read:\n\n${table}\n`);
    });

    it("its quick start gives the one command that sets up and runs the tests, which CI runs", () => {
        const marked = /<!-- ci: test command -->\n```\n(.+)\n```/.exec(readme);
        assert.ok(marked, "the test command follows the `<!-- ci: test command -->` marker in a fenced block");
        assert.equal(marked[1], "npm ci && npm test");
        const ci = spawnSync("bash", [join(root, ".ci", "run"), "--print-command"], { encoding: "utf8" });
        assert.equal(ci.status, 0, ci.stderr);
        assert.equal(ci.stdout.trim(), marked[1], ".ci/run runs README's command");
        assert.ok(readme.includes("```\nnpm ci && npm start\n```"), "and the one that sets up and runs Hearth");
    });

    it("its layout map names every folder of src, and only folders that exist", () => {
        const map = /### Layout\n[\s\S]*?```\n([\s\S]*?)```/.exec(readme);
        assert.ok(map, "README.md has a code block under ### Layout");
        const named = new Set([...map[1].matchAll(/^(src\/\S*?)\/?\s/gm)].map((match) => match[1]));
        const folders: string[] = [];
        const walk = (dir: string): void => {
            const entries = readdirSync(join(root, dir), { withFileTypes: true });
            if (entries.some((entry) => entry.isFile() && entry.name.endsWith(".ts"))) folders.push(dir);
            for (const entry of entries) if (entry.isDirectory()) walk(`${dir}/${entry.name}`);
        };
        walk("src");
        assert.deepEqual(
            folders.filter((folder) => !named.has(folder)),
            [],
            "folders of src missing from the map",
        );
        assert.deepEqual(
            [...named].filter((folder) => !existsSync(join(root, folder))),
            [],
            "folders in the map that do not exist",
        );
    });
});
