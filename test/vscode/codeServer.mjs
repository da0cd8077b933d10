// Start and stop code-server (VS Code OSS served to a browser), the stand-in for desktop VS Code on
// machines that cannot download it. Shared by codeServerHarness.mjs (tests) and start.ts (npm start).
//
// code-server runs on the Node 24 that test/vscode/setup.sh installs into $HEARTH_TEST_CACHE; this
// module itself runs on any Node >= 20. Linux only (setup.sh installs linux-x64 binaries).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, "..", "..");
export const SETUP_SCRIPT = path.join(here, "setup.sh");

/** User settings that keep the workbench quiet: no welcome page, no pop-ups, nothing phoning home. */
export const QUIET_SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoUpdate": false,
    "extensions.autoCheckUpdates": false,
    "extensions.ignoreRecommendations": true,
    "security.workspace.trust.enabled": false,
    "git.openRepositoryInParentFolders": "never",
    // In a browser VS Code saves changed files after a second by default: tests would write their
    // edits into the sample workspace, and a later test would find them there.
    "files.autoSave": "off",
};

/** Where setup.sh puts Node 24 and code-server, and whether the install is complete. */
export function codeServerInstall() {
    const versions = {};
    for (const m of fs.readFileSync(path.join(here, "versions.sh"), "utf8").matchAll(/^([A-Z_]+)=(\S+)/gm)) versions[m[1]] = m[2];
    const cache = process.env.HEARTH_TEST_CACHE || path.join(os.homedir(), ".cache", "hearth-test");
    const dir = path.join(cache, `code-server-${versions.CODE_SERVER_VERSION}`);
    const node = path.join(cache, `node-${versions.NODE_VERSION}`, "bin", "node");
    return {
        cache,
        node,
        entry: path.join(dir, "lib", "node_modules", "code-server", "out", "node", "entry.js"),
        version: versions.CODE_SERVER_VERSION,
        ready: fs.existsSync(node) && fs.existsSync(path.join(dir, ".hearth-complete")),
    };
}

/** How every test launches Chromium: headless in a container, with nothing that reaches the network on its own. */
export const CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/** The Chromium that drives the workbench: $CHROMIUM_PATH, else Debian's (setup.sh installs it). */
export function chromiumPath() {
    return [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => p && fs.existsSync(p));
}

/**
 * Runs setup.sh when code-server (or, with `browser`, Chromium) is missing: minutes, once per
 * machine, with its progress on this process's output. Returns codeServerInstall().
 */
export function ensureCodeServer(log = console.log, { browser = true } = {}) {
    const install = codeServerInstall();
    if (install.ready && (!browser || chromiumPath() !== undefined)) {
        log(`code-server ${install.version} and Node 24 already installed in ${install.cache}: reusing them`);
        return install;
    }
    const missing = [...(install.ready ? [] : [`code-server ${install.version}`]), ...(browser && chromiumPath() === undefined ? ["Chromium"] : [])];
    log(
        `${missing.join(" and ")} not installed yet: running ${path.relative(process.cwd(), SETUP_SCRIPT)}${browser ? "" : " --no-browser"} (a few minutes, once per machine)`,
    );
    const r = spawnSync("bash", [SETUP_SCRIPT, ...(browser ? [] : ["--no-browser"])], { stdio: ["inherit", "inherit", "inherit"] });
    const after = codeServerInstall();
    if (r.status !== 0 || !after.ready) throw new Error(`${SETUP_SCRIPT} failed (exit ${r.status ?? r.signal}): see what it printed above`);
    return after;
}

