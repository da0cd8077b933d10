// Lint enforces the architecture: each folder imports only what it may (by path, with
// eslint-plugin-boundaries), and each runtime only the packages it may (no-restricted-imports).
import boundaries from "eslint-plugin-boundaries";
import tseslint from "typescript-eslint";

const restrict = (patterns, paths = []) => ["error", { patterns, paths }];

/**
 * The folders of src, as elements: the first pattern a file matches names its element. README's
 * contributor map says what each holds.
 */
const elements = [
    ["common", "src/common/**"], // pure helpers any runtime may use (units)
    ["protocol", "src/protocol/**"], // the typed contracts between the three runtimes
    ["sidecar", "src/sidecar/**"], // the model process (node-llama-cpp)
    ["webview", "src/webview/**"], // the chat view's browser code
    ["extension", "src/extension/*.ts"], // activate, the context that owns lifetimes, the exported API
    ["core", "src/extension/core/**"], // what every feature is given (log, services)
    ["settingDefaults", "src/extension/settings/settingDefaults.ts"], // package.json's defaults, plain Node
    ["settings", "src/extension/settings/**"], // the one reader of Hearth's settings
    ["engine", "src/extension/engine/**"], // the sidecar's process and client, its states and errors (plain Node)
    ["models", "src/extension/models/**"], // the models catalog, store and downloads (plain Node)
    ["modelSetup", "src/extension/modelSetup/**"], // feature: choosing, downloading and managing models
    ["status", "src/extension/status/**"], // feature: the engine's status bar, notices, menu and restart
    ["completion", "src/extension/completion/**"], // feature: ghost text
    ["chat", "src/extension/chat/**"], // feature: the chat view
    ["edits", "src/extension/edits/**"], // proposed edits that chat and actions share
    ["actions", "src/extension/actions/**"], // feature: commands on selected code
].map(([type, pattern]) => ({ type, pattern, mode: "full" }));

/** Which element may import which (its own files always): everything else is an error. */
const allowedImports = {
    common: [],
    protocol: [],
    sidecar: ["protocol", "common"],
    webview: ["protocol", "common"],
    settingDefaults: [],
    settings: ["settingDefaults", "engine", "protocol", "common"],
    engine: ["protocol", "common"],
    models: ["settingDefaults", "protocol", "common"],
    core: ["settings", "engine", "protocol", "common"],
    modelSetup: ["core", "settings", "settingDefaults", "engine", "models", "protocol", "common"],
    status: ["modelSetup", "core", "settings", "engine", "protocol", "common"],
    completion: ["core", "settings", "engine", "protocol", "common"],
    edits: ["core", "protocol", "common"],
    chat: ["edits", "core", "settings", "engine", "protocol", "common"],
    actions: ["chat", "edits", "core", "settings", "engine", "protocol", "common"],
    extension: ["core", "settings", "engine", "models", "modelSetup", "status", "completion", "chat", "edits", "actions", "protocol", "common"],
};

export default tseslint.config(
    { ignores: ["dist/**", "out/**", "node_modules/**", ".vscode-test/**", "test/fixtures/sample-workspace/**", "**/*.mjs", "esbuild.js"] },
    {
        files: ["src/**/*.ts", "test/**/*.ts"],
        extends: [tseslint.configs.recommendedTypeChecked],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            "@typescript-eslint/no-floating-promises": "error",
            "@typescript-eslint/no-misused-promises": "error",
            "@typescript-eslint/no-namespace": "off", // protocol messages are namespaces, as in vscode-languageserver
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
            eqeqeq: "error",
        },
    },
    {
        files: ["src/**/*.ts"],
        plugins: { boundaries },
        settings: {
            "boundaries/elements": elements,
            "boundaries/include": ["src/**/*.ts"],
            "import/resolver": { typescript: { project: ["tsconfig.json", "src/webview/tsconfig.json"], noWarnOnMultipleProjects: true } },
        },
        rules: {
            "boundaries/element-types": [
                "error",
                {
                    default: "disallow",
                    message: "${file.type} may not import ${dependency.type}: see allowedImports in eslint.config.mjs and the map in README.md",
                    rules: Object.entries(allowedImports).map(([from, allow]) => ({ from, allow: [from, ...allow] })),
                },
            ],
            "boundaries/no-unknown-files": "error",
        },
    },
    {
        files: ["src/protocol/**/*.ts"],
        rules: {
            "no-restricted-imports": restrict([
                {
                    regex: "^(?!vscode-jsonrpc$|\\./)",
                    message: "src/protocol holds contracts only: it may import vscode-jsonrpc and its own files, nothing else.",
                },
            ]),
        },
    },
    {
        files: ["src/sidecar/**/*.ts"],
        rules: {
            "no-console": "error",
            "no-restricted-imports": restrict([{ group: ["vscode"], message: "The sidecar never imports vscode: it runs in its own Node process." }]),
        },
    },
    {
        files: ["src/extension/**/*.ts"],
        rules: {
            "no-console": "error",
            "no-restricted-imports": restrict([
                { group: ["node-llama-cpp", "node-llama-cpp/*"], message: "The extension never imports node-llama-cpp: model work belongs to the sidecar." },
            ]),
        },
    },
    {
        files: ["src/extension/engine/**/*.ts", "src/extension/models/**/*.ts", "src/extension/settings/settingDefaults.ts", "src/common/**/*.ts"],
        rules: {
            "no-restricted-imports": restrict([
                {
                    group: ["vscode"],
                    message: "src/common, src/extension/engine, src/extension/models and settingDefaults.ts are plain Node so their tests run outside VS Code.",
                },
                { group: ["node-llama-cpp", "node-llama-cpp/*"], message: "The extension never imports node-llama-cpp." },
            ]),
        },
    },
    {
        files: ["src/webview/**/*.ts"],
        rules: {
            "no-restricted-imports": restrict([
                { group: ["vscode", "node:*", "node-llama-cpp"], message: "The webview runs in a browser: no VS Code API, no Node, no model." },
            ]),
        },
    },
);
