// Which VS Code runs the integration tests and `npm start`: a downloaded desktop VS Code where one
// can be had, else code-server (VS Code OSS served to a browser) installed by test/vscode/setup.sh.
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { downloadAndUnzipVSCode } from "@vscode/test-electron";
import type * as codeServer from "./codeServer.mjs" with { "resolution-mode": "import" };

export const repoRoot = path.resolve(__dirname, "..", "..", "..");
/** Git-ignored home of downloaded VS Codes and throwaway profiles. */
export const vscodeTestDir = path.join(repoRoot, ".vscode-test");
export const sampleWorkspace = path.join(repoRoot, "test", "fixtures", "sample-workspace");

export type CodeServerModule = typeof codeServer;

/** The shared code-server start/stop logic (an ES module, also used by the test harness). */
export async function loadCodeServer(): Promise<CodeServerModule> {
    return (await import(pathToFileURL(path.join(repoRoot, "test", "vscode", "codeServer.mjs")).href)) as CodeServerModule;
}

/** Why a desktop VS Code is not worth trying here, or undefined to try one. */
function reasonNotToDownload(): string | undefined {
    if (process.env.HEARTH_VSCODE === "code-server") return "HEARTH_VSCODE=code-server";
    if (process.env.CI === "true") return "CI=true (CI machines cannot download it)";
    if (process.platform === "linux" && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
        return "no display to show it on (DISPLAY is not set)";
    }
    return undefined;
}

/**
 * The executable of a desktop VS Code, downloaded into .vscode-test/ on first use, or undefined
 * when none can be had (offline: the download fails within a second on a DNS error).
 */
export async function desktopVSCode(log: (message: string) => void): Promise<string | undefined> {
    const skip = reasonNotToDownload();
    if (skip) {
        log(`not trying a desktop VS Code: ${skip}`);
        return undefined;
    }
    try {
        return await downloadAndUnzipVSCode({ cachePath: vscodeTestDir, extensionDevelopmentPath: repoRoot, timeout: 10_000 });
    } catch (e) {
        log(`no desktop VS Code: the download failed (${e instanceof Error ? e.message : String(e)})`);
        return undefined;
    }
}
