import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostileModels } from "../fixtures/gguf/hostileModels";
import { engineStatusSelector, useUiSuite } from "./workbench";

describe("UI: the engine in the status bar, as a user sees it", () => {
    const suite = useUiSuite();

    it("shows a short model name when ready, the details on hover; its menu restarts the engine and shows the log", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.tiny });
        const { page } = workbench;
        await workbench.engineReady();
        const item = page.locator(engineStatusSelector);
        // Icon and short name only: "Hearth test model (random weights)" loses its note, nothing is cut.
        assert.equal((await item.innerText()).trim(), "Hearth test model");
        await item.hover();
        const hover = page.locator(".monaco-hover", { hasText: "Backend: CPU" });
        await hover.waitFor({ timeout: 10_000 });
        const details = await hover.innerText();
        assert.match(details, /Hearth is ready: Hearth test model \(random weights\)/);
        assert.match(details, /Completions \(FIM tokens\): yes/);
        await workbench.screenshot("engine-ready-status-bar");
        await page.mouse.move(700, 400);

        await item.click();
        const menu = page.locator(".quick-input-widget");
        await menu.waitFor({ state: "visible" });
        const entries = await page.locator(".quick-input-list .monaco-list-row").allInnerTexts();
        for (const expected of ["Restart Engine", "Show Log", "Open Hearth Settings", "Choose Model…", "Manage Models…"]) {
            assert.ok(
                entries.some((entry) => entry.includes(expected)),
                `menu has ${expected}: ${entries.join(" | ")}`,
            );
        }
        await workbench.screenshot("engine-menu");

        await page.locator(".quick-input-list .monaco-list-row", { hasText: "Show Log" }).click();
        const output = page.locator(".part.panel .view-lines");
        await output.filter({ hasText: "Loaded" }).waitFor({ timeout: 30_000 });
        const log = (await output.innerText()).replace(/\u00a0/g, " "); // the editor renders spaces as no-break spaces
        assert.match(log, /Sidecar \d+ up in \d+ ms/, "the sidecar's start is in the Hearth log");
        assert.match(log, /Backend: cpu/);
        await workbench.screenshot("engine-log");

        await workbench.runCommand("Hearth: Restart Engine");
        await workbench.engineReady();
    });

    it("a crafted model file: the notice names the file and the value that would have crashed llama.cpp", async () => {
        const hostile = hostileModels.find((model) => model.name === "block-count-2e31");
        assert.ok(hostile !== undefined);
        const dir = mkdtempSync(join(tmpdir(), "hearth-ui-hostile-"));
        const file = join(dir, "crafted.gguf");
        await hostile.write(file);
        try {
            const workbench = await suite.open({ "hearth.completions.model": file });
            const { page } = workbench;
            await page.locator(engineStatusSelector, { hasText: "Hearth: error" }).waitFor({ timeout: 60_000 });
            const toast = page.locator(".notification-toast", { hasText: "block_count is 2147483648" });
            await toast.waitFor({ timeout: 30_000 });
            assert.ok((await toast.innerText()).includes(file));
            assert.ok((await toast.locator("a").allInnerTexts()).includes("Choose Model…"));
            await page.waitForTimeout(500); // the toast slides in: let the picture show it in place (nothing is asserted on time)
            await workbench.screenshot("engine-error-crafted-model");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a file that is not a model: a notice names it; Open Settings shows the setting where it lives; fixing it closes the notice", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.notGguf });
        const { page } = workbench;
        await page.locator(engineStatusSelector, { hasText: "Hearth: error" }).waitFor({ timeout: 60_000 });
        const toast = page.locator(".notification-toast", { hasText: "is not a GGUF model" });
        await toast.waitFor({ timeout: 30_000 });
        assert.ok((await toast.innerText()).includes(suite.fixtures.notGguf));
        const links = await toast.locator("a").allInnerTexts();
        assert.ok(links.includes("Choose Model…") && links.includes("Open Settings"), links.join(" | "));
        await workbench.screenshot("engine-error-not-gguf");

        // code-server is a remote window: the model settings are machine-scoped and live in the
        // Remote tab, which Open Settings must show (the User tab does not list them).
        await toast.locator("a", { hasText: "Open Settings" }).click();
        const editor = page.locator(".settings-editor");
        await editor.waitFor({ timeout: 30_000 });
        const selectedTab = editor.locator(".settings-tabs-widget .action-label.checked");
        await selectedTab.filter({ hasText: "Remote" }).waitFor({ timeout: 10_000 });
        const setting = editor.locator(".setting-item-contents", { hasText: "Completions: Model" }).first();
        await setting.waitFor({ timeout: 10_000 });
        assert.equal(await setting.locator("input").first().inputValue(), suite.fixtures.notGguf, "the Remote tab holds the value in effect");
        await workbench.screenshot("engine-error-settings");

        // The user corrects the path there: the engine loads it and the notice goes away by itself.
        // The settings editor may still redraw its list just after it opens and drop what was typed
        // into it (seen once in CI): as a person would, type it again while the field shows the old path.
        const input = setting.locator("input").first();
        for (let attempt = 0; attempt < 3; attempt++) {
            await input.fill(suite.fixtures.tiny);
            await input.press("Enter");
            await input.press("Tab");
            const loading = await page
                .locator(engineStatusSelector, { hasText: "Hearth: error" })
                .waitFor({ state: "detached", timeout: 10_000 })
                .then(
                    () => true,
                    () => false,
                );
            if (loading || (await input.inputValue().catch(() => "")) === suite.fixtures.tiny) break;
        }
        await workbench.engineReady();
        await toast.waitFor({ state: "detached", timeout: 30_000 });
        assert.equal(await page.locator(".notification-toast", { hasText: "Hearth" }).count(), 0, "no Hearth notice is left on screen");
        // Closed, not just hidden: the notification centre (the bell) does not list it either.
        // The settings editor opened as a modal: close it first (Escape leaves the search box, then the editor).
        const modal = page.locator(".monaco-modal-editor-block");
        // Escape reaches the modal only once focus has left the settings' own widgets, which under load
        // (CI) it sometimes does not: then, as a person would, click the dimmed backdrop beside the
        // modal, which closes it too (VS Code's ModalEditorPart closes on a mouse-down on the backdrop).
        for (let attempt = 0; attempt < 8 && (await modal.count()) > 0; attempt++) {
            if (attempt < 2) await page.keyboard.press("Escape");
            else await modal.click({ position: { x: 4, y: 4 }, timeout: 3_000 }).catch(() => undefined);
            await modal.waitFor({ state: "detached", timeout: 3_000 }).catch(() => undefined);
        }
        await page.locator('[id="status.notifications"]').click();
        const center = page.locator(".notifications-center");
        await center.waitFor({ timeout: 10_000 });
        assert.equal(
            await center.locator(".notification-list-item", { hasText: "not a GGUF model" }).count(),
            0,
            "the notice is gone from the notification centre",
        );
        await workbench.screenshot("engine-error-fixed");
    });
});
