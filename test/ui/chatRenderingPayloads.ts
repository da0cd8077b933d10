// Hostile text for the chat view: each is shown as a user message and as a model answer. Payloads that can
// run script try to set `window.__pwned` and/or open a dialog; the test checks neither happens.

export interface Payload {
    readonly name: string;
    readonly text: string;
}

export const hostilePayloads: readonly Payload[] = [
    { name: "script tag", text: `<script>window.__pwned = "script"; alert("script")</script>` },
    { name: "img onerror", text: `<img src=x onerror="window.__pwned='img';alert('img')">` },
    { name: "svg onload", text: `<svg onload="window.__pwned='svg';alert('svg')"><circle r="9"/></svg>` },
    { name: "javascript: markdown links", text: "[click me](javascript:window.__pwned='mdlink';alert(1)) and [upper](JaVaScRiPt:alert(1)) and [spaced]( javascript:alert(1) )" },
    { name: "javascript: autolinks", text: "<javascript:alert('autolink')> and bare javascript:alert(1) and <JAVASCRIPT:alert(1)>" },
    { name: "data: links", text: "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) <data:text/html,<script>alert(1)</script>> ![pixel](data:image/png;base64,iVBORw0KGgo=)" },
    { name: "vbscript:, file: and relative links", text: "[vb](vbscript:msgbox(1)) [file](file:///etc/passwd) <file:///etc/passwd> [rel](../../etc/passwd) [proto](//evil.example/x)" },
    { name: "iframe", text: `<iframe src="javascript:parent.__pwned='iframe'"></iframe><iframe srcdoc="<script>parent.__pwned='srcdoc'</script>"></iframe>` },
    { name: "style injection", text: `<style>body { display: none } #chat-input { visibility: hidden }</style><div style="position:fixed;inset:0;background:red">covered</div>` },
    { name: "object and embed", text: `<object data="javascript:window.__pwned='object'"></object><embed src="javascript:window.__pwned='embed'">` },
    {
        name: "HTML inside markdown",
        text: `# Title <b onmouseover="window.__pwned='b'">bold</b>\n\n* item <details open ontoggle="window.__pwned='details';alert('details')">x</details>\n\n> quote <marquee onstart="window.__pwned='marquee'">m</marquee> **strong <u>u</u>**`,
    },
    { name: "inline event handlers", text: `<div onclick="window.__pwned='div'" onmouseover="alert(1)">hover me</div><input autofocus onfocus="window.__pwned='input';alert('input')"><body onload="window.__pwned='body'">` },
    { name: "unterminated fence containing a script", text: "Here you go:\n\n```html\n<script>window.__pwned='fence';alert('fence')</script>\n<img src=x onerror=\"window.__pwned='fence-img'\">" },
    {
        name: "link title tricks",
        text: `[a](https://example.com/a "\\" onmouseover=\\"window.__pwned='title'") [b](javascript:alert(1) "title") [c](https://example.com/c 'x" onclick="alert(1)') [d](<javascript:alert(1)> "t") [e](https://example.com/e "javascript:alert(1)")`,
    },
    { name: "raw <a href=javascript:>", text: `<a href="javascript:window.__pwned='anchor';alert('anchor')">raw anchor</a> <a href=javascript:alert(1)>unquoted</a>` },
    { name: "entity-encoded javascript:", text: "[x](&#106;avascript:alert(1)) [y](&#x6A;avascript&colon;alert(1)) [z](jav&#x09;ascript:alert(1)) [w](%6Aavascript:alert(1)) <&#106;avascript:alert(1)>" },
    { name: "form, input, meta refresh", text: `<form action="javascript:window.__pwned='form'"><input type="submit" formaction="javascript:alert(1)" value="go"></form><meta http-equiv="refresh" content="0;url=javascript:alert('meta')">` },
    { name: "reference-style links to javascript: and data:", text: "[ref][1] and [other]\n\n[1]: javascript:alert('ref')\n[other]: data:text/html,<script>alert(1)</script>" },
    {
        name: "image tricks",
        text: `![x" onerror="alert(1)](https://example.com/x.png) ![js](javascript:alert(1)) ![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) <img src="https://example.com/x.png"> ![local](x.png)`,
    },
    { name: "fence info string injection", text: '```js" onload="alert(1)" x="\nconsole.log(1)\n```\n\n```<script>alert(1)</script>\nplain\n```\n\n```javascript:alert(1)\ncode\n```' },
    {
        name: "parser breakouts",
        text: `</textarea><script>alert(1)</script></div></div><noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><template><script>alert(1)</script></template><!-- <script>alert(1)</script> -->`,
    },
    { name: "table cells with HTML, alignment", text: "| a | b | c |\n|:-:|--:|:--|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) | `<b>` |" },
    { name: "base and link tags", text: `<base href="javascript:alert(1)//"><link rel="stylesheet" href="https://evil.example/x.css"><a href="/relative">rel</a>` },
    { name: "math and svg namespaces", text: `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>\n\n<svg><a xlink:href="javascript:alert(1)"><text>svg link</text></a></svg>` },
    { name: "huge nested list", text: Array.from({ length: 300 }, (_, level) => `${"  ".repeat(level)}- level ${level}`).join("\n") },
    { name: "deep blockquote and brackets", text: `${">".repeat(5000)} deep\n\n${"[".repeat(5000)}x${"](y)".repeat(200)}` },
];