export function freePort(host = "127.0.0.1") {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, host, () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

/**
 * Writes User/settings.json: QUIET_SETTINGS, then what the file already had, then `settings`.
 * With scope "Machine" writes Machine/settings.json (no defaults) instead: in code-server, as in any
 * remote window, settings of scope machine / machine-overridable (hearth.model) are read only from
 * there; the User file's values for them are ignored.
 */
export function writeUserSettings(userDataDir, settings = {}, scope = "User") {
    const file = path.join(userDataDir, scope, "settings.json");
    let existing = {};
    try {
        existing = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
        // none yet (or not plain JSON): start from the defaults
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const defaults = scope === "User" ? QUIET_SETTINGS : {};
    fs.writeFileSync(file, JSON.stringify({ ...defaults, ...existing, ...settings }, null, 2) + "\n");
}

// Variables that would change what code-server does: VSCODE_IPC_HOOK_CLI (set in VS Code's terminals)
// turns it into a CLI that opens files in the parent window; PORT overrides the port; and so on.
const SERVER_ENV_DROP = /^(VSCODE_|CODE_SERVER_|CS_DISABLE_)|^(PORT|PASSWORD|HASHED_PASSWORD|GITHUB_TOKEN|ELECTRON_RUN_AS_NODE)$/;

/**
 * Starts code-server on host:port (a free port by default) with no authentication and waits until
 * it answers. Everything else it writes goes to a fresh temp dir (config, logs, XDG dirs, TMPDIR),
 * as do the user-data and extensions dirs unless given. `settings` go to the user settings (after
 * QUIET_SETTINGS), `machineSettings` to the remote machine's. The extension host inherits `env`.
 * Resolves to { url, port, pid, tmp, userDataDir, logFile, stop(options) }.
 */
export async function startCodeServer({
    install = codeServerInstall(),
    host = "127.0.0.1",
    port,
    userDataDir,
    extensionsDir,
    settings = {},
    machineSettings,
    env = process.env,
    extraArgs = [],
    smokeTestDriver = true,
} = {}) {
    if (!install.ready) throw new Error(`code-server ${install.version} is not installed in ${install.cache}; run ${SETUP_SCRIPT}`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hearth-code-server-"));
    userDataDir = path.resolve(userDataDir ?? path.join(tmp, "user-data"));
    extensionsDir = path.resolve(extensionsDir ?? path.join(tmp, "extensions"));
    fs.mkdirSync(extensionsDir, { recursive: true });
    writeUserSettings(userDataDir, settings);
    if (machineSettings) writeUserSettings(userDataDir, machineSettings, "Machine");
    const dirs = {};
    for (const name of ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "TMPDIR"]) {
        dirs[name] = path.join(tmp, name.toLowerCase());
        fs.mkdirSync(dirs[name], { mode: 0o700 });
    }
    const config = path.join(tmp, "config.yaml");
    fs.writeFileSync(config, ""); // else code-server writes ~/.config/code-server/config.yaml with a password
    port = port || (await freePort(host));
    const serverEnv = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && !SERVER_ENV_DROP.test(k)));
    const logFile = path.join(tmp, "code-server.log");
    const logFd = fs.openSync(logFile, "a");
    const args = [
        install.entry,
        "--config",
        config,
        "--bind-addr",
        `${host}:${port}`,
        "--auth",
        "none",
        "--user-data-dir",
        userDataDir,
        "--extensions-dir",
        extensionsDir,
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        "--ignore-last-opened",
        // A built workbench ignores the URL's payload (extensionDevelopmentPath, extensionTestsPath)
        // unless the smoke-test driver is on: without this a test run silently does nothing.
        // The driver also hides notification toasts, so what a person looks at runs without it.
        ...(smokeTestDriver ? ["--vscode-option", "enable-smoke-test-driver"] : []),
        ...extraArgs,
    ];
    // detached: its own session, so a Ctrl+C in the terminal reaches us and not code-server, which would
    // die first and orphan its extension host (an orphan cannot be found by walking down from its PID).
    const child = spawn(install.node, args, { stdio: ["ignore", logFd, logFd], env: { ...serverEnv, ...dirs }, detached: true });
    fs.closeSync(logFd);
    const root = { pid: child.pid, start: child.pid && processTable().get(child.pid)?.start };
    let exited = null;
    const exitedPromise = new Promise((resolve) => {
        child.once("exit", (code, signal) => resolve((exited = signal ?? code)));
        child.once("error", (e) => resolve((exited = e.message)));
    });

    let stopping;
    const handle = {
        url: `http://${host}:${port}`,
        host,
        port,
        pid: child.pid,
        tmp,
        userDataDir,
        logFile,
        /** Settles with code-server's exit code or signal when it ends. */
        exited: exitedPromise,
        /** Kills code-server and every process below it, then deletes the temp dir (copying the log first if asked). */
        stop({ saveLogAs, keepTmp = false } = {}) {
            stopping ??= (async () => {
                if (root.pid) await killTree(root.pid, root.start);
                if (saveLogAs) {
                    fs.mkdirSync(path.dirname(saveLogAs), { recursive: true });
                    fs.copyFileSync(logFile, saveLogAs);
                }
                if (!keepTmp) fs.rmSync(tmp, { recursive: true, force: true });
            })();
            return stopping;
        },
    };
    try {
        const deadline = Date.now() + 60_000;
        for (;;) {
            if (exited !== null) throw new Error(`code-server exited (${exited}) before it answered`);
            try {
                if ((await fetch(`${handle.url}/healthz`)).ok) break;
            } catch {
                // not listening yet
            }
            if (Date.now() > deadline) throw new Error("code-server did not answer within 60 s");
            await new Promise((r) => setTimeout(r, 100));
        }
    } catch (e) {
        const tail = fs.readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n");
        await handle.stop();
        throw new Error(`${e.message}; its log ends:\n${tail}`);
    }
    return handle;
}

