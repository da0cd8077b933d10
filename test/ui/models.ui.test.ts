import assert from "node:assert/strict";
import { engineStatusSelector, useUiSuite } from "./workbench";

describe("UI: choosing a model, as a user does", () => {
    const suite = useUiSuite();

    it("first run: the walkthrough opens and one notification offers the models recommended for this machine", async () => {
        const workbench = await suite.open({});
        const { page } = workbench;
        await page.locator(".gettingStartedContainer", { hasText: "Get Started with Hearth" }).first().waitFor({ timeout: 60_000 });
        const step = page.locator(".getting-started-step", { hasText: "Get the recommended models" }).first();
        await step.click();
        await page.getByText("Hearth recommends", { exact: false }).first().waitFor({ timeout: 10_000 });
        const stepText = await page.locator(".gettingStartedContainer").first().innerText();
        assert.match(stepText, /GB download, ~[\d.]+ [GM]B memory\) for completions/, "sizes and memory need for the completion model");
        assert.match(stepText, /for chat/);

        const toast = page.locator(".notification-toast", { hasText: "Recommended for this machine" });
        await toast.waitFor({ timeout: 60_000 });
        const message = await toast.innerText();
        assert.match(message, /for completions and .+ for chat/);
        const links = await toast.locator("a").allInnerTexts();
        for (const expected of ["Download Recommended", "Choose Model…", "Get Started"])
            assert.ok(links.includes(expected), `${expected} in ${links.join(" | ")}`);
        assert.equal(await page.locator(".notification-toast", { hasText: "Recommended for this machine" }).count(), 1, "one notification");
        await page.locator(engineStatusSelector, { hasText: "Hearth: no model" }).waitFor({ timeout: 10_000 });
        await workbench.screenshot("first-run-walkthrough");
    });

    it("Choose Model… with a local file switches the engine and the status bar", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.tiny });
        const { page } = workbench;
        await workbench.engineReady();

        // What a user types first: the everyday command is the first the palette offers.
        await page.keyboard.press("F1");
        const input = page.locator(".quick-input-widget input");
        await input.waitFor({ state: "visible" });
        await input.fill(">hearth model");
        const rows = page.locator(".quick-input-list .monaco-list-row");
        await rows.filter({ hasText: "Manage Models" }).first().waitFor();
        const offered = await rows.allInnerTexts();
        assert.match(offered[0] ?? "", /^Hearth: Choose Model…/, `the palette's order: ${offered.join(" | ")}`);
        await workbench.screenshot("palette-hearth-model");
        await rows.first().click();
        await rows.filter({ hasText: "Qwen2.5-Coder" }).first().waitFor();
        const entries = await rows.allInnerTexts();
        assert.ok(
            entries.some((entry) => entry.includes("tiny.gguf") && entry.includes("in use for completions and chat")),
            `the model in use, on this computer: ${entries.join(" | ")}`,
        );
        assert.ok(
            entries.some((entry) => /Qwen2\.5-Coder .+ download · ~[\d.]+ [GM]B memory/.test(entry)),
            `presets with size and memory: ${entries.join(" | ")}`,
        );
        await workbench.screenshot("select-model-picker");
        // The list is long: filter it as a user would.
        await input.fill("Browse");
        await rows.filter({ hasText: "Browse for a GGUF file…" }).click();

        // code-server's file dialog is a quick input: type the path and press its button.
        await page.locator(".quick-input-widget", { hasText: "choose a GGUF model file" }).waitFor({ timeout: 10_000 });
        // It opens on the workspace folder; typing before it has listed that folder is overwritten.
        await rows.filter({ hasText: "README.md" }).waitFor({ timeout: 10_000 });
        await input.fill(suite.fixtures.tinyChat);
        await rows.filter({ hasText: "tiny-chat.gguf" }).first().waitFor({ timeout: 10_000 });
        await page.locator(".quick-input-widget .monaco-button", { hasText: "Use This Model" }).click();
        await rows.filter({ hasText: "Completions and chat" }).waitFor({ timeout: 10_000 });
        await rows.filter({ hasText: "Completions and chat" }).click();

        await workbench.engineReady("Hearth test chat model");
        assert.equal((await page.locator(engineStatusSelector).innerText()).trim(), "Hearth test chat model");
        await workbench.screenshot("select-model-switched");
    });
});
