# Versions of the stand-in VS Code that test/vscode/setup.sh installs into $HEARTH_TEST_CACHE.
# Read by setup.sh, code-server-as-vscode and codeServer.mjs (plain KEY=VALUE lines only).
# code-server 4.139.1 is VS Code 1.139.1 and needs Node 24.
NODE_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
