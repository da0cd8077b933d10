// Drives a real VS Code (code-server) through its UI with headless Chromium, as a person would.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { loadCodeServer, repoRoot, sampleWorkspace } from "../vscode/vscodeChoice";

const artifactsDir = path.join(repoRoot, "test-artifacts");

/** Hearth's status bar item: VS Code gives it the id "<extension id>.<item id>". */
export const engineStatusSelector = '[id="hearth-dev.hearth.hearth.engine"]';

export interface Workbench {
    readonly page: Page;
    /** Waits until the status bar shows Hearth ready with `model` (its short name). */
    engineReady(model?: string): Promise<void>;
    screenshot(name: string): Promise<string>;
    runCommand(title: string): Promise<void>;
    close(): Promise<void>;
}

/** Starts code-server with Hearth under development and `machineSettings`, and opens it in Chromium. */
async function openWorkbench(machineSettings: Record<string, unknown>): Promise<Workbench> {
    const cs = await loadCodeServer();
    // Quiet: npm test's setup step has said what is installed; setup.sh still reports its own work here.
    const install = cs.ensureCodeServer(() => undefined);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-ui-"));
    const workspace = path.join(work, "sample-workspace");
    fs.cpSync(sampleWorkspace, workspace, { recursive: true });
    // Installed as a user would have it (a link in the extensions folder), not through the URL payload:
    // the payload needs the smoke-test driver, and the driver hides notification toasts.
    const extensionsDir = path.join(work, "extensions");
    cs.linkExtension(extensionsDir, repoRoot);
    const server = await cs.startCodeServer({ install, machineSettings, extensionsDir, userDataDir: path.join(work, "user-data"), smokeTestDriver: false });
    let browser: BrowserContext | undefined;
    try {
        browser = await chromium.launchPersistentContext(path.join(work, "chromium"), {
            executablePath: cs.chromiumPath() ?? "/usr/bin/chromium",
            headless: true,
            viewport: { width: 1400, height: 900 },
            args: [...cs.CHROMIUM_ARGS],
        });
        const page = browser.pages()[0] ?? (await browser.newPage());
        await page.goto(cs.workbenchUrl(server, { folder: workspace }));
        await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
        fs.mkdirSync(artifactsDir, { recursive: true });
        const opened = browser;
        return {
            page,
            async engineReady(model = "Hearth test model") {
                await page.locator(engineStatusSelector, { hasText: model }).locator(".codicon-flame").waitFor({ timeout: 60_000 });
            },
            async screenshot(name) {
                const file = path.join(artifactsDir, `${name}.png`);
                await page.screenshot({ path: file });
                return file;
            },
            async runCommand(title) {
                await page.keyboard.press("F1");
                const input = page.locator(".quick-input-widget input");
                await input.waitFor({ state: "visible" });
                await input.fill(`>${title}`);
                await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor();
                await page.keyboard.press("Enter");
            },
            async close() {
                await opened.close().catch(() => undefined);
                await server.stop();
                fs.rmSync(work, { recursive: true, force: true });
            },
        };
    } catch (error) {
        await browser?.close().catch(() => undefined);
        await server.stop({ saveLogAs: path.join(artifactsDir, "ui-code-server.log") });
        fs.rmSync(work, { recursive: true, force: true });
        throw error;
    }
}

interface UiSuite {
    /** The generated models, written fresh for the suite. */
    readonly fixtures: FixturePaths;
    /** Opens a workbench with these machine settings; it is closed after the test (screenshot first if it failed). */
    open(machineSettings: Record<string, unknown>): Promise<Workbench>;
}

/** Mocha hooks every UI suite shares: fresh fixtures, one workbench per test, a screenshot of failures. */
export function useUiSuite(): UiSuite {
    const fixtureDir = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-ui-fixtures-"));
    let fixtures: FixturePaths | undefined;
    let current: Workbench | undefined;
    before(async () => {
        fixtures = await ensureFixtures(fixtureDir);
    });
    afterEach(async function () {
        if (this.currentTest?.state === "failed") await current?.screenshot(`ui-failed-${this.currentTest.title.replace(/\W+/g, "-")}`);
        await current?.close();
        current = undefined;
    });
    after(() => fs.rmSync(fixtureDir, { recursive: true, force: true }));
    return {
        get fixtures() {
            if (fixtures === undefined) throw new Error("The fixtures are written in the suite's before hook.");
            return fixtures;
        },
        async open(machineSettings) {
            current = await openWorkbench(machineSettings);
            return current;
        },
    };
}
