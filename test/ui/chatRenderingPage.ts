// Serves the chat webview exactly as the extension does, from a loopback server, and opens it in headless
// Chromium: the HTML and CSP come from the production function (src/extension/chat/chatViewHtml.ts, which
// ChatView calls too) with a fresh nonce per load, and the files are the built dist/webview.js, media/chat.css
// and codicons. The only stand-in is `acquireVsCodeApi`, which VS Code provides to a webview and a plain
// browser lacks: the test harness's init script (see vscodeApiStub) records what the view posts and keeps its
// state in sessionStorage (so a reload keeps it, as VS Code does). The test talks to the view the way VS Code
// does: `window.postMessage(message)`.
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { chatViewHtml, createNonce } from "../../src/extension/chat/chatViewHtml";
import type { FromWebview } from "../../src/protocol/chatViewProtocol";
import { loadCodeServer } from "../vscode/vscodeChoice";

const repoRoot = path.resolve(__dirname, "../../..");
const artifactsDir = path.join(repoRoot, "test-artifacts");
const webviewJs = path.join(repoRoot, "dist", "webview.js");

/** Fails clearly when dist/webview.js is missing or older than its sources. */
export function assertWebviewBuilt(): void {
    if (!fs.existsSync(webviewJs)) {
        throw new Error("dist/webview.js is missing: build it with `node esbuild.js` (npm test builds it before the tests).");
    }
    const built = fs.statSync(webviewJs).mtimeMs;
    const sources = [
        path.join(repoRoot, "src", "protocol", "chatViewProtocol.ts"),
        ...fs
            .readdirSync(path.join(repoRoot, "src", "webview"))
            .filter((name) => name.endsWith(".ts"))
            .map((name) => path.join(repoRoot, "src", "webview", name)),
    ];
    const newer = sources.find((file) => fs.statSync(file).mtimeMs > built);
    if (newer !== undefined) throw new Error(`dist/webview.js is older than ${path.relative(repoRoot, newer)}: rebuild it with \`node esbuild.js\`.`);
}

/** VS Code's Dark Modern colours for the variables the view uses (VS Code sets them on <html>). */
const darkModern: Readonly<Record<string, string>> = {
    "--vscode-font-family": 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
    "--vscode-font-size": "13px",
    "--vscode-font-weight": "normal",
    "--vscode-editor-font-family": '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
    "--vscode-editor-font-size": "13px",
    "--vscode-editor-font-weight": "normal",
    "--vscode-foreground": "#cccccc",
    "--vscode-descriptionForeground": "#9d9d9d",
    "--vscode-errorForeground": "#f85149",
    "--vscode-focusBorder": "#0078d4",
    "--vscode-icon-foreground": "#cccccc",
    "--vscode-sideBar-background": "#181818",
    "--vscode-sideBarSectionHeader-border": "#2b2b2b",
    "--vscode-panel-border": "#2b2b2b",
    "--vscode-widget-border": "#313131",
    "--vscode-editorWidget-background": "#202020",
    "--vscode-editorWidget-border": "#454545",
    "--vscode-editor-background": "#1f1f1f",
    "--vscode-editor-foreground": "#cccccc",
    "--vscode-textLink-foreground": "#4daafc",
    "--vscode-textLink-activeForeground": "#4daafc",
    "--vscode-textPreformat-foreground": "#d0d0d0",
    "--vscode-textPreformat-background": "#3c3c3c",
    "--vscode-textCodeBlock-background": "#2b2b2b",
    "--vscode-textBlockQuote-background": "#2b2b2b",
    "--vscode-textBlockQuote-border": "#616161",
    "--vscode-button-background": "#0078d4",
    "--vscode-button-foreground": "#ffffff",
    "--vscode-button-hoverBackground": "#026ec1",
    "--vscode-button-border": "#ffffff12",
    "--vscode-button-secondaryBackground": "#313131",
    "--vscode-button-secondaryForeground": "#cccccc",
    "--vscode-button-secondaryHoverBackground": "#3c3c3c",
    "--vscode-input-background": "#313131",
    "--vscode-input-foreground": "#cccccc",
    "--vscode-input-border": "#3c3c3c",
    "--vscode-input-placeholderForeground": "#989898",
    "--vscode-inputOption-activeBackground": "#2489db82",
    "--vscode-inputOption-activeBorder": "#2488db",
    "--vscode-inputOption-activeForeground": "#ffffff",
    "--vscode-inputValidation-errorBackground": "#5a1d1d",
    "--vscode-inputValidation-errorBorder": "#be1100",
    "--vscode-toolbar-hoverBackground": "#5a5d5e50",
    "--vscode-toolbar-activeBackground": "#63666750",
    "--vscode-list-hoverBackground": "#2a2d2e",
    "--vscode-list-inactiveSelectionBackground": "#37373d",
    "--vscode-editorWarning-foreground": "#cca700",
    "--vscode-charts-orange": "#d18616",
    "--vscode-chat-requestBackground": "#1f1f1f9e",
    "--vscode-chat-requestBorder": "#ffffff1a",
    "--vscode-debugTokenExpression-name": "#c586c0",
    "--vscode-debugTokenExpression-string": "#ce9178",
    "--vscode-debugTokenExpression-boolean": "#4e94ce",
    "--vscode-debugTokenExpression-number": "#b5cea8",
    "--vscode-symbolIcon-classForeground": "#ee9d28",
    "--vscode-symbolIcon-functionForeground": "#b180d7",
    "--vscode-symbolIcon-variableForeground": "#75beff",
    "--vscode-gitDecoration-addedResourceForeground": "#81b88b",
    "--vscode-gitDecoration-deletedResourceForeground": "#c74e39",
    "--vscode-scrollbarSlider-background": "#79797966",
    "--vscode-scrollbarSlider-hoverBackground": "#646464b3",
    "--vscode-scrollbarSlider-activeBackground": "#bfbfbf66",
};

