import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureFixtures, type FixturePaths } from "../fixtures/gguf";
import { openWorkbench, type Workbench } from "./workbench";

/** The editor renders spaces as no-break spaces. */
const plain = (text: string): string => text.replace(/\u00a0/g, " ");

describe("UI: ghost text as a user sees it", () => {
    const fixtureDir = mkdtempSync(join(tmpdir(), "hearth-ui-fixtures-"));
    let fixtures: FixturePaths;
    let workbench: Workbench | undefined;

    before(async () => {
        fixtures = await ensureFixtures(fixtureDir);
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed") await workbench?.screenshot(`ui-failed-${this.currentTest.title.replace(/\W+/g, "-")}`);
        await workbench?.close();
        workbench = undefined;
    });

    after(() => rmSync(fixtureDir, { recursive: true, force: true }));

    it("typing in a file shows ghost text from the model; Tab puts it in the document", async () => {
        workbench = await openWorkbench({ "hearth.model": fixtures.tiny });
        const { page } = workbench;
        await page.locator(".statusbar-item", { hasText: "· CPU" }).waitFor({ timeout: 60_000 });

        // Open src/inventory.ts from the explorer, as a person would.
        await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "src" }).first().click();
        await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "inventory.ts" }).dblclick();
        const editor = page.locator(".part.editor .monaco-editor").first();
        await editor.locator(".view-lines").waitFor();
        await editor.locator(".view-line", { hasText: "line.quantity += quantity;" }).click();
        await page.keyboard.press("End");
        await page.keyboard.press("Enter");
        await page.keyboard.type("const total = ", { delay: 60 });

        const ghost = editor.locator(".ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text").first();
        await ghost.waitFor({ timeout: 30_000 });
        const ghostText = plain(await ghost.innerText());
        assert.ok(ghostText.trim().length > 0, "ghost text is shown");
        assert.doesNotMatch(ghostText, /<\|fim_|<\|endoftext\|>/);
        await workbench.screenshot("completion-ghost-text");

        await page.keyboard.press("Tab");
        const line = editor.locator(".view-line", { hasText: "const total = " }).first();
        await editor.locator(".ghost-text-decoration").first().waitFor({ state: "detached", timeout: 10_000 }).catch(() => undefined);
        const accepted = plain(await line.innerText());
        const firstLine = ghostText.split("\n")[0] ?? "";
        assert.ok(accepted.includes(`const total = ${firstLine}`.trimEnd()), `the line after Tab: ${JSON.stringify(accepted)}; ghost was ${JSON.stringify(ghostText)}`);
        await workbench.screenshot("completion-accepted");
    });
});
