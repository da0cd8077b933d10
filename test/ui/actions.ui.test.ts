import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { useUiSuite } from "./workbench";

/** The editor renders spaces as no-break spaces. */
const plain = (text: string): string => text.replace(/\u00a0/g, " ");

async function openFormatTs(page: Page): Promise<void> {
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "src" }).first().click();
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "format.ts" }).dblclick();
    await page.locator(".part.editor .monaco-editor .view-lines").first().waitFor();
}

async function acceptProposal(page: Page): Promise<void> {
    const diff = page.locator(".monaco-diff-editor");
    await diff.first().waitFor({ timeout: 60_000 });
    const toast = page.locator(".notification-toast", { hasText: "apply the change shown in the diff" });
    await toast.waitFor({ timeout: 30_000 });
    await toast.locator(".monaco-button", { hasText: "Accept" }).click();
    await diff.first().waitFor({ state: "detached", timeout: 30_000 });
}

describe("UI: commands on selected code, as a user runs them", () => {
    const suite = useUiSuite();

    it("Edit with Instruction from the palette shows a diff; Accept puts it in the file", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.tiny, "hearth.chat.maxTokens": 48 });
        const { page } = workbench;
        await workbench.engineReady();
        await openFormatTs(page);
        const editor = page.locator(".part.editor .monaco-editor").first();
        const firstLine = editor.locator(".view-line", { hasText: "export function formatQuantity" });
        const before = plain(await editor.locator(".view-lines").innerText());
        await firstLine.click();
        await page.keyboard.press("Home");
        for (let i = 0; i < 3; i++) await page.keyboard.press("Shift+ArrowDown");

        await workbench.runCommand("Hearth: Edit with Instruction…");
        // The palette closes and the instruction box opens in the same widget: wait for the box itself.
        const box = page.locator(".quick-input-widget", { hasText: "How should the selected code change?" });
        await box.waitFor({ state: "visible", timeout: 30_000 });
        await box.locator("input").fill("Rename the parameter to count");
        await box.locator("input").press("Enter");
        await page.locator(".monaco-diff-editor").first().waitFor({ timeout: 60_000 });
        await workbench.screenshot("edit-diff");
        await acceptProposal(page);

        const after = plain(await page.locator(".part.editor .monaco-editor .view-lines").first().innerText());
        assert.notEqual(after, before, "the accepted edit is in the file");
        assert.ok(after.includes("export function formatPrice"), "the code outside the selection is still there");
        await workbench.screenshot("edit-accepted");
    });

    it("Fix with Hearth from the light bulb on a TypeScript error", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.tiny, "hearth.chat.maxTokens": 48 });
        const { page } = workbench;
        await workbench.engineReady();
        await openFormatTs(page);
        const editor = page.locator(".part.editor .monaco-editor").first();
        await editor.locator(".view-line", { hasText: "export function formatQuantity" }).click();
        await page.keyboard.press("Control+End");
        await page.keyboard.type('\nexport const broken: number = "text";\n');
        await page.keyboard.press("ArrowUp");
        await editor.locator(".squiggly-error").first().waitFor({ timeout: 90_000 });
        await page.keyboard.press("End");
        await page.keyboard.press("Control+.");
        const fix = page.locator(".action-widget .monaco-list-row", { hasText: "Fix with Hearth" });
        await fix.waitFor({ timeout: 30_000 });
        await workbench.screenshot("fix-light-bulb");
        await fix.click();
        await page.locator(".monaco-diff-editor").first().waitFor({ timeout: 60_000 });
        await workbench.screenshot("fix-diff");
        await acceptProposal(page);
    });
});