/**
 * The page ChatView serves, built by the same function (chatViewHtml) with this server as the webview's
 * cspSource and these paths as its resource URIs: same markup, same CSP, a fresh nonce per load.
 */
function pageHtml(origin: string): string {
    return chatViewHtml({
        cspSource: origin,
        nonce: createNonce(),
        scriptUri: `${origin}/dist/webview.js`,
        codiconsUri: `${origin}/dist/codicons/codicon.css`,
        styleUri: `${origin}/media/chat.css`,
    });
}

const codiconsDir = path.join(repoRoot, "node_modules", "@vscode", "codicons", "dist");
const staticFiles: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
    "/dist/webview.js": { file: webviewJs, type: "text/javascript" },
    "/media/chat.css": { file: path.join(repoRoot, "media", "chat.css"), type: "text/css" },
    "/dist/codicons/codicon.css": { file: path.join(codiconsDir, "codicon.css"), type: "text/css" },
    "/dist/codicons/codicon.ttf": { file: path.join(codiconsDir, "codicon.ttf"), type: "font/ttf" },
};
const pagePath = "/chat.html";
/** What the page may fetch; anything else (an <img src>, say) is a finding. */
export const expectedRequests: ReadonlySet<string> = new Set([pagePath, ...Object.keys(staticFiles), "/favicon.ico"]);

/**
 * The acquireVsCodeApi stand-in: the test harness, not part of the page. Playwright's addInitScript runs it
 * in the page before any of the page's own scripts (as VS Code's webview host defines acquireVsCodeApi before
 * the view's script runs), and it goes in neither the markup nor the CSP: the page served stays byte for byte
 * what chatViewHtml produces, its CSP unchanged (no extra source or nonce'd script tag for the harness), and
 * documentProblems() can still demand that the document holds exactly one script, the view's own.
 */
const vscodeApiStub = `(() => {
    const posted = [];
    const key = "hearth-test:vscode-state";
    let acquired = false;
    Object.defineProperty(window, "__hearthPosted", { value: posted });
    window.acquireVsCodeApi = () => {
        if (acquired) throw new Error("An instance of the VS Code API has already been acquired");
        acquired = true;
        return Object.freeze({
            postMessage: (message) => { posted.push(JSON.parse(JSON.stringify(message))); },
            getState: () => { const saved = sessionStorage.getItem(key); return saved === null ? undefined : JSON.parse(saved); },
            setState: (state) => { sessionStorage.setItem(key, JSON.stringify(state)); return state; },
        });
    };
})();`;

export interface ChatServer {
    readonly origin: string;
    readonly requests: string[];
    close(): Promise<void>;
}