/**
 * The workbench URL for a folder (or .code-workspace file) with an extension-development payload,
 * the browser's equivalent of `code --extensionDevelopmentPath=… --extensionTestsPath=… FOLDER`.
 */
export function workbenchUrl(server, { folder, extensionDevelopmentPaths = [], extensionTestsPath, disableExtensions = false } = {}) {
    const remote = (p) => `vscode-remote://${server.host}:${server.port}${path.resolve(p).split(path.sep).map(encodeURIComponent).join("/")}`;
    const payload = extensionDevelopmentPaths.map((p) => ["extensionDevelopmentPath", remote(p)]);
    if (extensionTestsPath) payload.push(["extensionTestsPath", remote(extensionTestsPath)]);
    if (disableExtensions) payload.push(["disableExtensions", "true"]);
    payload.push(["skipWelcome", "true"], ["skipReleaseNotes", "true"]);
    const where = !folder ? "ew=true" : `${folder.endsWith(".code-workspace") ? "workspace" : "folder"}=${encodeURIComponent(path.resolve(folder))}`;
    return `${server.url}/?${where}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * pid -> { ppid, sid, start, zombie } for every process; `start` tells a process from a later one
 * with the same PID (on Linux: clock ticks since boot; `sid` is undefined without /proc).
 */
export function processTable() {
    const table = new Map();
    if (fs.existsSync("/proc/self/stat")) {
        for (const name of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(name)) continue;
            let stat;
            try {
                stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
            } catch {
                continue; // gone meanwhile
            }
            // fields after "(comm)": state ppid pgrp session ... starttime is field 22
            const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            table.set(Number(name), { ppid: Number(f[1]), sid: Number(f[3]), start: f[19], zombie: f[0] === "Z" });
        }
    } else {
        const r = spawnSync("ps", ["-A", "-o", "pid=,ppid=,stat=,lstart="], { encoding: "utf8" });
        for (const line of (r.stdout || "").split("\n")) {
            const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*\S)/.exec(line);
            if (m) table.set(Number(m[1]), { ppid: Number(m[2]), start: m[4], zombie: m[3].startsWith("Z") });
        }
    }
    return table;
}

/**
 * Ends a process and all its descendants by PID: SIGTERM to the whole tree, then SIGKILL to whatever
 * is left after `graceMs`. Descendants are collected before anything is signalled and again while
 * waiting (new children of live members are added). A process that lost its parent link (orphaned)
 * is still found when it stayed in the session of a root started with `detached: true`. A PID whose
 * start time changed (reused) is left alone.
 */
export async function killTree(rootPid, rootStart, graceMs = 3000) {
    const members = new Map(); // pid -> start time
    const refresh = () => {
        const table = processTable();
        const root = table.get(rootPid);
        if (root && !root.zombie && (rootStart === undefined || root.start === rootStart)) members.set(rootPid, root.start);
        if (rootStart !== undefined && /^\d+$/.test(rootStart)) {
            // the root's session (its PID is the session id): started no earlier than the root
            for (const [pid, p] of table) {
                if (p.sid === rootPid && !p.zombie && Number(p.start) >= Number(rootStart)) members.set(pid, p.start);
            }
        }
        for (const [pid, start] of members) {
            const p = table.get(pid);
            if (!p || p.zombie || p.start !== start) members.delete(pid);
        }
        for (let grew = true; grew; ) {
            grew = false;
            for (const [pid, p] of table) {
                if (!members.has(pid) && !p.zombie && members.has(p.ppid)) {
                    members.set(pid, p.start);
                    grew = true;
                }
            }
        }
    };
    const signal = (sig) => {
        for (const pid of members.keys()) {
            try {
                process.kill(pid, sig);
            } catch {
                // already gone
            }
        }
    };
    refresh();
    signal("SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        refresh();
        if (members.size === 0) return;
    }
    signal("SIGKILL");
    for (let i = 0; i < 20 && members.size > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        refresh();
        signal("SIGKILL");
    }
}

/**
 * Installs an extension folder into an extensions dir as a link (as `code --install-extension`
 * would, without packaging it), so that a workbench run without the smoke-test driver loads it.
 * Reads publisher, name and version from its package.json.
 */
export function linkExtension(extensionsDir, extensionPath) {
    const manifest = JSON.parse(fs.readFileSync(path.join(extensionPath, "package.json"), "utf8"));
    const link = path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
    fs.mkdirSync(extensionsDir, { recursive: true });
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(extensionPath, link, "dir");
    return link;
}
