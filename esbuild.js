// Builds Hearth's bundles: `node esbuild.js [--watch] [--production]`.
// - extension: CommonJS for VS Code's extension host (`vscode` is provided by the host)
// - sidecar:   ESM for the forked model process (node-llama-cpp stays a real dependency: native binaries)
// - webview:   a browser bundle for the chat view, built once src/webview/main.ts exists
const esbuild = require("esbuild");
const fs = require("node:fs");
const path = require("node:path");

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
    {
        entryPoints: ["src/extension/extension.ts"],
        outfile: "dist/extension.js",
        platform: "node",
        format: "cjs",
        target: "node20",
        external: ["vscode"],
    },
    {
        entryPoints: ["src/sidecar/main.ts"],
        outfile: "dist/sidecar.mjs",
        platform: "node",
        format: "esm",
        target: "node20",
        external: ["node-llama-cpp"],
        // Bundled CommonJS dependencies (vscode-jsonrpc) call require() for Node built-ins.
        banner: { js: 'import { createRequire as __hearthCreateRequire } from "node:module"; const require = __hearthCreateRequire(import.meta.url);' },
    },
    {
        entryPoints: ["src/webview/main.ts"],
        outfile: "dist/webview.js",
        platform: "browser",
        format: "iife",
        target: "es2022",
    },
].filter((options) => options.entryPoints.every((entry) => fs.existsSync(path.join(__dirname, entry))));

/** Reports problems in the format of VS Code's `$esbuild-watch` problem matcher. */
const problemMatcherPlugin = {
    name: "problem-matcher",
    setup(build) {
        build.onStart(() => console.log("[watch] build started"));
        build.onEnd((result) => {
            for (const { text, location } of result.errors) {
                console.error(`✘ [ERROR] ${text}`);
                if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
            }
            console.log("[watch] build finished");
        });
    },
};

/** Files the webview loads as they are: codicons' font and stylesheet. */
function copyAssets() {
    const from = path.join(__dirname, "node_modules", "@vscode", "codicons", "dist");
    const to = path.join(__dirname, "dist", "codicons");
    fs.mkdirSync(to, { recursive: true });
    for (const file of ["codicon.css", "codicon.ttf"]) fs.copyFileSync(path.join(from, file), path.join(to, file));
}

async function main() {
    copyAssets();
    const contexts = await Promise.all(
        targets.map((options) =>
            esbuild.context({
                bundle: true,
                minify: production,
                sourcemap: !production,
                sourcesContent: false,
                logLevel: "warning",
                plugins: [problemMatcherPlugin],
                ...options,
            }),
        ),
    );
    if (watch) {
        await Promise.all(contexts.map((context) => context.watch()));
        return;
    }
    await Promise.all(contexts.map((context) => context.rebuild()));
    await Promise.all(contexts.map((context) => context.dispose()));
}

main().catch((error) => {
    console.error(error);
    process.exit(1);
});