export async function startChatServer(): Promise<ChatServer> {
    const requests: string[] = [];
    let origin = "";
    const server = http.createServer((request, response) => {
        const url = new URL(request.url ?? "/", origin);
        requests.push(url.pathname);
        if (url.pathname === pagePath) {
            response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
            response.end(pageHtml(origin));
            return;
        }
        if (url.pathname === "/favicon.ico") {
            response.writeHead(204).end(); // a webview has none; Chromium asks anyway
            return;
        }
        const entry = staticFiles[url.pathname];
        if (entry === undefined) {
            response.writeHead(404).end();
            return;
        }
        response.writeHead(200, { "content-type": entry.type, "cache-control": "no-store" });
        fs.createReadStream(entry.file).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        origin,
        requests,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

export async function launchBrowser(): Promise<Browser> {
    const cs = await loadCodeServer();
    return chromium.launch({ executablePath: cs.chromiumPath() ?? "/usr/bin/chromium", headless: true, args: [...cs.CHROMIUM_ARGS] });
}

/** In-page probes, installed after load (they observe; they change nothing the view does). */
const probesSource = `(() => {
    const config = __CONFIG__;
    const allowedTags = new Set(config.tags);
    const allowedAttributes = new Set(config.attributes);
    const violations = [];
    const describe = (element) => "<" + element.tagName.toLowerCase() + (element.className && typeof element.className === "string" ? "." + element.className.split(" ").join(".") : "") + ">";
    const check = (element) => {
        const problems = [];
        const tag = element.tagName.toLowerCase();
        if (!allowedTags.has(tag)) problems.push("element " + describe(element));
        for (const name of element.getAttributeNames()) {
            if (/^on/i.test(name)) problems.push("event handler attribute " + name + " on " + describe(element));
            else if (name === "style") problems.push("style attribute on " + describe(element) + ": " + element.getAttribute(name));
            else if (!allowedAttributes.has(name)) problems.push("attribute " + name + " on " + describe(element));
        }
        if (tag === "a" && element.hasAttribute("href")) {
            const href = element.getAttribute("href");
            let protocol = "";
            try { protocol = new URL(href).protocol; } catch { protocol = "unparsable"; }
            if (!/^(https?:\\/\\/|mailto:)/i.test(href) || !["http:", "https:", "mailto:"].includes(protocol)) problems.push("link to " + JSON.stringify(href));
        }
        if (tag === "button" && element.closest(".markdown") !== null && element.closest(".code-header") === null) problems.push("a button inside rendered markdown");
        return problems;
    };
    const root = () => document.getElementById("conversation");
    const checkTree = (node) => {
        if (node.nodeType !== 1) return;
        for (const problem of [node, ...node.querySelectorAll("*")].flatMap(check)) if (!violations.includes(problem)) violations.push(problem);
    };
    new MutationObserver((records) => {
        for (const record of records) {
            if (record.type === "attributes") checkTree(record.target);
            for (const node of record.addedNodes) checkTree(node);
        }
    }).observe(root(), { subtree: true, childList: true, attributes: true });
    let counting;
    window.__hearthProbes = {
        /** Every element now in the conversation, checked. */
        audit: () => [...root().querySelectorAll("*")].flatMap(check),
        /** Problems seen in anything added to the conversation since load (even if removed since). */
        violations: () => violations.slice(),
        /** Elements the whole document must never contain, wherever they come from. */
        documentProblems: () => {
            const problems = [];
            for (const element of document.querySelectorAll("script, iframe, frame, object, embed, img, svg, math, style, form, input:not(#chat-input), meta, link, base, video, audio, source, picture, template, noscript, textarea")) {
                const ok = (element.tagName === "SCRIPT" && element.parentElement === document.body && document.scripts.length === 1)
                    || (element.tagName === "META" && element.parentElement === document.head)
                    || (element.tagName === "LINK" && element.parentElement === document.head && element.rel === "stylesheet")
                    || (element.tagName === "TEXTAREA" && element.id === "chat-input");
                if (!ok) problems.push(describe(element));
            }
            for (const element of document.querySelectorAll("*")) {
                for (const name of element.getAttributeNames()) if (/^on/i.test(name)) problems.push(name + " on " + describe(element));
            }
            return problems;
        },
        /** Counts DOM mutation batches (renders) under the selector, and which messages they touched. */
        startCounting: (selector) => {
            const target = document.querySelector(selector);
            counting = { batches: 0, messages: new Set(), observer: new MutationObserver((records) => {
                counting.batches++;
                for (const record of records) {
                    const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
                    const message = node && node.closest(".message");
                    counting.messages.add(message ? [...message.parentElement.children].indexOf(message) : -1);
                }
            }) };
            counting.observer.observe(target, { subtree: true, childList: true, characterData: true, attributes: true });
        },
        stopCounting: () => {
            counting.observer.disconnect();
            return { batches: counting.batches, messages: [...counting.messages].sort((a, b) => a - b) };
        },
        /**
         * Posts the messages (the last one finishing the answer at the selector), then, for an answer that
         * streams, each of its growing prefixes a frame apart; resolves once the answer is done and nothing in
         * the conversation changed for quietMs. Measures in the page: time to the last change, the longest task
         * (the longest the page could not respond), the answer's elements and code blocks.
         */
        measureRender: (messages, selector, quietMs, stream) => new Promise((resolve) => {
            const longTasks = [];
            let observer;
            try {
                observer = new PerformanceObserver((list) => { for (const entry of list.getEntries()) longTasks.push(entry.duration); });
                observer.observe({ type: "longtask" });
            } catch { observer = undefined; }
            let last = performance.now();
            const mutations = new MutationObserver(() => { last = performance.now(); });
            mutations.observe(root(), { subtree: true, childList: true, characterData: true, attributes: true });
            const start = performance.now();
            const frame = () => new Promise((next) => requestAnimationFrame(() => requestAnimationFrame(next)));
            const send = async () => {
                for (const message of messages) window.postMessage(message, "*");
                if (stream === undefined) return;
                for (let step = 1; step <= stream.steps; step++) {
                    await frame();
                    const text = stream.text.slice(0, Math.ceil((stream.text.length * step) / stream.steps));
                    window.postMessage({ type: "answer", conversationId: stream.conversationId, messageId: stream.messageId, text, state: step === stream.steps ? "done" : "streaming" }, "*");
                }
            };
            let sent = false;
            void send().then(() => { sent = true; });
            const tick = () => {
                const body = document.querySelector(selector);
                if (sent && body !== null && body.getAttribute("aria-busy") === "false" && performance.now() - last > quietMs) {
                    mutations.disconnect();
                    if (observer !== undefined) observer.disconnect();
                    resolve({ ms: last - start, longestTaskMs: Math.max(0, ...longTasks), elements: body.querySelectorAll("*").length, codeBlocks: body.querySelectorAll(".code-block").length });
                } else setTimeout(tick, 25);
            };
            setTimeout(tick, 0);
        }),
    };
})();`;

/** The conversation area may contain these elements: markdown output plus the view's own chrome. */
const allowedConversationTags: readonly string[] = [
    // markdown-it output
    "p",
    "pre",
    "code",
    "span",
    "a",
    "em",
    "strong",
    "s",
    "del",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
    // the view's chrome: message frames, code block headers, icons, buttons
    "div",
    "button",
    "i",
];
/** Attributes anything in the conversation area may carry (no on*, no style, no src of any kind). */
const allowedConversationAttributes: readonly string[] = [
    "class",
    "href",
    "title",
    "start",
    "data-code",
    "data-lang",
    "data-code-action",
    "id",
    "role",
    "type",
    "tabindex",
    "disabled",
    "hidden",
    "aria-label",
    "aria-hidden",
    "aria-busy",
    "aria-live",
    "aria-relevant",
];

interface CountResult {
    readonly batches: number;
    readonly messages: readonly number[];
}

/** How an answer's render went, measured in the page (see `measureRender`). */
interface RenderMeasure {
    /** From posting the first message to the last change in the conversation. */
    readonly ms: number;
    /** The longest task the page ran meanwhile (the longest it could not respond), 0 when none took 50 ms. */
    readonly longestTaskMs: number;
    /** Elements in the answer's body, and code blocks among them. */
    readonly elements: number;
    readonly codeBlocks: number;
}

/** An answer to stream after the messages: its text in `steps` growing prefixes a frame apart, the last one done. */
interface StreamPlan {
    readonly conversationId: string;
    readonly messageId: string;
    readonly text: string;
    readonly steps: number;
}

export interface ChatPage {
    readonly page: Page;
    readonly consoleErrors: string[];
    readonly warnings: string[];
    readonly pageErrors: string[];
    readonly dialogs: string[];
    readonly popups: string[];
    /** Posts messages to the view the way VS Code does. Each should be a ToWebview; tests also send junk. */
    send(...messages: unknown[]): Promise<void>;
    posted(): Promise<FromWebview[]>;
    clearPosted(): Promise<void>;
    /** Waits for a message the view posted that matches. */
    waitForPosted(match: (message: FromWebview) => boolean, what: string, timeoutMs?: number): Promise<FromWebview>;
    audit(): Promise<string[]>;
    violations(): Promise<string[]>;
    documentProblems(): Promise<string[]>;
    pwned(): Promise<unknown>;
    startCounting(selector: string): Promise<void>;
    stopCounting(): Promise<CountResult>;
    /** Posts the messages (then streams `stream`, if given) and measures the render of the answer at `selector` once it is done and quiet. */
    measureRender(
        messages: readonly unknown[],
        selector: string,
        options?: { readonly quietMs?: number; readonly stream?: StreamPlan },
    ): Promise<RenderMeasure>;
    reload(): Promise<void>;
    screenshot(name: string): Promise<string>;
    close(): Promise<void>;
}

/** The page's window as the probes see it (page.evaluate functions run in the page: no module scope there). */
interface ProbeWindow {
    readonly __hearthPosted: FromWebview[];
    readonly __pwned?: unknown;
    readonly __hearthProbes: {
        audit(): string[];
        violations(): string[];
        documentProblems(): string[];
        startCounting(selector: string): void;
        stopCounting(): CountResult;
        measureRender(messages: readonly unknown[], selector: string, quietMs: number, stream: StreamPlan | undefined): Promise<RenderMeasure>;
    };
    postMessage(message: unknown, targetOrigin: string): void;
}
interface ThemeDocument {
    readonly documentElement: { readonly style: { setProperty(name: string, value: string): void } };
}

export async function until<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
}

/** Opens the chat page in a fresh browser context (fresh state) and waits for the view's `ready`. */
export async function openChatPage(browser: Browser, server: ChatServer, viewport = { width: 440, height: 860 }): Promise<ChatPage> {
    const context: BrowserContext = await browser.newContext({ viewport, locale: "en-US", colorScheme: "dark", reducedMotion: "reduce" });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const warnings: string[] = [];
    const pageErrors: string[] = [];
    const dialogs: string[] = [];
    const popups: string[] = [];
    page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
        if (message.type() === "warning") warnings.push(message.text());
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("dialog", (dialog) => {
        dialogs.push(`${dialog.type()}: ${dialog.message()}`);
        void dialog.dismiss().catch(() => undefined);
    });
    page.on("popup", (popup) => popups.push(popup.url()));
    await page.addInitScript(vscodeApiStub);

    const load = async (): Promise<void> => {
        await page.goto(server.origin + pagePath);
        await until(
            () => page.evaluate(() => (globalThis as unknown as ProbeWindow).__hearthPosted.some((message) => message.type === "ready")),
            "the view to post ready",
        );
        await page.evaluate((variables) => {
            const root = (globalThis as unknown as { document: ThemeDocument }).document.documentElement;
            for (const [name, value] of Object.entries(variables)) root.style.setProperty(name, value);
            root.style.setProperty("background-color", variables["--vscode-sideBar-background"] ?? "");
        }, darkModern);
        await page.evaluate(probesSource.replace("__CONFIG__", JSON.stringify({ tags: allowedConversationTags, attributes: allowedConversationAttributes })));
    };
    await load();

    const chat: ChatPage = {
        page,
        consoleErrors,
        warnings,
        pageErrors,
        dialogs,
        popups,
        send: (...messages) =>
            page.evaluate((list) => {
                for (const message of list) (globalThis as unknown as ProbeWindow).postMessage(message, "*");
            }, messages),
        posted: () => page.evaluate(() => (globalThis as unknown as ProbeWindow).__hearthPosted.slice()),
        clearPosted: () =>
            page.evaluate(() => {
                (globalThis as unknown as ProbeWindow).__hearthPosted.length = 0;
            }),
        waitForPosted: (match, what, timeoutMs = 5000) => until(async () => (await chat.posted()).find(match), `the view to post ${what}`, timeoutMs),
        audit: () => page.evaluate(() => (globalThis as unknown as ProbeWindow).__hearthProbes.audit()),
        violations: () => page.evaluate(() => (globalThis as unknown as ProbeWindow).__hearthProbes.violations()),
        documentProblems: () => page.evaluate(() => (globalThis as unknown as ProbeWindow).__hearthProbes.documentProblems()),
        pwned: () => page.evaluate(() => (globalThis as unknown as ProbeWindow).__pwned),
        startCounting: (selector) => page.evaluate((s) => (globalThis as unknown as ProbeWindow).__hearthProbes.startCounting(s), selector),
        stopCounting: () => page.evaluate(() => (globalThis as unknown as ProbeWindow).__hearthProbes.stopCounting()),
        measureRender: (messages, selector, options = {}) =>
            page.evaluate(
                ([list, target, quietMs, stream]) =>
                    (globalThis as unknown as ProbeWindow).__hearthProbes.measureRender(list, target, quietMs, stream ?? undefined),
                [messages, selector, options.quietMs ?? 400, options.stream ?? null] as const,
            ),
        reload: load,
        async screenshot(name) {
            fs.mkdirSync(artifactsDir, { recursive: true });
            const file = path.join(artifactsDir, `${name}.png`);
            await page.screenshot({ path: file });
            return file;
        },
        close: () => context.close(),
    };
    return chat;
}
