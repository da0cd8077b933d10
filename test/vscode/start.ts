// `npm start`: try Hearth by hand. Opens a VS Code with the extension under development loaded, the
// sample workspace open and hearth.model set to a small demo model (random weights: it answers
// nonsense, quickly), in a throwaway profile under .vscode-test/start/.
//
// A desktop VS Code when one can be had (downloaded into .vscode-test/); else code-server, whose URL
// is printed for you to open in a browser. Set HEARTH_MODEL=/path/to/model.gguf to use a real model.
// Runs until VS Code is closed or Ctrl+C, then stops everything it started.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeTinyModel } from "../fixtures/gguf/models";
import { desktopVSCode, loadCodeServer, repoRoot, sampleWorkspace, vscodeTestDir, type CodeServerModule } from "./vscodeChoice";

const log = (message: string): void => console.log(`[hearth start] ${message}`);

/** The model to configure: $HEARTH_MODEL, else .hearth-demo/demo.gguf (written on first use). */
async function chooseModel(): Promise<string> {
    const own = process.env.HEARTH_MODEL;
    if (own) {
        log(`model: ${path.resolve(own)} (from HEARTH_MODEL)`);
        return path.resolve(own);
    }
    const demo = path.join(repoRoot, ".hearth-demo", "demo.gguf");
    if (!fs.existsSync(demo)) {
        fs.mkdirSync(path.dirname(demo), { recursive: true });
        const partial = `${demo}.${process.pid}.tmp`;
        await writeTinyModel(partial, { demo: true });
        fs.renameSync(partial, demo);
    }
    log(`model: ${path.relative(process.cwd(), demo)}, a tiny demo model with random weights (set HEARTH_MODEL to use a real one)`);
    return demo;
}

interface Profile {
    readonly userDataDir: string;
    readonly extensionsDir: string;
    readonly workspace: string;
    /** Hearth's settings for the session. */
    readonly settings: Record<string, unknown>;
}

/** Settles on Ctrl+C (or SIGTERM/SIGHUP); listening from the start, so no signal kills us before cleanup. */
const interrupted = new Promise<string>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => resolve(signal));
});

async function runDesktop(cs: CodeServerModule, executable: string, profile: Profile): Promise<void> {
    log(`VS Code: desktop VS Code ${executable}`);
    cs.writeUserSettings(profile.userDataDir, profile.settings);
    const child = spawn(
        executable,
        [
            `--extensionDevelopmentPath=${repoRoot}`,
            `--user-data-dir=${profile.userDataDir}`,
            `--extensions-dir=${profile.extensionsDir}`,
            "--skip-welcome",
            "--skip-release-notes",
            "--disable-workspace-trust",
            profile.workspace,
        ],
        { stdio: "inherit" },
    );
    const closed = new Promise<string>((resolve) => child.once("exit", (code, signal) => resolve(`VS Code exited (${signal ?? code})`)));
    log(`${await Promise.race([closed, interrupted])}: stopping`);
    if (child.pid !== undefined) await cs.killTree(child.pid);
}

async function runCodeServer(cs: CodeServerModule, profile: Profile): Promise<void> {
    // You open VS Code in your own browser: no Chromium needed.
    const install = cs.ensureCodeServer(log, { browser: false });
    const port = Number(process.env.HEARTH_PORT) || undefined;
    // Hearth is linked into the extensions folder rather than passed in the URL payload: the payload
    // needs the smoke-test driver, which hides notification toasts, and those are part of what you try.
    cs.linkExtension(profile.extensionsDir, repoRoot);
    const server = await cs.startCodeServer({
        install,
        port,
        userDataDir: profile.userDataDir,
        extensionsDir: profile.extensionsDir,
        machineSettings: profile.settings, // hearth.model is machine-overridable: the remote side owns it
        smokeTestDriver: false,
    });
    try {
        const url = cs.workbenchUrl(server, { folder: profile.workspace });
        log(`VS Code: code-server ${install.version} (VS Code OSS in your browser), pid ${server.pid}, log ${server.logFile}`);
        console.log(`\n    Open this URL in a browser (on another machine: ssh -L ${server.port}:127.0.0.1:${server.port} first):\n\n    ${url}\n`);
        log("after `npm run build`, run 'Developer: Reload Window' in VS Code to load the new build. Ctrl+C stops.");
        const ended = server.exited.then((how) => `code-server exited (${how}); see its log above`);
        log(`${await Promise.race([ended, interrupted])}: stopping`);
    } finally {
        await server.stop();
    }
}

async function main(): Promise<void> {
    const model = await chooseModel();
    const root = path.join(vscodeTestDir, "start");
    fs.rmSync(root, { recursive: true, force: true });
    const profile: Profile = {
        userDataDir: path.join(root, "user-data"),
        extensionsDir: path.join(root, "extensions"),
        workspace: path.join(root, "sample-workspace"),
        settings: { "hearth.completions.model": model },
    };
    fs.cpSync(sampleWorkspace, profile.workspace, { recursive: true });
    const cs = await loadCodeServer();
    const desktop = await desktopVSCode(log);
    if (desktop) await runDesktop(cs, desktop, profile);
    else await runCodeServer(cs, profile);
}

main().then(
    () => process.exit(0),
    (e: unknown) => {
        console.error("[hearth start] failed:", e);
        process.exit(1);
    },
);
