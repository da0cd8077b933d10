#!/usr/bin/env node
// Builds one platform's VSIX: `npm run package -- --target <target> [--out <dir>]`.
//
// The extension's bundles are platform-neutral, but the sidecar loads node-llama-cpp, which is
// kept out of the bundle (native binaries) and picks a prebuilt llama.cpp binary from one of its
// per-platform @node-llama-cpp/* packages. So each VS Code target gets its own VSIX holding only
// its own binaries. npm installed only this machine's binary packages, so the other targets'
// come from the npm registry (through npm's cache, so a second run works offline), checked
// against package-lock.json's integrity hashes.
//
// Which binaries a target carries. The product promises Metal on Apple Silicon, CUDA or Vulkan
// where present, the CPU otherwise. Added size, compressed, measured on node-llama-cpp 3.21.1
// (the VSIX grows by about as much):
//   darwin-arm64  mac-arm64-metal      4.6 MiB  Metal: the only Apple Silicon build there is
//   darwin-x64    mac-x64             10.3 MiB  CPU: node-llama-cpp has no Metal build for Intel Macs
//   linux-x64     linux-x64           10.1 MiB  CPU
//                 linux-x64-vulkan    26.2 MiB  Vulkan: NVIDIA, AMD and Intel GPUs
//   linux-arm64   linux-arm64          6.9 MiB  CPU (the only linux-arm64 build there is)
//   win32-x64     win-x64              9.3 MiB  CPU
//                 win-x64-vulkan      25.4 MiB  Vulkan
//   win32-arm64   win-arm64            4.4 MiB  CPU (the only win-arm64 build there is)
// Left out: CUDA. linux-x64-cuda (+136 MiB) and win-x64-cuda (+132 MiB) only work with a CUDA
// runtime on the machine, and their "-ext" packages that bring that runtime add another 168 MiB
// and 167 MiB: a 40 MiB extension would become a 340 MiB one (Open VSX refuses uploads over
// 256 MB). Vulkan runs the same NVIDIA GPUs, so "auto" still finds the GPU there; only an
// explicit `hearth.gpu: "cuda"` has no binary and reports so. The CPU packages stay next to
// Vulkan because the Vulkan binary cannot load on a machine without a Vulkan loader.
//
// What else is left out, because nothing reads it at run time (the sidecar calls getLlama with
// build: "never"): node-llama-cpp's llama.cpp source bundle and build files (llama/), its project
// templates and the legacy bins/ notes; every node-llama-cpp file its library entry never imports
// (most of the CLI), and the packages only those files use (cmake-js, yargs, node-addon-api...);
// source maps, type declarations and Windows import libraries in every package. Bundled packages
// (vscode-jsonrpc) are not shipped at all.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gunzipSync } from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** VS Code targets, with the platform npm sees there and the @node-llama-cpp/* packages each carries. */
const targets = {
    "darwin-arm64": { os: "darwin", cpu: "arm64", binaries: ["mac-arm64-metal"] },
    "darwin-x64": { os: "darwin", cpu: "x64", binaries: ["mac-x64"] },
    "linux-x64": { os: "linux", cpu: "x64", libc: "glibc", binaries: ["linux-x64", "linux-x64-vulkan"] },
    "linux-arm64": { os: "linux", cpu: "arm64", libc: "glibc", binaries: ["linux-arm64"] },
    "win32-x64": { os: "win32", cpu: "x64", binaries: ["win-x64", "win-x64-vulkan"] },
    "win32-arm64": { os: "win32", cpu: "arm64", binaries: ["win-arm64"] },
};
const binaryScope = "@node-llama-cpp/";

/** Extension files to stage; .vscodeignore then picks what of them goes into the VSIX. */
const extensionFiles = ["README.md", "LICENSE", ".vscodeignore", "media", "dist"];

/**
 * Packages shipped trimmed to the files their library entry imports, plus the data files
 * they read at run time (found by reading node-llama-cpp's dist/config.js and its users).
 */
const trimmed = {
    "node-llama-cpp": [
        "package.json", // getModuleVersion() reads it; the binary packages must match its version
        "LICENSE",
        "llama/binariesGithubRelease.json", // read when the library is imported: the llama.cpp release of the binaries
        "llama/llama.cpp.info.json", // the llama.cpp tag (read instead of the above only beside a llama.cpp clone)
        "llama/grammars", // LlamaGrammar.getFor() reads these
    ],
};

/** Files no package needs at run time. */
const deadWeight = [/\.map$/, /\.d\.[cm]?ts$/, /\.tsbuildinfo$/, /\.(lib|exp|pdb)$/];

