// test/vscode/setup.sh as a new contributor meets it: what it says when everything is there, and
// what it says when a step cannot be done. The system commands it calls (dpkg-query, apt-get, id,
// sudo, npm, uname) are replaced by small scripts on PATH that answer as such a machine would; the script
// itself runs unchanged.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const root = join(__dirname, "../../..");
const script = join(root, "test", "vscode", "setup.sh");
const versions = Object.fromEntries(
    [...readFileSync(join(root, "test", "vscode", "versions.sh"), "utf8").matchAll(/^([A-Z_]+)=(\S+)/gm)].map((m) => [m[1], m[2]]),
);

interface Machine {
    /** Debian packages dpkg reports as installed. */
    readonly installed: readonly string[];
    readonly uid: number;
    /** What the fake npm does: print, take its time, and exit with this code; it writes its environment to npm-env.txt. */
    readonly npm?: { readonly output: string; readonly exitCode: number; readonly seconds?: number };
}

describe("test/vscode/setup.sh: what a new contributor reads", function () {
    // It runs the real script, a few seconds a case.
    this.timeout(30_000);
    let work: string;
    beforeEach(() => {
        work = mkdtempSync(join(tmpdir(), "hearth-setup-test-"));
    });
    afterEach(() => rmSync(work, { recursive: true, force: true }));

    /** A PATH of stand-ins for the system commands, then the real basics (bash, tail, sed…). */
    function machine({ installed, uid, npm }: Machine): string {
        const bin = join(work, "bin");
        mkdirSync(bin, { recursive: true });
        const stub = (name: string, body: string): void => {
            writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
            chmodSync(join(bin, name), 0o755);
        };
        // dpkg-query -W -f='${Status}' PACKAGE: installed, or removed with its config files left (as after apt-get remove).
        stub("dpkg-query", `case " ${installed.join(" ")} " in *" $3 "*) printf 'install ok installed' ;; *) printf 'deinstall ok config-files' ;; esac`);
        stub("apt-get", 'echo "apt-get must not run here" >&2; exit 99');
        stub("id", `[ "$1" = "-u" ] && echo ${uid} || /usr/bin/id "$@"`);
        stub("sudo", 'echo "sudo: a password is required" >&2; exit 1');
        stub(
            "npm",
            npm !== undefined
                ? `env > "${join(work, "npm-env.txt")}"; [ "$3" = --prefix ] && mkdir -p "$4"; echo "${npm.output}"; sleep ${npm.seconds ?? 0}; exit ${npm.exitCode}`
                : 'echo "npm must not run here" >&2; exit 99',
        );
        // Linux on x64, whatever machine runs the tests.
        stub("uname", 'case "$1" in -m) echo x86_64 ;; *) echo Linux ;; esac');
        return `${bin}:/usr/bin:/bin`;
    }

    /** A cache that already holds Node 24 and a finished code-server install, as a first run leaves it. */
    function installedCache(): string {
        const cache = join(work, "cache");
        const node = join(cache, `node-${versions.NODE_VERSION}`, "bin");
        mkdirSync(node, { recursive: true });
        // A stand-in Node that answers --version and runs code-server's entry (which prints its version).
        writeFileSync(
            join(node, "node"),
            `#!/bin/sh\n[ "$1" = "--version" ] && { echo v${versions.NODE_VERSION}; exit 0; }\necho "${versions.CODE_SERVER_VERSION} abc with Code 1.139.1"\n`,
        );
        chmodSync(join(node, "node"), 0o755);
        const codeServer = join(cache, `code-server-${versions.CODE_SERVER_VERSION}`);
        mkdirSync(join(codeServer, "lib", "node_modules", "code-server", "out", "node"), { recursive: true });
        writeFileSync(join(codeServer, ".hearth-complete"), "");
        // llama-server where test/servers/build-llama-server.sh caches it (a stand-in: it is never run here).
        const info = JSON.parse(readFileSync(join(root, "node_modules", "node-llama-cpp", "llama", "llama.cpp.info.json"), "utf8")) as { tag: string };
        const server = join(cache, `llama-server-${info.tag}`, "bin", "llama-server");
        mkdirSync(dirname(server), { recursive: true });
        writeFileSync(server, "#!/bin/sh\n");
        chmodSync(server, 0o755);
        return cache;
    }

    /** Runs setup.sh as `npm run` would: with npm's variables about itself and the user's npm settings. */
    function run(path: string, cache: string, args: readonly string[] = [], env: Record<string, string> = {}): { status: number | null; out: string } {
        const fromNpmRun = {
            npm_config_user_agent: "npm/11.0.0 node/v20.0.0 linux x64",
            npm_lifecycle_event: "pretest",
            npm_package_name: "hearth",
            npm_config_registry: "https://registry.example/",
        };
        const result = spawnSync("bash", [script, ...args], {
            env: { PATH: path, HOME: work, HEARTH_TEST_CACHE: cache, ...fromNpmRun, ...env },
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 60_000,
        });
        return { status: result.status, out: `${result.stdout}${result.stderr}` };
    }

    it("a second run finds everything in place, says so for each step, and installs nothing", () => {
        const cache = installedCache();
        const all = ["chromium", "libkrb5-dev", "pkg-config", "build-essential", "python3"];
        const { status, out } = run(machine({ installed: all, uid: 0 }), cache);
        assert.equal(status, 0, out);
        assert.match(out, /\[1\/3\] Debian packages: already installed/);
        assert.match(out, new RegExp(`\\[2/3\\] Node ${versions.NODE_VERSION}: already installed, reusing ${cache}`));
        assert.match(out, new RegExp(`\\[3/3\\] code-server ${versions.CODE_SERVER_VERSION}: already installed, reusing`));
        assert.match(out, /\[\+\] llama-server: already built, reusing .*llama-server-[^/]+\/bin\/llama-server/);
        assert.match(out, /setup: ready in \d+ s: code-server .*\(VS Code 1\.139\.1\)/);
        assert.doesNotMatch(out, /must not run/);
    });

    it("without root or sudo, stops at the packages step and gives the apt-get command to run", () => {
        const { status, out } = run(machine({ installed: ["python3", "pkg-config"], uid: 1000 }), installedCache());
        assert.equal(status, 1, out);
        assert.match(out, /FAILED at step 'Debian packages'/);
        assert.match(out, /apt-get needs root to install chromium libkrb5-dev build-essential/);
        assert.match(out, /sudo apt-get install -y --no-install-recommends chromium libkrb5-dev build-essential/);
        assert.doesNotMatch(out, /must not run/, "nothing was attempted without the rights for it");
    });

    it("for npm start (--no-browser) Chromium is not asked for", () => {
        const { status, out } = run(machine({ installed: ["libkrb5-dev", "pkg-config", "build-essential", "python3"], uid: 0 }), installedCache(), [
            "--no-browser",
        ]);
        assert.equal(status, 0, out);
        assert.doesNotMatch(out, /chromium/);
    });

    it("a failed download names the step, shows the end of its log and what to do", () => {
        // An empty cache: no llama-server yet, so step 1 also wants its build tools.
        const all = ["chromium", "libkrb5-dev", "pkg-config", "build-essential", "python3", "git", "cmake", "g++", "make"];
        const npm = { output: "npm error code ECONNREFUSED registry.npmjs.org", exitCode: 1 };
        const { status, out } = run(machine({ installed: all, uid: 0, npm }), join(work, "empty-cache"));
        assert.equal(status, 1, out);
        assert.match(out, new RegExp(`FAILED at step 'Node ${versions.NODE_VERSION}'`));
        assert.match(out, /the end of its log .*node\.log/);
        assert.match(out, /npm error code ECONNREFUSED registry\.npmjs\.org/, "the log's tail is shown");
        assert.match(out, /what to do: check that this machine reaches the npm registry/);
    });

    it("installs code-server with an npm that does not inherit the calling npm's identity, reporting progress while it runs", () => {
        const all = ["chromium", "libkrb5-dev", "pkg-config", "build-essential", "python3"];
        const cache = installedCache();
        rmSync(join(cache, `code-server-${versions.CODE_SERVER_VERSION}`), { recursive: true });
        const npm = { output: "added 1 package", exitCode: 0, seconds: 3 };
        const { status, out } = run(machine({ installed: all, uid: 0, npm }), cache, [], { HEARTH_SETUP_HEARTBEAT_S: "1" });
        assert.equal(status, 0, out);
        assert.match(out, /\[3\/3\] code-server .*: installing from the npm registry and compiling its native modules/);
        assert.match(out, /code-server install: [12] s so far \(last: added 1 package\)/, "a heartbeat while it works");
        assert.match(out, /code-server install: done in \d+ s/);
        const npmEnv = readFileSync(join(work, "npm-env.txt"), "utf8");
        // code-server's postinstall reads the Node version from this user agent and refused "node/v20".
        assert.doesNotMatch(npmEnv, /^npm_config_user_agent=/m);
        assert.doesNotMatch(npmEnv, /^npm_lifecycle_event=|^npm_package_name=/m);
        assert.match(npmEnv, /^npm_config_registry=https:\/\/registry\.example\/$/m, "the user's npm settings are kept");
        assert.match(npmEnv, new RegExp(`^npm_config_nodedir=${cache}/node-${versions.NODE_VERSION}$`, "m"), "native modules build against Node 24's headers");
        assert.match(npmEnv, new RegExp(`^PATH=${cache}/node-${versions.NODE_VERSION}/bin:`, "m"), "and run on Node 24");
        // A second run reuses it.
        const again = run(machine({ installed: all, uid: 0 }), cache);
        assert.equal(again.status, 0, again.out);
        assert.match(again.out, /\[3\/3\] code-server .*: already installed, reusing/);
    });

    it("a cache it cannot write to is named, with the way out", () => {
        const { status, out } = run(machine({ installed: [], uid: 0 }), "/dev/null/cache");
        assert.equal(status, 1, out);
        assert.match(out, /FAILED at step 'cache folder'/);
        assert.match(out, /point HEARTH_TEST_CACHE at a folder you can write/);
    });

    it("refuses an argument it does not know", () => {
        const { status, out } = run(machine({ installed: [], uid: 0 }), installedCache(), ["--frobnicate"]);
        assert.equal(status, 2);
        assert.match(out, /unknown argument --frobnicate/);
    });
});
