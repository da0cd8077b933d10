// The chat view's HTML and Content-Security-Policy, in one place. A plain module (no `vscode` import) so that
// ChatView (src/extension/chat/chatView.ts) and the UI test page (test/ui/chatRenderingPage.ts) build the page
// with the same function: the test serves exactly the production markup and CSP, with its own server's URLs.
import { randomBytes } from "node:crypto";

/** What the page is built from: plain strings (ChatView gets them from its vscode.Webview). */
export interface ChatViewHtmlSources {
    /** Where the webview may load resources from: the webview's `cspSource`. Goes into the CSP as is. */
    readonly cspSource: string;
    /** The page load's nonce (see `createNonce`): the only way a script or stylesheet is allowed to run. */
    readonly nonce: string;
    /** The URI of the built webview script (dist/webview.js). */
    readonly scriptUri: string;
    /** The URI of the codicons stylesheet (dist/codicons/codicon.css). */
    readonly codiconsUri: string;
    /** The URI of the view's stylesheet (media/chat.css). */
    readonly styleUri: string;
}

/** A fresh nonce for one page load: 18 random bytes in base64 (24 characters, no padding). */
export function createNonce(): string {
    return randomBytes(18).toString("base64");
}

/**
 * The page's CSP: nothing by default; stylesheets and fonts only from the webview's resources; images from
 * there or data: URIs; scripts only with the nonce. No 'unsafe-inline', no 'unsafe-eval'.
 */
export function chatViewCsp(cspSource: string, nonce: string): string {
    checkCspSource(cspSource);
    checkNonce(nonce);
    return [
        "default-src 'none'",
        `style-src ${cspSource} 'nonce-${nonce}'`,
        `font-src ${cspSource}`,
        `img-src ${cspSource} data:`,
        `script-src 'nonce-${nonce}'`,
    ].join("; ");
}

/** The chat view's whole HTML document: the CSP, the two stylesheets, an empty root and the one script. */
export function chatViewHtml(sources: ChatViewHtmlSources): string {
    const { nonce } = sources;
    const csp = chatViewCsp(sources.cspSource, nonce);
    const script = checkUri("scriptUri", sources.scriptUri);
    const codicons = checkUri("codiconsUri", sources.codiconsUri);
    const css = checkUri("styleUri", sources.styleUri);
    return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${codicons}"><link rel="stylesheet" nonce="${nonce}" href="${css}">
<title>Hearth Chat</title></head>
<body><div id="root"></div><script nonce="${nonce}" src="${script}"></script></body></html>`;
}

// The values go into double-quoted attributes unescaped (a webview URI is already percent-encoded), so refuse,
// loudly, anything that could end the attribute or the tag, or add a directive or policy to the CSP.
const attributeBreakers = /["<>\s]/;

function checkUri(name: string, uri: string): string {
    if (uri === "" || attributeBreakers.test(uri)) throw new Error(`Chat view HTML: ${name} is not a usable URI: ${JSON.stringify(uri)}`);
    return uri;
}

function checkCspSource(cspSource: string): void {
    // A cspSource may hold several space-separated sources ("'self' https://*.vscode-cdn.net").
    if (cspSource.trim() === "" || /["<>;,\r\n]/.test(cspSource))
        throw new Error(`Chat view HTML: cspSource is not a usable CSP source: ${JSON.stringify(cspSource)}`);
}

function checkNonce(nonce: string): void {
    if (!/^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(nonce)) throw new Error(`Chat view HTML: the nonce is not a base64 value: ${JSON.stringify(nonce)}`);
}
