// Lint enforces the architecture: each runtime folder imports only what it may.
import tseslint from "typescript-eslint";

const restrict = (patterns, paths = []) => ["error", { patterns, paths }];

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
        files: ["src/protocol/**/*.ts"],
        rules: { "no-restricted-imports": restrict([{ regex: "^(?!vscode-jsonrpc$|\\./)", message: "src/protocol holds contracts only: it may import vscode-jsonrpc and its own files, nothing else." }]) },
    },
    {
        files: ["src/sidecar/**/*.ts"],
        rules: {
            "no-console": "error",
            "no-restricted-imports": restrict(
                [
                    { group: ["vscode"], message: "The sidecar never imports vscode: it runs in its own Node process." },
                    { group: ["**/extension/**", "**/webview/**"], message: "The sidecar may import src/protocol only." },
                ],
            ),
        },
    },
    {
        files: ["src/extension/**/*.ts"],
        rules: {
            "no-console": "error",
            "no-restricted-imports": restrict([
                { group: ["node-llama-cpp", "node-llama-cpp/*"], message: "The extension never imports node-llama-cpp: model work belongs to the sidecar." },
                { group: ["**/sidecar/**", "**/webview/**"], message: "The extension talks to the sidecar through src/protocol only." },
            ]),
        },
    },
    {
        files: ["src/extension/engine/**/*.ts", "src/extension/models/**/*.ts"],
        rules: {
            "no-restricted-imports": restrict([
                { group: ["vscode"], message: "src/extension/engine and src/extension/models are plain Node so their tests run outside VS Code." },
                { group: ["node-llama-cpp", "node-llama-cpp/*"], message: "The extension never imports node-llama-cpp." },
                { group: ["**/sidecar/**", "**/webview/**"], message: "The extension talks to the sidecar through src/protocol only." },
            ]),
        },
    },
    {
        files: ["src/webview/**/*.ts"],
        rules: {
            "no-restricted-imports": restrict([
                { group: ["vscode", "node:*", "node-llama-cpp", "**/extension/**", "**/sidecar/**"], message: "The webview runs in a browser: it may import src/protocol only." },
            ]),
        },
    },
);
