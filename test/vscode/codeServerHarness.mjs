// Runs VS Code extension tests in code-server + headless Chromium, behaving like a VS Code executable
// to @vscode/test-electron's runTests({ vscodeExecutablePath }) (use it through ./code-server-as-vscode).
//
// Arguments (what runTests passes; anything else is ignored):
//   --extensionDevelopmentPath=DIR (repeatable)   --extensionTestsPath=FILE_OR_DIR   [FOLDER | X.code-workspace]
//   --user-data-dir=DIR  --extensions-dir=DIR  (used when given, else throwaway)   --disable-extensions
// Env: HEARTH_VSCODE_TIMEOUT (seconds for the whole run, default 1200: the suite takes 2 minutes on an
// idle 2-core machine and several times that on a loaded one), CHROMIUM_PATH, HEARTH_TEST_CACHE.
// The extension host inherits this process's environment (runTests' extensionTestsEnv included).
// Exit code: the extension host's (0 = tests passed); 124 on timeout; 1 on a harness error.
// Mocha's output (the workbench's codeAutomationLog) goes to stdout. On failure the screenshot and
// logs land in <repo>/test-artifacts/.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import util from "node:util";
import { CHROMIUM_ARGS, REPO_ROOT, chromiumPath as findChromium, codeServerInstall, startCodeServer, workbenchUrl } from "./codeServer.mjs";

