import assert from "node:assert/strict";
import type { Frame, Page } from "playwright-core";
import { useUiSuite, type Workbench } from "./workbench";

/** The chat view lives in nested iframes: find the frame that has the composer. */
async function chatFrame(page: Page): Promise<Frame> {
    for (let attempt = 0; attempt < 120; attempt++) {
        for (const frame of page.frames()) {
            if (
                await frame
                    .$("#chat-input")
                    .then((handle) => handle !== null)
                    .catch(() => false)
            )
                return frame;
        }
        await page.waitForTimeout(250);
    }
    throw new Error("The chat view did not appear");
}

async function openChat(workbench: Workbench): Promise<Frame> {
    await workbench.runCommand("Hearth: Open Chat");
    return chatFrame(workbench.page);
}

describe("UI: the chat view, as a user sees it", () => {
    const suite = useUiSuite();

    it("send, stream, stop, new conversation, and the old one is still there after a reload", async () => {
        const workbench = await suite.open({ "hearth.completions.model": suite.fixtures.tiny, "hearth.chat.maxTokens": 1500 });
        const { page } = workbench;
        await workbench.engineReady();
        let chat = await openChat(workbench);

        // The footer names the model that answers and the backend, whole, with the full name in its tooltip.
        const footer = chat.locator(".composer-hint .hint-text");
        await footer.filter({ hasText: "·" }).waitFor({ timeout: 10_000 });
        assert.equal(await footer.innerText(), "Hearth test model · CPU");
        assert.match((await footer.getAttribute("title")) ?? "", /^Chat model: Hearth test model \(random weights\) on CPU\n.*tiny\.gguf$/);
        const fits = await footer.evaluate(
            (element: { readonly scrollWidth: number; readonly clientWidth: number }) => element.scrollWidth <= element.clientWidth,
        );
        assert.ok(fits, "the footer's text is not clipped");

        // Send with Enter; the answer streams in from the generated model.
        await chat.locator("#chat-input").fill("What does inventory.ts do?");
        await chat.locator("#chat-input").press("Enter");
        const firstAnswer = chat.locator(".message-assistant .message-body").first();
        await firstAnswer.filter({ hasText: /\S{3}/, hasNotText: "Thinking…" }).waitFor({ timeout: 30_000 });
        await chat.locator(".message-assistant .message-body[aria-busy='false']").first().waitFor({ timeout: 60_000 });
        assert.equal(
            await chat
                .locator(".message-user")
                .first()
                .innerText()
                .then((t) => t.includes("What does inventory.ts do?")),
            true,
        );
        await chat.locator(".conversation-title", { hasText: "What does inventory.ts do?" }).waitFor({ timeout: 5_000 });
        await workbench.screenshot("chat-answer");

        // Stop one mid-way with Escape: it keeps what was said.
        await chat.locator("#chat-input").fill("Tell me more, at length.");
        await chat.locator("#chat-input").press("Enter");
        const second = chat.locator(".message-assistant").nth(1).locator(".message-body");
        await second.filter({ hasText: /\S{3}/, hasNotText: "Thinking…" }).waitFor({ timeout: 30_000 });
        await chat.locator("#chat-input").press("Escape");
        await chat.locator(".message-assistant", { hasText: "Stopped." }).waitFor({ timeout: 30_000 });
        const stoppedText = await second.innerText();
        assert.ok(
            stoppedText.trim().length > 0,
            `the partial answer stays; answers: ${JSON.stringify((await chat.locator(".message").allInnerTexts()).map((t) => `${t.slice(0, 80)}…${t.slice(-80)}`))}`,
        );
        await workbench.screenshot("chat-stopped");

        // A new conversation starts empty.
        await chat.locator('button[aria-label="New Conversation"]').click();
        await chat.locator(".message").first().waitFor({ state: "detached", timeout: 10_000 });

        // Reload the window: the old conversation is in the history, whole.
        await workbench.runCommand("Developer: Reload Window");
        await page.waitForTimeout(1000);
        await workbench.engineReady();
        chat = await openChat(workbench);
        await chat.locator('button[aria-label="Show History"]').click();
        const entry = chat.locator(".history-open", { hasText: "What does inventory.ts do?" });
        await entry.waitFor({ timeout: 10_000 });
        await workbench.screenshot("chat-history-after-reload");
        await entry.click();
        await chat.locator(".message-user", { hasText: "Tell me more, at length." }).waitFor({ timeout: 10_000 });
        assert.equal(await chat.locator(".message-assistant").count(), 2);
        assert.ok((await chat.locator(".message-assistant .message-body").nth(1).innerText()).includes(stoppedText.trim().slice(0, 20)));
        await workbench.screenshot("chat-restored");
    });
});
