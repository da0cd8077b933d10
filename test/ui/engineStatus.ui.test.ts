import assert from "node:assert/strict";
import { useUiSuite } from "./workbench";

describe("UI: the engine in the status bar, as a user sees it", () => {
    const suite = useUiSuite();

    it("shows the model and backend when ready; its menu restarts the engine and shows the log", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.tiny });
        const { page } = workbench;
        const item = page.locator(".statusbar-item", { hasText: "Hearth:" });
        await item.filter({ hasText: "· CPU" }).waitFor({ timeout: 60_000 });
        const text = (await item.innerText()).trim();
        assert.match(text, /Hearth: .+ · CPU/);
        await workbench.screenshot("engine-ready-status-bar");

        await item.click();
        const menu = page.locator(".quick-input-widget");
        await menu.waitFor({ state: "visible" });
        const entries = await page.locator(".quick-input-list .monaco-list-row").allInnerTexts();
        for (const expected of ["Restart Engine", "Show Log", "Open Hearth Settings", "Select Model…", "Manage Models…"]) {
            assert.ok(entries.some((entry) => entry.includes(expected)), `menu has ${expected}: ${entries.join(" | ")}`);
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
        await item.filter({ hasText: "· CPU" }).waitFor({ timeout: 60_000 });
    });

    it("a file that is not a model shows an error naming it, with buttons that help", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.notGguf });
        const { page } = workbench;
        await page.locator(".statusbar-item", { hasText: "Hearth: error" }).waitFor({ timeout: 60_000 });
        const toast = page.locator(".notification-toast", { hasText: "is not a GGUF model" });
        await toast.waitFor({ timeout: 30_000 });
        assert.ok((await toast.innerText()).includes(suite.fixtures.notGguf));
        const buttons = await toast.locator(".monaco-button").allInnerTexts();
        assert.ok(buttons.includes("Select Model…") && buttons.includes("Open Settings"), buttons.join(" | "));
        await workbench.screenshot("engine-error-not-gguf");
    });
});
