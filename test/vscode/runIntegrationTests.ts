// `npm run test:integration`: runs test/integration/**/*.test.ts inside a real VS Code with the
// extension under development loaded, the way @vscode/test-electron does.
//
// VS Code: $HEARTH_VSCODE_EXECUTABLE if set; else a desktop VS Code downloaded into .vscode-test/;
// else (offline, headless, CI=true or HEARTH_VSCODE=code-server) code-server driven by headless
// Chromium through test/vscode/code-server-as-vscode, installed on first use by setup.sh.
// The tests get the GGUF fixtures through HEARTH_FIXTURES_DIR and HEARTH_FIXTURES_JSON.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runTests, TestRunFailedError } from "@vscode/test-electron";
import { ensureFixtures } from "../fixtures/gguf/index";
import { desktopVSCode, loadCodeServer, repoRoot, sampleWorkspace, vscodeTestDir } from "./vscodeChoice";

const started = Date.now();
const log = (message: string): void => console.log(`[integration] ${message}`);

async function chooseVSCode(): Promise<string> {
    const explicit = process.env.HEARTH_VSCODE_EXECUTABLE;
    if (explicit) {
        log(`VS Code: ${explicit} (from HEARTH_VSCODE_EXECUTABLE)`);
        return explicit;
    }
    const desktop = await desktopVSCode(log);
    if (desktop) {
        log(`VS Code: desktop VS Code ${desktop}`);
        return desktop;
    }
    const { ensureCodeServer } = await loadCodeServer();
    const install = ensureCodeServer(log);
    log(`VS Code: code-server ${install.version} (VS Code OSS) in headless Chromium, through test/vscode/code-server-as-vscode`);
    return path.join(repoRoot, "test", "vscode", "code-server-as-vscode");
}

async function main(): Promise<number> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-integration-"));
    // A fresh profile each run, so that settings a test wrote (or a run killed midway left) never
    // leak into the next run. Inside the checkout: VS Code's sockets there need a short path.
    fs.mkdirSync(vscodeTestDir, { recursive: true });
    const profile = fs.mkdtempSync(path.join(vscodeTestDir, "integration-"));
    try {
        const fixturesDir = path.join(work, "fixtures");
        const fixtures = await ensureFixtures(fixturesDir);
        const workspace = path.join(work, "sample-workspace");
        fs.cpSync(sampleWorkspace, workspace, { recursive: true });
        const vscodeExecutablePath = await chooseVSCode();
        return await runTests({
            vscodeExecutablePath,
            extensionDevelopmentPath: repoRoot,
            extensionTestsPath: path.join(repoRoot, "out", "test", "integration", "index.js"),
            launchArgs: [workspace, "--disable-extensions", `--user-data-dir=${path.join(profile, "user-data")}`],
            extensionTestsEnv: { HEARTH_FIXTURES_DIR: fixturesDir, HEARTH_FIXTURES_JSON: JSON.stringify(fixtures) },
        });
    } catch (e) {
        if (e instanceof TestRunFailedError) return e.code ?? 1;
        throw e;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
        fs.rmSync(profile, { recursive: true, force: true });
    }
}

main().then(
    (code) => {
        log(`${code === 0 ? "passed" : `FAILED (exit code ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        process.exit(code);
    },
    (e: unknown) => {
        console.error("[integration] could not run the tests:", e);
        process.exit(1);
    },
);
