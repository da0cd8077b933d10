// The chat view's browser side, in headless Chromium under the real CSP: handshake, rendering, hostile
// input, links, code buttons, streaming, keyboard, and malformed messages. Needs dist/webview.js
// (`node esbuild.js`; npm test builds it first).
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import type { ChatMessageView, ConversationView, FromWebview, ToWebview } from "../../src/protocol/chatViewProtocol";
import { assertWebviewBuilt, expectedRequests, launchBrowser, openChatPage, startChatServer, until, type ChatPage, type ChatServer } from "./chatRenderingPage";
import { hostilePayloads, pathologicalPayloads } from "./chatRenderingPayloads";
import { renderLimits } from "../../src/webview/markdown";

const ready = { ready: true, label: "Qwen2.5-Coder-3B-Instruct · CUDA" } as const;

function conversation(id: string, messages: readonly ChatMessageView[], title = "Debounce the save"): ConversationView {
    return { id, title, messages };
}

function init(view: ConversationView, extra: Partial<Extract<ToWebview, { type: "init" }>> = {}): ToWebview {
    return { type: "init", conversation: view, history: [], chips: [], engine: ready, draft: "", ...extra };
}

const answer = (conversationId: string, messageId: string, text: string, state: "streaming" | "done" | "stopped" | "error"): ToWebview => ({
    type: "answer",
    conversationId,
    messageId,
    text,
    state,
});

/** Waits for the next two animation frames in the page (a frame's render has happened). */
async function frames(chat: ChatPage): Promise<void> {
    await chat.page.evaluate(
        () =>
            new Promise<void>((resolve) => {
                const page = globalThis as unknown as { requestAnimationFrame(callback: () => void): number };
                page.requestAnimationFrame(() => page.requestAnimationFrame(() => resolve()));
            }),
    );
}

async function text(chat: ChatPage, selector: string): Promise<string> {
    return (await chat.page.locator(selector).textContent()) ?? "";
}

