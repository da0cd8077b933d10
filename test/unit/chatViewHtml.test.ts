// The chat view's HTML and CSP (src/extension/chat/chatViewHtml.ts): the one function ChatView and the UI test
// page (test/ui/chatRenderingPage.ts) both build the page with. Runs without VS Code: the module must not
// import it.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { chatViewCsp, chatViewHtml, createNonce, type ChatViewHtmlSources } from "../../src/extension/chat/chatViewHtml";

const sources: ChatViewHtmlSources = {
    cspSource: "https://*.vscode-cdn.net",
    nonce: "AbCdEfGhIjKlMnOpQrStUvWx",
    scriptUri: "https://file%2B.vscode-resource.vscode-cdn.net/ext/dist/webview.js",
    codiconsUri: "https://file%2B.vscode-resource.vscode-cdn.net/ext/dist/codicons/codicon.css",
    styleUri: "https://file%2B.vscode-resource.vscode-cdn.net/ext/media/chat.css",
};

/** The CSP the page declares in its meta tag (there must be exactly one). */
function declaredCsp(html: string): string {
    const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g)];
    assert.equal(metas.length, 1, "one CSP meta tag");
    return metas[0][1];
}

/** Directive name → its sources. */
function directives(csp: string): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const part of csp
        .split(";")
        .map((text) => text.trim())
        .filter((text) => text !== "")) {
        const [name, ...values] = part.split(/\s+/);
        assert.ok(!map.has(name), `directive ${name} given once`);
        map.set(name, values);
    }
    return map;
}

describe("chat view HTML and CSP (chatViewHtml)", () => {
    it("declares default-src 'none' and allows neither 'unsafe-inline' nor 'unsafe-eval'", () => {
        const csp = declaredCsp(chatViewHtml(sources));
        const parsed = directives(csp);
        assert.deepEqual(parsed.get("default-src"), ["'none'"]);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|unsafe-hashes|strict-dynamic|\*(?!\.)/, csp);
        assert.deepEqual(parsed.get("script-src"), [`'nonce-${sources.nonce}'`], "scripts only by the nonce");
        assert.deepEqual(parsed.get("style-src"), [sources.cspSource, `'nonce-${sources.nonce}'`]);
        assert.deepEqual(parsed.get("font-src"), [sources.cspSource]);
        assert.deepEqual(parsed.get("img-src"), [sources.cspSource, "data:"]);
        assert.deepEqual([...parsed.keys()].sort(), ["default-src", "font-src", "img-src", "script-src", "style-src"]);
    });

    it("declares the same CSP as chatViewCsp", () => {
        assert.equal(declaredCsp(chatViewHtml(sources)), chatViewCsp(sources.cspSource, sources.nonce));
    });

    it("gives every script and stylesheet the nonce, and has no inline script, style or handler", () => {
        const html = chatViewHtml(sources);
        const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
        assert.equal(scripts.length, 1, "one script");
        assert.equal(scripts[0][1], ` nonce="${sources.nonce}" src="${sources.scriptUri}"`);
        assert.equal(scripts[0][2], "", "the script is loaded, not inline");
        assert.equal((html.match(/<script\b/g) ?? []).length, 1);
        const links = [...html.matchAll(/<link\b([^>]*)>/g)].map((match) => match[1]);
        assert.deepEqual(links, [
            ` rel="stylesheet" nonce="${sources.nonce}" href="${sources.codiconsUri}"`,
            ` rel="stylesheet" nonce="${sources.nonce}" href="${sources.styleUri}"`,
        ]);
        assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
    });

    it("puts the values passed in the page, each where it belongs", () => {
        const html = chatViewHtml(sources);
        assert.ok(html.startsWith("<!DOCTYPE html>"));
        assert.ok(html.includes(`src="${sources.scriptUri}"`));
        assert.ok(html.includes(`href="${sources.codiconsUri}"`));
        assert.ok(html.includes(`href="${sources.styleUri}"`));
        assert.equal(html.split(`nonce="${sources.nonce}"`).length - 1, 3, "the nonce on the script and both stylesheets");
        assert.ok(html.includes('<div id="root"></div>'));
        const other = chatViewHtml({
            cspSource: "http://127.0.0.1:4321",
            nonce: "ZZZZZZZZZZZZZZZZZZZZZZZZ",
            scriptUri: "http://127.0.0.1:4321/dist/webview.js",
            codiconsUri: "http://127.0.0.1:4321/c.css",
            styleUri: "http://127.0.0.1:4321/s.css",
        });
        assert.equal(
            declaredCsp(other),
            "default-src 'none'; style-src http://127.0.0.1:4321 'nonce-ZZZZZZZZZZZZZZZZZZZZZZZZ'; font-src http://127.0.0.1:4321; img-src http://127.0.0.1:4321 data:; script-src 'nonce-ZZZZZZZZZZZZZZZZZZZZZZZZ'",
        );
        for (const value of [sources.cspSource, sources.nonce, sources.scriptUri, sources.codiconsUri, sources.styleUri])
            assert.ok(!other.includes(value), `nothing of the first page in the second: ${value}`);
    });

    it("accepts a cspSource of several sources, as some VS Code versions give", () => {
        const csp = chatViewCsp("'self' https://*.vscode-cdn.net", sources.nonce);
        assert.deepEqual(directives(csp).get("font-src"), ["'self'", "https://*.vscode-cdn.net"]);
    });

    it("makes a fresh base64 nonce of 18 random bytes each time", () => {
        const nonces = new Set(Array.from({ length: 50 }, () => createNonce()));
        assert.equal(nonces.size, 50);
        for (const nonce of nonces) {
            assert.match(nonce, /^[A-Za-z0-9+/]{24}$/);
            assert.equal(Buffer.from(nonce, "base64").length, 18);
            chatViewHtml({ ...sources, nonce }); // accepted
        }
    });

    it("refuses values that would end an attribute or tag, or add to the CSP", () => {
        const bad: Partial<ChatViewHtmlSources>[] = [
            { scriptUri: 'x" onload="alert(1)' },
            { codiconsUri: "x><script>alert(1)</script>" },
            { styleUri: "" },
            { styleUri: "a b" },
            { cspSource: "https://a; script-src 'unsafe-inline'" },
            { cspSource: "https://a, script-src *" },
            { cspSource: '"><script>' },
            { cspSource: " " },
            { nonce: "" },
            { nonce: "short" },
            { nonce: "AbCdEfGhIjKlMnOpQrStUvWx' 'unsafe-inline" },
            { nonce: 'AbCdEfGhIjKlMnOpQrStUvWx"' },
        ];
        for (const change of bad) assert.throws(() => chatViewHtml({ ...sources, ...change }), /Chat view HTML/, JSON.stringify(change));
    });

    it("does not import vscode, so a plain browser test page can use it", () => {
        const compiled = path.join(__dirname, "..", "..", "src", "extension", "chat", "chatViewHtml.js");
        const text = fs.readFileSync(compiled, "utf8");
        assert.doesNotMatch(text, /require\(["']vscode["']\)/);
    });
});