const t0 = Date.now();
const say = (...a) => console.log(`[code-server-harness ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

function parseArgs(argv) {
    const takesValue = new Set(["extensionDevelopmentPath", "extensionTestsPath", "user-data-dir", "extensions-dir"]);
    const o = { extensionDevelopmentPath: [], positional: [] };
    for (let i = 0; i < argv.length; i++) {
        const m = /^--([^=]+)(?:=(.*))?$/s.exec(argv[i]);
        if (!m) {
            o.positional.push(argv[i]);
            continue;
        }
        let value = m[2];
        if (value === undefined && takesValue.has(m[1]) && i + 1 < argv.length) value = argv[++i];
        if (m[1] === "extensionDevelopmentPath") o.extensionDevelopmentPath.push(path.resolve(value));
        else o[m[1]] = value ?? true;
    }
    return o;
}

const args = parseArgs(process.argv.slice(2));
if (!args.extensionTestsPath || args.extensionDevelopmentPath.length === 0) {
    console.error("usage: code-server-as-vscode --extensionDevelopmentPath=DIR --extensionTestsPath=PATH [folder]");
    process.exit(2);
}
// The folder or workspace to open: the first positional argument that exists (a flag this harness
// does not know may have taken a separate value).
const folder = args.positional.map((p) => path.resolve(p)).find((p) => fs.existsSync(p));
const timeoutS = Number(process.env.HEARTH_VSCODE_TIMEOUT) || 1200;
const artifacts = path.join(REPO_ROOT, "test-artifacts");
const stamp = new Date().toISOString().replace(/[:.]/g, "-");

// Known noise from the workbench and the server that says nothing about the tests.
const NOISE = [
    /^\[(AgentHost|AccountPolicyGate|Service Worker|reconnection-grace-time)[\]:]/,
    /No signed-in session|open-vsx\.org|Creating a socket|Resolv(ing|ed) connection token|Updating additional builtin/,
    /ENOTFOUND|copilot-runtime|^\[: unexpected operator|authentication provider 'github'/,
];

let server;
let browser;
let page;
let workbenchLog;
let cleaning;

/**
 * Stops Chromium and code-server (with every descendant). With `keepEvidence` (the harness itself
 * failed: timeout, crash, error) first saves a screenshot and the logs into test-artifacts/.
 */
function cleanup(keepEvidence) {
    cleaning ??= (async () => {
        const evidence = path.join(artifacts, `vscode-${stamp}`);
        if (keepEvidence && page) {
            fs.mkdirSync(artifacts, { recursive: true });
            await page.screenshot({ path: `${evidence}.png`, timeout: 10_000 }).then(
                () => say(`screenshot: ${evidence}.png`),
                () => {},
            );
        }
        await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 5000))]).catch(() => {});
        if (workbenchLog) await new Promise((r) => workbenchLog.end(r));
        if (keepEvidence && workbenchLog) {
            fs.mkdirSync(artifacts, { recursive: true });
            fs.copyFileSync(workbenchLog.path, `${evidence}-workbench.log`);
        }
        if (server) {
            const saveLogAs = keepEvidence ? `${evidence}-code-server.log` : undefined;
            await server.stop({ saveLogAs }).catch((e) => say("stopping code-server:", e.message));
            if (saveLogAs) say(`logs: ${evidence}-{workbench,code-server}.log`);
        }
    })();
    return cleaning;
}

/** Exits with `code` after cleaning up; `evidence`: keep a screenshot and logs (the harness failed). */
async function finish(code, why, evidence = code !== 0) {
    if (cleaning) return; // already on the way out
    if (why) say(why);
    try {
        await cleanup(evidence);
    } finally {
        process.exit(code);
    }
}

for (const [sig, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
])
    process.on(sig, () => void finish(code, `${sig}: stopping`, false));
process.on("uncaughtException", (e) => void finish(1, `error: ${e.stack || e}`));
process.on("unhandledRejection", (e) => void finish(1, `error: ${e?.stack || e}`));
// If the launcher dies without signalling us, do not leave a server running for the rest of the day.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && void finish(1, "launcher went away: stopping"), 2000).unref();

async function main() {
    const install = codeServerInstall();
    if (!install.ready) return finish(1, `code-server ${install.version} is not installed in ${install.cache}: run test/vscode/setup.sh`);
    const chromiumPath = findChromium();
    if (!chromiumPath) return finish(1, "no Chromium found (set CHROMIUM_PATH, or run test/vscode/setup.sh)");

    server = await startCodeServer({
        install,
        userDataDir: typeof args["user-data-dir"] === "string" ? args["user-data-dir"] : undefined,
        extensionsDir: typeof args["extensions-dir"] === "string" ? args["extensions-dir"] : undefined,
        // Should this process be killed outright, its extension host still goes soon after the browser.
        extraArgs: ["--reconnection-grace-time", "10", "--idle-timeout-seconds", "120"],
    });
    say(`code-server ${install.version} (pid ${server.pid}) at ${server.url}`);

    browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        // Our own handlers stop everything in order (Playwright's would exit before code-server is stopped).
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        args: [...CHROMIUM_ARGS],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    workbenchLog = fs.createWriteStream(path.join(server.tmp, "workbench.log"));
    let exitWith;
    const exited = new Promise((resolve) => (exitWith = resolve));
    // VS Code's automation hooks: the workbench sends the extension host's console here and calls
    // codeAutomationExit with its exit code once the tests' run() settles.
    await page.exposeFunction("codeAutomationLog", (type, logArgs) => {
        const text = util.format(...(Array.isArray(logArgs) ? logArgs : [logArgs]));
        workbenchLog.write(`[${type}] ${text}\n`);
        if (!NOISE.some((re) => re.test(text))) process.stdout.write(text.endsWith("\n") ? text : text + "\n");
    });
    await page.exposeFunction("codeAutomationExit", (code) => exitWith(Number.isInteger(code) ? code : 1));
    page.on("console", (m) => m.type() === "error" && workbenchLog.write(`[browser] ${m.text()}\n`));
    page.on("pageerror", (e) => workbenchLog.write(`[pageerror] ${e.message}\n`));
    page.on("crash", () => exitWith("the workbench page crashed"));
    void server.exited.then((how) => exitWith(`code-server exited unexpectedly (${how})`));

    say("opening", folder ? folder : "an empty window");
    const timer = setTimeout(() => exitWith("timeout"), timeoutS * 1000);
    const url = workbenchUrl(server, {
        folder,
        extensionDevelopmentPaths: args.extensionDevelopmentPath,
        extensionTestsPath: path.resolve(args.extensionTestsPath),
        disableExtensions: args["disable-extensions"] !== undefined,
    });
    page.goto(url, { timeout: 0 }).catch((e) => exitWith(`opening the workbench failed: ${e.message}`));
    const result = await exited;
    clearTimeout(timer);
    if (result === "timeout") return finish(124, `TIMEOUT: the tests did not finish within ${timeoutS} s (HEARTH_VSCODE_TIMEOUT)`);
    if (typeof result === "string") return finish(1, result);
    return finish(result, `extension host exited with code ${result}`, false);
}

main().catch((e) => finish(1, `error: ${e.stack || e}`));