describe("UI: the chat view renders safely in Chromium under the real CSP", function () {
    let server: ChatServer;
    let browser: Browser;
    let chat: ChatPage | undefined;

    before(async () => {
        assertWebviewBuilt();
        server = await startChatServer();
        browser = await launchBrowser();
    });

    after(async () => {
        await browser?.close().catch(() => undefined);
        await server?.close();
    });

    afterEach(async function () {
        if (this.currentTest?.state === "failed")
            await chat?.screenshot(`chat-failed-${this.currentTest.title.replace(/\W+/g, "-").slice(0, 80)}`).catch(() => undefined);
        await chat?.close();
        chat = undefined;
    });

    /** Nothing ran that should not have, nothing broke, nothing was fetched that should not have been. */
    async function assertClean(page: ChatPage): Promise<void> {
        assert.equal(await page.pwned(), undefined, "no payload ran script");
        assert.deepEqual(page.dialogs, [], "no dialog opened");
        assert.deepEqual(page.popups, [], "no window opened");
        assert.deepEqual(page.pageErrors, [], "no uncaught errors");
        assert.deepEqual(page.consoleErrors, [], "no console errors (CSP violations included)");
        assert.deepEqual(await page.audit(), [], "only allowed elements and attributes in the conversation");
        assert.deepEqual(await page.violations(), [], "nothing disallowed was ever added to the conversation");
        assert.deepEqual(await page.documentProblems(), [], "no active content anywhere in the document");
        assert.deepEqual(
            server.requests.filter((request) => !expectedRequests.has(request)),
            [],
            "the page fetched only its own files",
        );
        assert.equal(new URL(page.page.url()).pathname, "/chat.html", "the view never navigated");
    }

    it("says ready once, and init renders the conversation, chips, draft and engine", async () => {
        chat = await openChatPage(browser, server);
        assert.deepEqual(await chat.posted(), [{ type: "ready" }]);
        await chat.send(
            init(
                conversation("c1", [
                    { id: "u1", role: "user", text: "Why is *this* slow? <b>not bold</b>" },
                    { id: "a1", role: "assistant", text: "Because of **the loop** in `save()`:\n\n```ts\nfor (const x of xs) save(x);\n```", state: "done" },
                    { id: "n1", role: "note", text: "Earlier turns were trimmed to fit the context" },
                ]),
                { chips: [{ id: "k1", kind: "selection", label: "inventory.ts:12-30", trimmedNote: "first 40 of 300 lines" }], draft: "half-typed question" },
            ),
        );
        await chat.page.locator(".message-assistant .markdown strong").waitFor();
        assert.equal(await text(chat, ".message-user .message-body"), "Why is *this* slow? <b>not bold</b>", "user text is plain text");
        assert.equal(await chat.page.locator(".message-user .message-body *").count(), 0, "no markup in user text");
        assert.equal(await text(chat, ".message-assistant .markdown strong"), "the loop");
        assert.equal(await text(chat, ".message-assistant .markdown p code"), "save()");
        assert.equal(await text(chat, ".message-assistant .code-block pre code"), "for (const x of xs) save(x);");
        assert.ok((await chat.page.locator(".message-assistant .code-block pre code .hljs-keyword").count()) > 0, "code is highlighted");
        assert.equal(await text(chat, ".message-note .message-body"), "Earlier turns were trimmed to fit the context");
        assert.equal(await text(chat, ".chip .chip-label"), "inventory.ts:12-30");
        assert.ok(await chat.page.locator(".chip .chip-note", { hasText: "first 40 of 300 lines" }).isVisible(), "the trimmed note is visible");
        assert.equal(await chat.page.locator("#chat-input").inputValue(), "half-typed question");
        assert.equal(await text(chat, ".conversation-title"), "Debounce the save");
        assert.match(await text(chat, ".composer-hint"), /Qwen2\.5-Coder-3B-Instruct · CUDA/);
        assert.equal(await chat.page.locator("#conversation").getAttribute("aria-live"), "polite");
        assert.equal((await chat.posted()).filter((message) => message.type === "ready").length, 1, "ready is posted once");
        await assertClean(chat);
    });

    it(`shows ${hostilePayloads.length} hostile inputs as text, as user messages and as streamed answers, and runs none`, async function () {
        this.timeout(180_000);
        chat = await openChatPage(browser, server);
        const messages: ChatMessageView[] = hostilePayloads.flatMap((payload, index): ChatMessageView[] => [
            { id: `u${index}`, role: "user", text: payload.text },
            { id: `a${index}`, role: "assistant", text: payload.text, state: "done" },
            { id: `n${index}`, role: "note", text: payload.text },
        ]);
        // Everywhere else text reaches the view, too.
        const first = hostilePayloads[0]?.text ?? "";
        await chat.send(
            init(conversation("c1", messages, first), {
                history: hostilePayloads.map((payload, index) => ({
                    id: `h${index}`,
                    title: payload.text.slice(0, 900),
                    updatedAt: Date.now() - index * 60_000,
                    messageCount: 2,
                })),
                chips: hostilePayloads
                    .slice(0, 5)
                    .map((payload, index) => ({ id: `k${index}`, kind: "file", label: payload.text.slice(0, 900), trimmedNote: payload.text.slice(0, 900) })),
                engine: { ready: true, label: first },
                draft: first,
            }),
            { type: "error", message: first, actions: [{ command: "hearth.showLog", label: first }] },
        );
        await chat.page.locator(".error-message").waitFor();
        await chat.page.locator(".toolbar [aria-label='Show History']").click();
        await chat.page.locator(".history-open").first().waitFor();
        await chat.page.locator(".history [aria-label='Close History']").click();
        assert.equal(await chat.page.locator("#chat-input").inputValue(), first);
        assert.deepEqual(await chat.audit(), [], "after init");

        // Streamed: each payload as a new user message, then an answer growing to it, then done.
        await chat.send({ type: "conversation", conversation: conversation("c2", []) });
        for (const [index, payload] of hostilePayloads.entries()) {
            await chat.send({ type: "message", conversationId: "c2", message: { id: `su${index}`, role: "user", text: payload.text } });
            await chat.send({ type: "message", conversationId: "c2", message: { id: `sa${index}`, role: "assistant", text: "", state: "streaming" } });
            const steps = 8;
            for (let step = 1; step <= steps; step++) {
                await chat.send(answer("c2", `sa${index}`, payload.text.slice(0, Math.ceil((payload.text.length * step) / steps)), "streaming"));
                await frames(chat);
            }
            await chat.send(answer("c2", `sa${index}`, payload.text, "done"));
            await until(
                async () => (await chat?.page.locator(".message-assistant .message-body[aria-busy='false']").count()) === index + 1,
                `answer ${index} (${payload.name}) to finish`,
                20_000,
            );
            assert.equal(
                await chat.page.locator(".message-user .message-body").nth(index).textContent(),
                payload.text,
                `${payload.name}: the user message shows the exact text`,
            );
            const problems = await chat.audit();
            assert.deepEqual(problems, [], `${payload.name}: only allowed markup`);
        }

        // The unterminated fence rendered as a code block holding the script as text.
        const fence = chat.page.locator(".message-assistant .code-block code", { hasText: "<script>window.__pwned='fence'" });
        assert.equal(await fence.count(), 1, "the unterminated fence is a code block");

        // Every link left is http(s)/mailto; clicking each one asks the extension to open it and navigates nowhere.
        const links = chat.page.locator("#conversation a");
        const count = await links.count();
        assert.ok(count > 0, "some safe links render");
        await chat.clearPosted();
        for (let index = 0; index < count; index++) await links.nth(index).click();
        const opened = (await chat.posted()).filter((message): message is Extract<FromWebview, { type: "openLink" }> => message.type === "openLink");
        assert.equal(opened.length, count, "each click posts openLink");
        for (const { href } of opened) assert.match(href, /^(https?:\/\/|mailto:)/);
        // Images became links, never <img>.
        assert.ok((await chat.page.locator("#conversation a.image-link", { hasText: 'x" onerror="alert(1)' }).count()) > 0, "a markdown image is a link");

        assert.ok(await chat.page.locator("#chat-input").isVisible(), "injected styles changed nothing");
        assert.ok(await chat.page.locator("#conversation").isVisible());
        await assertClean(chat);
    });

    it(`renders ${pathologicalPayloads().length} pathological answers (10 KB to 1 MB) with a bounded DOM, finished and streamed, and runs none`, async function () {
        this.timeout(900_000);
        chat = await openChatPage(browser, server);
        await chat.send(init(conversation("c0", [])));
        await chat.page.locator(".empty-state").waitFor();
        const selector = ".message-assistant .message-body";
        // Each markdown token makes at most one element; highlighting at most a span per two characters of the
        // answer's highlighting budget; each code block a dozen elements of chrome (header, buttons, icons).
        const elementBound = (codeBlocks: number): number => renderLimits.maxTokens + renderLimits.highlightChars / 2 + 12 * codeBlocks + 50;
        const report: string[] = [];
        for (const [index, { name, text }] of pathologicalPayloads().entries()) {
            const finished = await chat.measureRender(
                [{ type: "conversation", conversation: conversation(`p${index}`, [{ id: "a", role: "assistant", text, state: "done" }]) }],
                selector,
            );
            const streamed = await chat.measureRender(
                [{ type: "conversation", conversation: conversation(`s${index}`, [{ id: "b", role: "assistant", text: "", state: "streaming" }]) }],
                selector,
                {
                    stream: { conversationId: `s${index}`, messageId: "b", text, steps: 8 },
                },
            );
            for (const [how, measure] of [
                ["finished", finished],
                ["streamed", streamed],
            ] as const) {
                const bound = elementBound(measure.codeBlocks);
                assert.ok(measure.elements <= bound, `${name} (${how}): ${measure.elements} elements, more than ${bound}`);
            }
            assert.deepEqual(await chat.audit(), [], `${name}: only allowed markup`);
            assert.equal(await chat.pwned(), undefined, `${name}: no payload ran script`);
            // Times are reported, not asserted: they depend on the machine.
            report.push(
                `${name.padEnd(38)} ${String(text.length).padStart(9)} chars: ${String(finished.elements).padStart(6)} elements; finished ${Math.round(finished.ms)} ms (longest task ${Math.round(finished.longestTaskMs)} ms); streamed in 8 steps ${Math.round(streamed.ms)} ms (longest task ${Math.round(streamed.longestTaskMs)} ms)`,
            );
        }
        console.log(`      Pathological answers in the webview (times as measured on this machine):\n${report.map((line) => `        ${line}`).join("\n")}`);
        // What a user sees where an answer runs past the limits: the note, then the rest as plain text.
        const long = pathologicalPayloads().find(({ name }) => name === "1 MB ordinary answer");
        assert.ok(long !== undefined);
        await chat.send({ type: "conversation", conversation: conversation("overflow", [{ id: "a", role: "assistant", text: long.text, state: "done" }]) });
        const note = chat.page.locator(".markdown-overflow-note").first();
        await note.waitFor();
        await note.scrollIntoViewIfNeeded();
        await chat.screenshot("chat-rendering-overflow");
        await assertClean(chat);
    });

    it("opens links through the extension: click, middle click and Enter post openLink; nothing navigates", async () => {
        chat = await openChatPage(browser, server);
        await chat.send(
            init(
                conversation("c1", [
                    {
                        id: "a1",
                        role: "assistant",
                        text: "See [the docs](https://code.visualstudio.com/api), <https://example.com/x?y=1&z=2> or mail@example.com.",
                        state: "done",
                    },
                ]),
            ),
        );
        const docs = chat.page.locator("#conversation a", { hasText: "the docs" });
        await docs.waitFor();
        await chat.clearPosted();
        await docs.click();
        await chat.waitForPosted((message) => message.type === "openLink" && message.href === "https://code.visualstudio.com/api", "openLink for the docs");
        await docs.click({ button: "middle" });
        await docs.click({ modifiers: ["Control"] });
        await chat.page.locator("#conversation a", { hasText: "example.com/x" }).focus();
        await chat.page.keyboard.press("Enter");
        await chat.page.locator("#conversation a", { hasText: "mail@example.com" }).click();
        const hrefs = (await chat.posted()).flatMap((message) => (message.type === "openLink" ? [message.href] : []));
        assert.deepEqual(hrefs, [
            "https://code.visualstudio.com/api",
            "https://code.visualstudio.com/api",
            "https://code.visualstudio.com/api",
            "https://example.com/x?y=1&z=2",
            "mailto:mail@example.com",
        ]);
        assert.equal(chat.page.frames().length, 1);
        await assertClean(chat);
    });

    it("code block buttons post copyCode, insertCode and applyCode with the exact code", async () => {
        chat = await openChatPage(browser, server);
        const first = "print('one')";
        const second = "if (a < b && c > \"d\") {\n\treturn `${x}` + '&amp;';   \n}\n// ünïcödé → ✓";
        await chat.send(
            init(
                conversation("c1", [
                    {
                        id: "a1",
                        role: "assistant",
                        text: `First:\n\n\`\`\`python\n${first}\n\`\`\`\n\nSecond:\n\n\`\`\`ts\n${second}\n\`\`\`\n`,
                        state: "done",
                    },
                ]),
            ),
        );
        const blocks = chat.page.locator(".code-block");
        await blocks.nth(1).waitFor();
        assert.equal(await blocks.nth(1).locator(".code-language").textContent(), "ts");
        await chat.clearPosted();
        await blocks.nth(1).getByRole("button", { name: "Copy" }).click();
        await blocks.nth(1).getByRole("button", { name: "Insert at Cursor" }).click();
        await blocks.nth(1).getByRole("button", { name: "Apply to Selection" }).click();
        await blocks.nth(0).getByRole("button", { name: "Copy" }).click();
        assert.deepEqual(await chat.posted(), [
            { type: "copyCode", code: second },
            { type: "insertCode", code: second },
            { type: "applyCode", code: second },
            { type: "copyCode", code: first },
        ]);
        assert.equal(await blocks.nth(1).locator("pre code").textContent(), second, "the block shows the code exactly");
        await assertClean(chat);
    });

    it("streams 200 updates in a burst with far fewer renders, touching only the streaming answer", async () => {
        chat = await openChatPage(browser, server);
        const history: ChatMessageView[] = Array.from({ length: 30 }, (_, index) =>
            index % 2 === 0
                ? { id: `m${index}`, role: "user", text: `Question ${index}` }
                : { id: `m${index}`, role: "assistant", text: `Answer **${index}** with \`code\`.\n\n\`\`\`js\nconsole.log(${index});\n\`\`\``, state: "done" },
        );
        await chat.send(init(conversation("c1", history)), {
            type: "message",
            conversationId: "c1",
            message: { id: "live", role: "assistant", text: "", state: "streaming" },
        });
        await chat.page.locator(".message-assistant .thinking").waitFor();
        assert.equal(await chat.page.locator("#conversation").getAttribute("aria-busy"), "true", "aria-busy while streaming");
        assert.equal(await chat.page.locator(".message-assistant .message-body").last().getAttribute("aria-busy"), "true");

        const words = Array.from({ length: 200 }, (_, index) => (index === 100 ? "\n\n```ts\nconst half = true;\n```\n\n" : `word${index}`));
        const updates = words.map((_, index) => answer("c1", "live", words.slice(0, index + 1).join(" "), index === words.length - 1 ? "done" : "streaming"));
        await chat.startCounting(".messages");
        const started = Date.now();
        await chat.send(...updates);
        const last = chat.page.locator(".message-assistant .message-body").last();
        await until(
            async () => (await last.getAttribute("aria-busy")) === "false" && ((await last.textContent()) ?? "").includes("word199"),
            "the final text",
            10_000,
        );
        const elapsed = Date.now() - started;
        await frames(chat);
        const { batches, messages } = await chat.stopCounting();
        assert.ok(batches > 0 && batches <= 40, `200 updates took ${batches} DOM render batches (${elapsed} ms)`);
        assert.deepEqual(messages, [30], "only the streaming answer's element changed");
        const body = (await last.textContent()) ?? "";
        assert.ok(body.startsWith("word0 word1") && body.includes("const half = true;") && body.endsWith("word199"), "the whole final text shows");
        assert.equal(await chat.page.locator("#conversation").getAttribute("aria-busy"), "false");
        await assertClean(chat);
    });

    it("shows an unterminated fence as a code block while it streams", async () => {
        chat = await openChatPage(browser, server);
        await chat.send(init(conversation("c1", [{ id: "a", role: "assistant", text: "", state: "streaming" }])));
        await chat.send(answer("c1", "a", "Try this:\n\n```python\ndef f():\n    return '<b>1</b>'", "streaming"));
        const code = chat.page.locator(".message-assistant .code-block pre code");
        await code.waitFor();
        assert.equal(await code.textContent(), "def f():\n    return '<b>1</b>'");
        await chat.send(answer("c1", "a", "Try this:\n\n```python\ndef f():\n    return '<b>1</b>'\n```\n\nDone.", "done"));
        await chat.page.locator(".message-assistant p", { hasText: "Done." }).waitFor();
        assert.equal(await chat.page.locator(".message-assistant .code-block").count(), 1);
        await assertClean(chat);
    });

    it("keyboard: Enter sends, Shift+Enter adds a line, Escape stops a streaming answer", async () => {
        chat = await openChatPage(browser, server);
        await chat.send(init(conversation("c1", [])));
        const input = chat.page.locator("#chat-input");
        await input.focus();
        await chat.page.keyboard.type("hello");
        await chat.page.keyboard.press("Shift+Enter");
        await chat.page.keyboard.type("world");
        assert.equal(await input.inputValue(), "hello\nworld");
        await chat.clearPosted();
        await chat.page.keyboard.press("Enter");
        await chat.waitForPosted((message) => message.type === "send", "send");
        assert.deepEqual(
            (await chat.posted()).filter((message) => message.type === "send"),
            [{ type: "send", text: "hello\nworld" }],
        );
        assert.equal(await input.inputValue(), "", "the input is cleared after sending");

        // The extension echoes the message and starts an answer: the button becomes Stop.
        await chat.send(
            { type: "message", conversationId: "c1", message: { id: "u", role: "user", text: "hello\nworld" } },
            { type: "message", conversationId: "c1", message: { id: "a", role: "assistant", text: "", state: "streaming" } },
            answer("c1", "a", "Partial answer", "streaming"),
        );
        const sendButton = chat.page.locator(".send-button");
        await until(async () => (await sendButton.getAttribute("aria-label")) === "Stop (Escape)", "the Stop button");
        await chat.page.keyboard.type("next question");
        await chat.clearPosted();
        await chat.page.keyboard.press("Enter");
        assert.deepEqual(
            (await chat.posted()).filter((message) => message.type === "send"),
            [],
            "Enter does not send while an answer streams",
        );
        assert.equal(await input.inputValue(), "next question", "and keeps the text");
        await chat.page.keyboard.press("Escape");
        await chat.waitForPosted((message) => message.type === "stop", "stop");
        await chat.send(answer("c1", "a", "Partial answer", "stopped"));
        await until(async () => (await sendButton.getAttribute("aria-label")) === "Send (Enter)", "the Send button");
        await chat.page.locator(".message-footer", { hasText: "Stopped." }).waitFor();
        await chat.page.keyboard.press("Enter");
        await chat.waitForPosted((message) => message.type === "send" && message.text === "next question", "the second send");
        await assertClean(chat);
    });

    it("every control is reachable by Tab and shows the focus border", async () => {
        chat = await openChatPage(browser, server);
        await chat.send(
            init(
                conversation("c1", [
                    { id: "u", role: "user", text: "How?" },
                    { id: "a", role: "assistant", text: "Read [this](https://example.com).\n\n```js\nlet a = 1;\n```", state: "done" },
                ]),
                { chips: [{ id: "k", kind: "file", label: "app.ts" }], draft: "draft" },
            ),
            { type: "error", message: "The engine stopped.", actions: [{ command: "hearth.restartEngine", label: "Restart Engine" }] },
        );
        await chat.page.locator(".error-message").waitFor();
        await chat.page.locator("body").click({ position: { x: 2, y: 400 } });
        interface Focused {
            readonly name: string;
            readonly outline: string;
            readonly boxBorder: string;
        }
        const seen: Focused[] = [];
        for (let index = 0; index < 40; index++) {
            await chat.page.keyboard.press("Tab");
            const focused = await chat.page.evaluate<Focused>(`(() => {
                const element = document.activeElement;
                const style = getComputedStyle(element);
                const box = element.closest(".input-box");
                return {
                    name: element.getAttribute("aria-label") || (element.tagName === "A" || element.tagName === "BUTTON" ? element.textContent.trim() : element.tagName),
                    outline: style.outlineStyle + " " + style.outlineColor,
                    boxBorder: box ? getComputedStyle(box).borderTopColor : "",
                };
            })()`);
            if (focused.name === "BODY") continue; // focus left the page and comes back round
            if (seen.some((entry) => entry.name === focused.name)) break;
            seen.push(focused);
        }
        const names = seen.map((entry) => entry.name);
        for (const expected of [
            "New Conversation",
            "Regenerate Answer",
            "Show History",
            "Conversation",
            "this",
            "Copy",
            "Insert at Cursor",
            "Apply to Selection",
            "Restart Engine",
            "Dismiss Error",
            "Remove app.ts",
            "Message to Hearth",
            "Attach Selection",
            "Attach File…",
            "Send (Enter)",
        ]) {
            assert.ok(names.includes(expected), `Tab reaches "${expected}" (reached: ${names.join(", ")})`);
        }
        const focusBlue = "rgb(0, 120, 212)";
        for (const entry of seen) {
            const visible = entry.outline === `solid ${focusBlue}` || entry.boxBorder === focusBlue;
            assert.ok(visible, `${entry.name} shows focus (${entry.outline}; box ${entry.boxBorder})`);
        }
        await assertClean(chat);
    });

    it("keeps the draft: debounced draft messages, kept across a reload, not replaced by init", async () => {
        chat = await openChatPage(browser, server);
        await chat.send(init(conversation("c1", [])));
        const input = chat.page.locator("#chat-input");
        await input.focus();
        await chat.page.keyboard.type("half a thought", { delay: 15 });
        await chat.waitForPosted((message) => message.type === "draft" && message.text === "half a thought", "the draft");
        const drafts = (await chat.posted()).filter((message) => message.type === "draft");
        assert.ok(drafts.length <= 2, `typing 14 characters posted ${drafts.length} draft messages (debounced)`);
        await chat.reload();
        assert.equal(await input.inputValue(), "half a thought", "the draft survives a reload");
        await chat.send(init(conversation("c1", []), { draft: "older draft from the extension" }));
        await chat.page.locator(".empty-state").waitFor();
        assert.equal(await input.inputValue(), "half a thought", "init does not replace what is in the box");
        await assertClean(chat);
    });

    it("without a ready engine: a hint, no sending, and the text is kept", async () => {
        chat = await openChatPage(browser, server);
        await chat.send(init(conversation("c1", []), { engine: { ready: false, label: "No model: choose one from the status bar." } }));
        await chat.page.locator(".composer-hint", { hasText: "No model: choose one from the status bar." }).waitFor();
        const input = chat.page.locator("#chat-input");
        await input.focus();
        await chat.page.keyboard.type("a question");
        await chat.page.keyboard.press("Enter");
        assert.equal((await chat.posted()).filter((message) => message.type === "send").length, 0);
        assert.equal(await input.inputValue(), "a question");
        assert.ok(await chat.page.locator(".send-button").isDisabled());
        await chat.send({ type: "engine", engine: ready });
        await until(async () => !(await chat?.page.locator(".send-button").isDisabled()), "Send to be enabled");
        await chat.page.keyboard.press("Enter");
        await chat.waitForPosted((message) => message.type === "send" && message.text === "a question", "send");
        await assertClean(chat);
    });

    it("toolbar, history, chips and errors post their messages", async () => {
        chat = await openChatPage(browser, server);
        const now = Date.now();
        await chat.send(
            init(conversation("c1", [{ id: "u", role: "user", text: "Hi" }]), {
                history: [
                    { id: "c1", title: "Debounce the save", updatedAt: now - 5 * 60_000, messageCount: 1 },
                    { id: "c2", title: "Parser questions", updatedAt: now - 26 * 3600_000, messageCount: 6 },
                ],
                chips: [
                    { id: "k1", kind: "selection", label: "a.ts:1-9" },
                    { id: "k2", kind: "file", label: "b.ts", trimmedNote: "first 100 of 900 lines" },
                ],
            }),
        );
        const page = chat.page;
        await page.locator(".chip").nth(1).waitFor();
        assert.ok(await page.getByRole("button", { name: "Regenerate Answer" }).isDisabled(), "nothing to regenerate after a user message");
        await chat.send({ type: "message", conversationId: "c1", message: { id: "a", role: "assistant", text: "Hello.", state: "done" } });
        await until(async () => await page.getByRole("button", { name: "Regenerate Answer" }).isEnabled(), "Regenerate to be enabled");
        await chat.clearPosted();
        await page.getByRole("button", { name: "Regenerate Answer" }).click();
        await page.getByRole("button", { name: "New Conversation" }).click();
        await page.getByRole("button", { name: "Attach Selection" }).click();
        await page.getByRole("button", { name: "Attach File…" }).click();
        await page.getByRole("button", { name: "Remove b.ts" }).click();
        assert.deepEqual(await chat.posted(), [
            { type: "regenerate" },
            { type: "newConversation" },
            { type: "attachSelection" },
            { type: "attachFile" },
            { type: "removeChip", id: "k2" },
        ]);

        // History: a list of buttons with title and relative time; open one; delete one after confirming.
        await page.getByRole("button", { name: "Show History" }).click();
        const rows = page.locator(".history-list > li");
        await rows.nth(1).waitFor();
        assert.equal(await rows.nth(0).locator(".history-item-title").textContent(), "Debounce the save");
        assert.equal(await rows.nth(0).locator(".history-item-time").textContent(), "5 minutes ago");
        assert.equal(await rows.nth(1).locator(".history-item-time").textContent(), "yesterday");
        assert.equal(await page.locator("#conversation").isVisible(), false, "history replaces the conversation while open");
        await chat.clearPosted();
        await rows.nth(1).getByRole("button", { name: "Delete Parser questions" }).click();
        await page.getByRole("button", { name: "Cancel" }).click();
        assert.deepEqual(await chat.posted(), [], "cancelling deletes nothing");
        await rows.nth(1).getByRole("button", { name: "Delete Parser questions" }).click();
        await page.locator(".history-confirm", { hasText: "Delete “Parser questions”?" }).getByRole("button", { name: "Delete Parser questions" }).click();
        assert.deepEqual(await chat.posted(), [{ type: "deleteConversation", id: "c2" }]);
        await chat.clearPosted();
        await page.locator(".history-open", { hasText: "Debounce the save" }).click();
        assert.deepEqual(await chat.posted(), [{ type: "openConversation", id: "c1" }]);
        assert.ok(await page.locator("#conversation").isVisible(), "opening a conversation closes the history");

        // Errors: shown in the conversation with their actions.
        await chat.send({
            type: "error",
            message: "The engine stopped: restart it.",
            actions: [
                { command: "hearth.restartEngine", label: "Restart Engine" },
                { command: "hearth.showLog", label: "Show Log" },
            ],
        });
        const error = page.locator("#conversation .error-message");
        await error.waitFor();
        await chat.clearPosted();
        await error.getByRole("button", { name: "Show Log" }).click();
        await error.getByRole("button", { name: "Restart Engine" }).click();
        assert.deepEqual(await chat.posted(), [
            { type: "runAction", command: "hearth.showLog" },
            { type: "runAction", command: "hearth.restartEngine" },
        ]);
        await error.getByRole("button", { name: "Dismiss Error" }).click();
        assert.equal(await error.count(), 0);
        await assertClean(chat);
    });

    it("history works from the keyboard: open, confirm or cancel a delete, close with Escape", async () => {
        chat = await openChatPage(browser, server);
        const now = Date.now();
        await chat.send(
            init(conversation("c1", []), {
                history: [
                    { id: "c1", title: "First", updatedAt: now, messageCount: 1 },
                    { id: "c2", title: "Second", updatedAt: now - 3600_000, messageCount: 2 },
                ],
            }),
        );
        const page = chat.page;
        const focusedLabel = (): Promise<string> =>
            page.evaluate<string>(`document.activeElement.getAttribute("aria-label") || document.activeElement.textContent.trim()`);
        await page.getByRole("button", { name: "Show History" }).focus();
        await page.keyboard.press("Enter");
        await until(async () => (await focusedLabel()).startsWith("First, just now"), "the first conversation to take focus");
        assert.equal(await page.getByRole("button", { name: "Show History" }).getAttribute("aria-expanded"), "true");
        await page.keyboard.press("Tab"); // its delete button
        await page.keyboard.press("Tab"); // the second conversation
        await page.keyboard.press("Tab"); // its delete button
        assert.equal(await focusedLabel(), "Delete Second");
        await page.keyboard.press("Enter");
        assert.equal(await focusedLabel(), "Delete Second", "focus moves to the confirming Delete button");
        assert.ok(await page.locator(".history-confirm", { hasText: "Delete “Second”?" }).isVisible());
        await chat.clearPosted();
        await page.keyboard.press("Escape");
        assert.equal(await page.locator(".history-confirm").count(), 0, "Escape cancels the delete");
        assert.equal(await focusedLabel(), "Delete Second", "and focus returns to the delete button");
        await page.keyboard.press("Escape");
        assert.ok(await page.locator("#conversation").isVisible(), "a second Escape closes the history");
        assert.equal(await focusedLabel(), "Show History");
        await page.keyboard.press("Enter");
        await until(async () => (await focusedLabel()).startsWith("First"), "the history to open again");
        await page.keyboard.press("Tab");
        await page.keyboard.press("Tab");
        await page.keyboard.press("Enter");
        await until(async () => (await focusedLabel()) === "Message to Hearth", "focus to move to the input after opening a conversation");
        assert.deepEqual(await chat.posted(), [{ type: "openConversation", id: "c2" }]);
        await assertClean(chat);
    });

    it("drops malformed messages with a warning and keeps working", async () => {
        chat = await openChatPage(browser, server);
        await chat.send(init(conversation("c1", [{ id: "u", role: "user", text: "before" }])));
        await chat.page.locator(".message-user").waitFor();
        const junk: unknown[] = [
            { type: "nope" },
            { type: "answer" },
            "a string",
            null,
            42,
            [{ type: "init" }],
            { type: "init" },
            { type: "message", conversationId: "c1", message: { id: "x", role: "hacker", text: "<b>x</b>" } },
            { type: "answer", conversationId: "c1", messageId: "m", text: 5, state: "done" },
            { type: "answer", conversationId: "c1", messageId: "m", text: "x", state: "exploded" },
            { type: "error", message: "x", actions: [{ command: 1, label: "run" }] },
            { type: "chips", chips: [{ id: "k", kind: "folder", label: "x" }] },
            { type: "__proto__" },
            { type: "toString" },
        ];
        await chat.send(...junk);
        await until(
            () => Promise.resolve((chat?.warnings.filter((warning) => warning.includes("dropped a malformed message")).length ?? 0) >= junk.length),
            "a warning for each malformed message",
        );
        assert.equal(await chat.page.locator(".message").count(), 1, "nothing was rendered from them");
        await chat.send({ type: "message", conversationId: "c1", message: { id: "u2", role: "user", text: "after" } });
        await chat.page.locator(".message-user", { hasText: "after" }).waitFor();
        await assertClean(chat);
    });

    it("looks like a VS Code panel in Dark Modern (screenshot)", async () => {
        chat = await openChatPage(browser, server);
        const answerText = [
            "The save runs on every keystroke because `onDidChange` calls `persist()` directly. Debounce it, and flush on dispose:",
            "",
            "```ts",
            "private readonly save = debounce(() => this.persist(), 300);",
            "",
            "dispose(): void {",
            "    this.save.flush(); // nothing typed is lost",
            "}",
            "```",
            "",
            "- `debounce` waits **300 ms** after the last change",
            "- `flush()` writes at once when the view closes",
            "",
            "See [the VS Code API](https://code.visualstudio.com/api) for `Disposable`.",
        ].join("\n");
        await chat.send(
            init(
                conversation("c1", [
                    { id: "u1", role: "user", text: "Why does inventory.ts save on every keystroke?\n\n— with inventory.ts:12-30" },
                    { id: "a1", role: "assistant", text: answerText, state: "done" },
                    {
                        id: "n1",
                        role: "note",
                        text: "The 2 oldest messages were left out of this answer's prompt so the conversation fits the model's context.",
                    },
                    { id: "u2", role: "user", text: "Can it cancel the pending save on dispose instead?" },
                    { id: "a2", role: "assistant", text: "Yes: call `cancel()` rather than `flush()` when", state: "streaming" },
                ]),
                {
                    chips: [
                        { id: "k1", kind: "selection", label: "inventory.ts:12-30" },
                        { id: "k2", kind: "file", label: "debounce.ts", trimmedNote: "first 200 of 540 lines" },
                    ],
                },
            ),
        );
        await chat.page.locator(".message-assistant .code-block").first().waitFor();
        await chat.page.evaluate(() => (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document.fonts.ready);
        await frames(chat);
        await chat.page.locator("#chat-input").focus();
        const file = await chat.screenshot("chat-rendering");
        assert.ok(file.endsWith("chat-rendering.png"));

        await chat.page.getByRole("button", { name: "Show History" }).click();
        await chat.send({
            type: "history",
            history: [
                { id: "c1", title: "Why does inventory.ts save on every keystroke?", updatedAt: Date.now() - 2 * 60_000, messageCount: 5 },
                { id: "c2", title: "Parser error recovery", updatedAt: Date.now() - 3 * 3600_000, messageCount: 8 },
                { id: "c3", title: "Rust lifetimes in the cache", updatedAt: Date.now() - 4 * 86400_000, messageCount: 3 },
            ],
        });
        await chat.page.locator(".history-open").nth(2).waitFor();
        await chat.screenshot("chat-rendering-history");
        await assertClean(chat);
    });
});