class UsageError extends Error {}

function main() {
    const started = Date.now();
    const { target, outDir } = parseOptions(process.argv.slice(2));
    const platform = targets[target];
    console.log(`Building the production bundles...`);
    run(process.execPath, ["esbuild.js", "--production"], { cwd: root, stdio: "inherit" }, "the production build (node esbuild.js --production) failed");

    const work = fs.mkdtempSync(path.join(os.tmpdir(), `hearth-package-${target}-`));
    try {
        const stage = path.join(work, "extension");
        const manifest = readJson(path.join(root, "package.json"));
        const roots = runtimeDependencies(manifest);
        console.log(`Staging the extension and ${Object.keys(roots).join(", ")} for ${target}...`);
        stageExtension(stage, manifest, roots);
        const shipped = stageNodeModules(stage, roots, platform, path.join(work, "downloads"));
        const vsix = path.join(outDir, `${manifest.name}-${target}-${manifest.version}.vsix`);
        fs.mkdirSync(outDir, { recursive: true });
        runVsce(stage, target, vsix);
        const binaries = shipped.filter((name) => name.startsWith(binaryScope));
        const { size } = fs.statSync(vsix);
        console.log(`Packaged ${vsix}`);
        console.log(
            `  ${target}: ${(size / 2 ** 20).toFixed(1)} MiB, ${zipEntryCount(vsix)} files, ` +
                `llama.cpp binaries: ${binaries.join(", ")} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

function parseOptions(args) {
    const valid = Object.keys(targets).join(", ");
    const usage = `Usage: npm run package -- --target <target> [--out <dir>]\n  targets: ${valid}\n  --out defaults to dist-vsix/`;
    let values;
    try {
        ({ values } = parseArgs({ args, options: { target: { type: "string" }, out: { type: "string" } }, strict: true, allowPositionals: false }));
    } catch (error) {
        throw new UsageError(`${error.message}\n${usage}`);
    }
    if (values.target === undefined) throw new UsageError(`Missing --target: say which platform to package for.\n${usage}`);
    if (!Object.hasOwn(targets, values.target)) throw new UsageError(`Unknown target "${values.target}". Valid targets: ${valid}.\n${usage}`);
    return { target: values.target, outDir: path.resolve(values.out ?? path.join(root, "dist-vsix")) };
}

/**
 * The production dependencies the built bundles still import (the rest were bundled), by
 * package name, with the subpaths they import ("." for the package itself). Read from the
 * bundles, so a dependency that becomes external is shipped without editing this script.
 */
function runtimeDependencies(manifest) {
    const bundles = ["dist/extension.js", "dist/sidecar.mjs"].map((file) => fs.readFileSync(path.join(root, file), "utf8"));
    const specifiers = bundles.flatMap(importedSpecifiers);
    const roots = {};
    for (const name of Object.keys(manifest.dependencies ?? {})) {
        const subpaths = specifiers.filter((specifier) => packageNameOf(specifier) === name).map((specifier) => `.${specifier.slice(name.length)}`);
        if (subpaths.length > 0) roots[name] = [...new Set(subpaths)];
    }
    if (Object.keys(roots).length === 0)
        throw new Error("The bundles import no production dependency: is dist/sidecar.mjs built? (node esbuild.js --production)");
    return roots;
}

/** The extension's own files, and a manifest without what only development needs. */
function stageExtension(stage, manifest, roots) {
    fs.mkdirSync(stage, { recursive: true });
    for (const file of extensionFiles) {
        const from = path.join(root, file);
        if (!fs.existsSync(from)) throw new Error(`${file} is missing: the VSIX needs it.`);
        fs.cpSync(from, path.join(stage, file), { recursive: true, filter: (source) => !isDeadWeight(source) });
    }
    const { devDependencies: _dev, scripts: _scripts, dependencies, ...rest } = manifest;
    // vsce lists the packages to ship with `npm ls --production`: declare exactly the ones staged.
    const shippedDependencies = Object.fromEntries(Object.keys(roots).map((name) => [name, dependencies[name]]));
    writeJson(path.join(stage, "package.json"), { ...rest, dependencies: shippedDependencies });
}

/**
 * Lays out node_modules as package-lock.json has it, with only the packages the bundles need
 * on this platform. Returns the names of the packages shipped.
 */
function stageNodeModules(stage, roots, platform, downloads) {
    const lock = readJson(path.join(root, "package-lock.json")).packages;
    const shipped = new Map(); // lockfile location -> names of the dependencies shipped with it
    const pending = Object.keys(roots).map((name) => ({ from: "", name, optional: false, requiredBy: "package.json" }));
    while (pending.length > 0) {
        const edge = pending.pop();
        const location = resolveLocation(lock, edge.from, edge.name);
        if (location === undefined && !edge.optional) {
            throw new Error(`package-lock.json has no ${edge.name}, which ${edge.requiredBy} needs: run npm install and try again.`);
        }
        if (location === undefined || shipped.has(location) || !belongsOn(edge, lock[location], platform)) continue;
        const entry = lock[location];
        const dependencies = stagePackage(stage, location, edge.name, entry, roots[edge.name] ?? ["."], downloads);
        shipped.set(
            location,
            dependencies.map((dependency) => dependency.name),
        );
        pending.push(...dependencies.map((dependency) => ({ ...dependency, from: location, requiredBy: `${edge.name}@${entry.version}` })));
    }
    for (const location of shipped.keys()) {
        if (trimmed[packageNameAt(location)] !== undefined) declareShippedDependencies(path.join(stage, location, "package.json"), lock, location, shipped);
    }
    const names = [...shipped.keys()].map(packageNameAt).sort();
    const missing = platform.binaries.filter((binary) => !names.includes(binaryScope + binary));
    if (missing.length > 0) {
        throw new Error(
            `node-llama-cpp does not list ${missing.map((binary) => binaryScope + binary).join(", ")} (any more?): update the targets table in scripts/package.mjs.`,
        );
    }
    return names;
}

/** Copies one package into the stage, trimmed when `trimmed` lists it; returns the dependencies it needs. */
function stagePackage(stage, location, name, entry, subpaths, downloads) {
    const source = packageSource(location, name, entry, downloads);
    const keep = trimmed[name];
    const { files, imports } = keep === undefined ? {} : trimToImports(source, keep, subpaths);
    copyPackage(source, path.join(stage, location), files);
    return dependencyEdges(entry).filter((dependency) => imports === undefined || imports.has(dependency.name));
}

/** Where Node would find `name` from the package at `from`, in package-lock.json's layout. */
function resolveLocation(lock, from, name) {
    for (let base = from; ; base = base.includes("/node_modules/") ? base.slice(0, base.lastIndexOf("/node_modules/")) : "") {
        const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
        if (lock[candidate] !== undefined) return candidate;
        if (base === "") return undefined;
    }
}

/** Whether a package goes into this target's VSIX. */
function belongsOn(edge, entry, platform) {
    if (edge.name.startsWith(binaryScope)) return platform.binaries.includes(edge.name.slice(binaryScope.length));
    if (!edge.optional) return true;
    return allows(entry.os, platform.os) && allows(entry.cpu, platform.cpu) && allows(entry.libc, platform.libc);
}

/** npm's reading of a package's os/cpu/libc list: ["linux"], ["!win32"]; no list, or no libc (macOS, Windows), allows all. */
function allows(list, value) {
    if (list === undefined || value === undefined) return true;
    if (list.includes(`!${value}`)) return false;
    return list.includes(value) || list.every((item) => item.startsWith("!"));
}

/** Dependencies a package needs installed: its own and optional ones, and peers it requires. */
function dependencyEdges(entry) {
    const optionalPeer = (name) => entry.peerDependenciesMeta?.[name]?.optional === true;
    return [
        ...Object.keys(entry.dependencies ?? {}).map((name) => ({ name, optional: false })),
        ...Object.keys(entry.optionalDependencies ?? {}).map((name) => ({ name, optional: true })),
        ...Object.keys(entry.peerDependencies ?? {})
            .filter((name) => !optionalPeer(name))
            .map((name) => ({ name, optional: false })),
    ];
}

/**
 * A folder holding the package as package-lock.json pins it: the installed copy when it is that
 * version, otherwise the registry's tarball (through npm's cache), checked against the lockfile.
 */
function packageSource(location, name, entry, downloads) {
    const installed = path.join(root, location);
    const installedManifest = path.join(installed, "package.json");
    if (fs.existsSync(installedManifest) && readJson(installedManifest).version === entry.version) return installed;
    const tarball = downloadTarball(name, entry, downloads);
    const unpacked = path.join(downloads, location);
    extractTarball(tarball, unpacked);
    return unpacked;
}

/** `npm pack`s `name@version` into `downloads` and checks it against the lockfile's integrity. */
function downloadTarball(name, entry, downloads) {
    const spec = `${name}@${entry.version}`;
    fs.mkdirSync(downloads, { recursive: true });
    console.log(`  fetching ${spec}`);
    const result = npm(["pack", spec, "--pack-destination", downloads, "--prefer-offline", "--json", "--loglevel=error"]);
    if (result.status !== 0) throw new Error(fetchFailure(spec, result));
    const [packed] = JSON.parse(result.stdout);
    const tarball = path.join(downloads, packed.filename);
    verifyIntegrity(tarball, entry.integrity, spec);
    return tarball;
}

/** Says why `npm pack` failed, and what to do about it. */
function fetchFailure(spec, result) {
    // With --json, npm reports its error as {"error": {"code", "summary"}} on stdout.
    let error;
    try {
        error = JSON.parse(result.stdout).error;
    } catch {
        error = undefined;
    }
    const npmSays =
        error?.summary ??
        result.error?.message ??
        result.stderr
            ?.split("\n")
            .filter((line) => /npm error/i.test(line))
            .slice(0, 4)
            .join("\n    ");
    const offline = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)$/.test(error?.code ?? "");
    const advice = offline
        ? `The registry (${npmRegistry()}) cannot be reached and npm's cache does not hold this package yet. ` +
          "Connect to the registry once and run this again: later runs find it in npm's cache and work offline."
        : "Check that package-lock.json is current (npm install) and that npm can reach its registry.";
    return `Could not fetch ${spec}, which this target's VSIX needs (npm pack: ${error?.code ?? `exit code ${result.status}`}).\n    ${npmSays}\n${advice}`;
}

function verifyIntegrity(file, integrity, spec) {
    if (integrity === undefined) throw new Error(`package-lock.json has no integrity hash for ${spec}: run npm install to record one.`);
    const data = fs.readFileSync(file);
    const matches = integrity.split(/\s+/).some((hash) => {
        const [algorithm, digest] = [hash.slice(0, hash.indexOf("-")), hash.slice(hash.indexOf("-") + 1)];
        return createHash(algorithm).update(data).digest("base64") === digest;
    });
    if (!matches) throw new Error(`${spec} from the registry does not match package-lock.json's integrity hash: refusing to ship it.`);
}

/** Unpacks an npm tarball (gzipped ustar, files under one top folder) into `dir`. */
function extractTarball(file, dir) {
    const data = gunzipSync(fs.readFileSync(file));
    const text = (start, length) => data.toString("utf8", start, start + length).replace(/\0[\s\S]*$/, "");
    let longName;
    for (let offset = 0; offset + 512 <= data.length && data[offset] !== 0; ) {
        const size = parseInt(text(offset + 124, 12).trim() || "0", 8);
        const type = String.fromCharCode(data[offset + 156]);
        const body = data.subarray(offset + 512, offset + 512 + size);
        const prefix = text(offset + 345, 155);
        const name = longName ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
        const mode = parseInt(text(offset + 100, 8).trim() || "644", 8);
        offset += 512 + Math.ceil(size / 512) * 512;
        longName = undefined;
        if (type === "x") longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
        if (type === "L") longName = body.toString("utf8").replace(/\0[\s\S]*$/, "");
        if (type !== "0" && type !== "\0") continue; // npm tarballs hold plain files; folders are implied
        const relative = name.split("/").slice(1).join("/");
        const target = path.resolve(dir, relative);
        if (!target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`${file} holds a file outside its folder: ${name}`);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, body, { mode: (mode & 0o777) | 0o600 });
    }
}

/**
 * The files of a package that its import graph reaches from the specifiers the bundles use,
 * plus `keep`, and the packages those files import. Reads import/export/require/import()
 * with literal specifiers; the only non-literal ones in node-llama-cpp load its .node binary.
 */
function trimToImports(dir, keep, subpaths) {
    const manifest = readJson(path.join(dir, "package.json"));
    const gone = keep.filter((file) => !fs.existsSync(path.join(dir, file)));
    if (gone.length > 0)
        throw new Error(
            `${manifest.name}@${manifest.version} has no ${gone.join(", ")}: check what it reads at run time now and update \`trimmed\` in scripts/package.mjs.`,
        );
    const files = new Set(keep);
    const imports = new Set();
    const pending = subpaths.map((subpath) => path.join(dir, exportedFile(manifest, subpath)));
    while (pending.length > 0) {
        const file = pending.pop();
        const relative = path.relative(dir, file).split(path.sep).join("/");
        if (files.has(relative)) continue;
        if (!fs.existsSync(file)) throw new Error(`${manifest.name}: ${relative} is imported (or named so in a comment) but missing.`);
        files.add(relative);
        for (const specifier of importedSpecifiers(fs.readFileSync(file, "utf8"))) {
            if (specifier.startsWith(".")) pending.push(path.resolve(path.dirname(file), specifier));
            else if (!isBuiltin(specifier) && packageNameOf(specifier) !== manifest.name) imports.add(packageNameOf(specifier));
        }
    }
    return { files, imports };
}

/** The file a package's `exports` (or `main`) maps a subpath like "." to, for `import`. */
function exportedFile(manifest, key) {
    let target = manifest.exports?.[key] ?? (key === "." ? (manifest.main ?? "index.js") : undefined);
    while (target !== null && typeof target === "object") target = target.import ?? target.node ?? target.default;
    if (typeof target !== "string") throw new Error(`${manifest.name} exports no "${key}" to import.`);
    return target;
}

const importPattern = /\b(?:from\s*|import\s*\(?\s*|require\s*\(\s*)["']([^"'\s]+)["']/g;

function importedSpecifiers(source) {
    return [...source.matchAll(importPattern)].map((match) => match[1]);
}

function isBuiltin(specifier) {
    return specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]);
}

/** "a/b" -> "a", "@s/a/b" -> "@s/a"; "." (and relative paths) -> undefined. */
function packageNameOf(specifier) {
    if (specifier.startsWith(".") || specifier.startsWith("/")) return undefined;
    const parts = specifier.split("/");
    return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function packageNameAt(location) {
    return location.slice(location.lastIndexOf("node_modules/") + "node_modules/".length);
}

/** Copies a package into the stage: `files` only when given, never its nested node_modules or dead weight. */
function copyPackage(source, destination, files) {
    const filter = (file) => {
        const relative = path.relative(source, file).split(path.sep).join("/");
        if (relative === "") return true;
        if (relative.split("/").includes("node_modules") || isDeadWeight(file)) return false;
        if (files === undefined) return true;
        // Keep a folder on the way to a kept file, and everything under a kept folder.
        return [...files].some((kept) => kept === relative || kept.startsWith(`${relative}/`) || relative.startsWith(`${kept}/`));
    };
    fs.cpSync(source, destination, { recursive: true, filter });
}

function isDeadWeight(file) {
    return deadWeight.some((pattern) => pattern.test(file));
}

/**
 * A trimmed package's manifest declares only the dependencies shipped with it: vsce collects
 * the packages to ship with `npm ls --production`, which fails on a declared one that is missing.
 * Nothing reads these fields at run time (node-llama-cpp reads only its version).
 */
function declareShippedDependencies(file, lock, location, shipped) {
    const manifest = readJson(file);
    const kept = new Set(shipped.get(location).filter((name) => shipped.has(resolveLocation(lock, location, name))));
    const only = (dependencies) => dependencies && Object.fromEntries(Object.entries(dependencies).filter(([name]) => kept.has(name)));
    const { scripts: _scripts, devDependencies: _dev, ...rest } = manifest;
    writeJson(file, { ...rest, dependencies: only(manifest.dependencies), optionalDependencies: only(manifest.optionalDependencies) });
}

function runVsce(stage, target, vsix) {
    console.log(`Packaging with vsce...`);
    const vsce = path.join(root, "node_modules", "@vscode", "vsce", "vsce");
    if (!fs.existsSync(vsce)) throw new Error("@vscode/vsce is not installed: run npm install.");
    run(process.execPath, [vsce, "package", "--target", target, "--out", vsix], { cwd: stage, stdio: "inherit" }, "vsce package failed (its output is above)");
}

/** How many entries a zip holds, from its end-of-central-directory record. */
function zipEntryCount(file) {
    const data = fs.readFileSync(file);
    for (let offset = data.length - 22; offset >= Math.max(0, data.length - 22 - 0xffff); offset--) {
        if (data.readUInt32LE(offset) === 0x06054b50) return data.readUInt16LE(offset + 10);
    }
    throw new Error(`${file} is not a zip file.`);
}

function run(command, args, options, failure) {
    const result = spawnSync(command, args, options);
    if (result.status !== 0) throw new Error(`${failure}${result.error ? `: ${result.error.message}` : ""}`);
}

/** Runs npm in the repository, so its .npmrc applies. */
function npm(args) {
    const options = { cwd: root, encoding: "utf8", maxBuffer: 64 * 2 ** 20 };
    // Windows runs npm.cmd only through a shell, which needs the arguments quoted (paths with spaces).
    if (process.platform === "win32") return spawnSync(["npm.cmd", ...args].map((arg) => `"${arg}"`).join(" "), { ...options, shell: true });
    return spawnSync("npm", args, options);
}

function npmRegistry() {
    return npm(["config", "get", "registry"]).stdout?.trim() || "the npm registry";
}

function readJson(file) {
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

function writeJson(file, value) {
    fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

try {
    main();
} catch (error) {
    console.error(`\npackage: ${error.message}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
}
