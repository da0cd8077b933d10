// Types of codeServer.mjs, for the TypeScript that loads it (start.ts, vscodeChoice.ts).

export declare const REPO_ROOT: string;
export declare const SETUP_SCRIPT: string;
export declare const QUIET_SETTINGS: Readonly<Record<string, unknown>>;

export interface CodeServerInstall {
    readonly cache: string;
    /** The Node 24 that runs code-server. */
    readonly node: string;
    readonly entry: string;
    readonly version: string;
    readonly ready: boolean;
}

export declare function codeServerInstall(): CodeServerInstall;
/** $CHROMIUM_PATH, else Debian's Chromium; undefined when there is none. */
export declare const CHROMIUM_ARGS: readonly string[];
export declare function chromiumPath(): string | undefined;
/** Runs setup.sh when code-server (or, with `browser`, the default, Chromium) is missing. */
export declare function ensureCodeServer(log?: (message: string) => void, options?: { browser?: boolean }): CodeServerInstall;
export declare function freePort(host?: string): Promise<number>;
export declare function writeUserSettings(userDataDir: string, settings?: Record<string, unknown>, scope?: "User" | "Machine"): void;

export interface StartOptions {
    install?: CodeServerInstall;
    host?: string;
    port?: number;
    userDataDir?: string;
    extensionsDir?: string;
    settings?: Record<string, unknown>;
    /** Settings of scope machine / machine-overridable: code-server reads them only from here. */
    machineSettings?: Record<string, unknown>;
    env?: NodeJS.ProcessEnv;
    extraArgs?: string[];
    /** On by default: needed for extensionTestsPath; it also hides notification toasts. */
    smokeTestDriver?: boolean;
}

export interface CodeServer {
    readonly url: string;
    readonly host: string;
    readonly port: number;
    readonly pid: number;
    readonly tmp: string;
    readonly userDataDir: string;
    readonly logFile: string;
    /** Settles with code-server's exit code or signal (or a spawn error) when it ends. */
    readonly exited: Promise<number | string>;
    stop(options?: { saveLogAs?: string; keepTmp?: boolean }): Promise<void>;
}

export declare function startCodeServer(options?: StartOptions): Promise<CodeServer>;

export interface WorkbenchOptions {
    folder?: string;
    extensionDevelopmentPaths?: string[];
    extensionTestsPath?: string;
    disableExtensions?: boolean;
}

export declare function workbenchUrl(server: Pick<CodeServer, "url" | "host" | "port">, options?: WorkbenchOptions): string;
export declare function processTable(): Map<number, { ppid: number; sid?: number; start: string; zombie: boolean }>;
export declare function killTree(pid: number, start?: string, graceMs?: number): Promise<void>;
/** Installs an extension folder into an extensions dir as a link; returns the link's path. */
export declare function linkExtension(extensionsDir: string, extensionPath: string): string;
