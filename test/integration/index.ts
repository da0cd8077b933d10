// Entry point that VS Code's extension host loads through --extensionTestsPath: runs every
// out/test/integration/**/*.test.js with mocha inside the running VS Code.
import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";
import * as vscode from "vscode";

const repoRoot = path.resolve(__dirname, "..", "..", "..");

export async function run(): Promise<void> {
    // First line of the output: proof of which VS Code (desktop or code-server) runs the tests.
    console.log(
        `Running in ${vscode.env.appName} ${vscode.version} (appHost ${vscode.env.appHost}, ` +
            `uiKind ${vscode.UIKind[vscode.env.uiKind]}), extension host Node ${process.version}`,
    );

    // No test saves a file: a save would carry its edits into every later test (which then fail
    // for no reason of their own). Stop at the test that saved, and name it.
    const saved: string[] = [];
    const saves = vscode.workspace.onDidSaveTextDocument((document) => {
        // Settings files change as tests set settings; the sample workspace's files must not.
        if (vscode.workspace.getWorkspaceFolder(document.uri) !== undefined) saved.push(vscode.workspace.asRelativePath(document.uri));
    });
    const rootHooks: Mocha.RootHookObject = {
        afterEach(this: Mocha.Context) {
            const files = saved.splice(0);
            if (files.length > 0)
                throw new Error(`"${this.currentTest?.fullTitle() ?? "a test"}" saved ${files.join(", ")}: tests must leave the sample workspace as it is`);
        },
    };
    // Per test: longer than any one wait (support.ts, patienceMs), so a wait that gives up reports what it waited for.
    const mocha = new Mocha({ ui: "bdd", timeout: 180_000, reporter: "spec", color: false, rootHooks });
    const sources = path.join(repoRoot, "test", "integration");
    for (const file of fs.readdirSync(__dirname, { recursive: true, encoding: "utf8" }).sort()) {
        if (!file.endsWith(".test.js")) continue;
        // out/ keeps the .js of a deleted test until it is cleaned: run only tests that still exist.
        if (fs.existsSync(path.join(sources, file.replace(/\.js$/, ".ts")))) mocha.addFile(path.join(__dirname, file));
        else console.log(`(skipping ${file}: its source is gone)`);
    }

    const failures: { test: string; error: string }[] = [];
    const failureCount = await new Promise<number>((resolve, reject) => {
        try {
            const runner = mocha.run(resolve);
            runner.on("fail", (test, err: Error) => failures.push({ test: test.fullTitle(), error: err.stack ?? String(err) }));
            runner.on("end", () => writeResults(runner.stats, failures));
        } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
        }
    });
    saves.dispose();
    if (failureCount > 0) throw new Error(`${failureCount} integration test(s) failed.`);
}

/** test-artifacts/integration-results.json: what ran, where, and what failed. */
function writeResults(stats: Mocha.Stats | undefined, failures: { test: string; error: string }[]): void {
    const dir = path.join(repoRoot, "test-artifacts");
    try {
        fs.mkdirSync(dir, { recursive: true });
        const vscodeInfo = {
            version: vscode.version,
            appName: vscode.env.appName,
            appHost: vscode.env.appHost,
            uiKind: vscode.UIKind[vscode.env.uiKind],
            node: process.version,
        };
        fs.writeFileSync(path.join(dir, "integration-results.json"), JSON.stringify({ vscode: vscodeInfo, stats, failures }, null, 2) + "\n");
    } catch (e) {
        console.error(`could not write ${dir}/integration-results.json: ${String(e)}`);
    }
}
