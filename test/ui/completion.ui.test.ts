import assert from "node:assert/strict";
import type { Locator, Page } from "playwright-core";
import { useUiSuite } from "./workbench";

/** The editor renders spaces as no-break spaces. */
const plain = (text: string): string => text.replace(/\u00a0/g, " ");

/** Opens src/inventory.ts from the explorer, as a person would, and starts a new line after `line.quantity += quantity;`. */
async function newLineInInventory(page: Page): Promise<Locator> {
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "src" }).first().click();
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "inventory.ts" }).dblclick();
    const editor = page.locator(".part.editor .monaco-editor").first();
    await editor.locator(".view-lines").waitFor();
    await editor.locator(".view-line", { hasText: "line.quantity += quantity;" }).click();
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    return editor;
}

describe("UI: ghost text as a user sees it", () => {
    const suite = useUiSuite();

    it("typing in a file shows ghost text from the model; Tab puts it in the document", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.tiny });
        const { page } = workbench;
        await workbench.engineReady();

        const editor = await newLineInInventory(page);
        await page.keyboard.type("const total = ", { delay: 60 });

        const ghost = editor.locator(".ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text").first();
        await ghost.waitFor({ timeout: 30_000 });
        const ghostText = plain(await ghost.innerText());
        assert.ok(ghostText.trim().length > 0, "ghost text is shown");
        assert.doesNotMatch(ghostText, /<\|fim_|<\|endoftext\|>/);
        await workbench.screenshot("completion-ghost-text");

        await page.keyboard.press("Tab");
        const line = editor.locator(".view-line", { hasText: "const total = " }).first();
        await editor
            .locator(".ghost-text-decoration")
            .first()
            .waitFor({ state: "detached", timeout: 10_000 })
            .catch(() => undefined);
        const accepted = plain(await line.innerText());
        const firstLine = ghostText.split("\n")[0] ?? "";
        assert.ok(
            accepted.includes(`const total = ${firstLine}`.trimEnd()),
            `the line after Tab: ${JSON.stringify(accepted)}; ghost was ${JSON.stringify(ghostText)}`,
        );
        await workbench.screenshot("completion-accepted");
    });

    it("typing a call whose quote and paren the editor closed: the ghost text fills the call, Tab leaves one quote and one paren", async () => {
        // A model whose real weights always write `", obj);` (test/fixtures/gguf: writeScriptedModel).
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.scriptedCall });
        const { page } = workbench;
        await workbench.engineReady("Hearth scripted model");

        const editor = await newLineInInventory(page);
        // VS Code closes the paren and the quote as they are typed: the line reads `console.log("Obj: ")`.
        await page.keyboard.type('console.log("Obj: ', { delay: 60 });
        const line = editor.locator(".view-line", { hasText: "console.log(" }).first();

        const ghost = editor.locator(".ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text").first();
        await ghost.waitFor({ timeout: 30_000 });
        await workbench.screenshot("completion-replace-range");

        await page.keyboard.press("Tab");
        const wanted = 'console.log("Obj: ", obj);';
        const deadline = Date.now() + 10_000;
        let text = plain(await line.innerText());
        while (text.trim() !== wanted && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            text = plain(await line.innerText());
        }
        assert.equal(text.trim(), wanted, "no stray quote, no doubled paren");
        await workbench.screenshot("completion-replace-range-accepted");
    });
});
