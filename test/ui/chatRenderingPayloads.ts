// Hostile text for the chat view: each is shown as a user message and as a model answer. Payloads that can
// run script try to set `window.__pwned` and/or open a dialog; the test checks neither happens.

interface Payload {
    readonly name: string;
    readonly text: string;
}

export const hostilePayloads: readonly Payload[] = [
    { name: "script tag", text: `<script>window.__pwned = "script"; alert("script")</script>` },
    { name: "img onerror", text: `<img src=x onerror="window.__pwned='img';alert('img')">` },
    { name: "svg onload", text: `<svg onload="window.__pwned='svg';alert('svg')"><circle r="9"/></svg>` },
    {
        name: "javascript: markdown links",
        text: "[click me](javascript:window.__pwned='mdlink';alert(1)) and [upper](JaVaScRiPt:alert(1)) and [spaced]( javascript:alert(1) )",
    },
    { name: "javascript: autolinks", text: "<javascript:alert('autolink')> and bare javascript:alert(1) and <JAVASCRIPT:alert(1)>" },
    {
        name: "data: links",
        text: "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) <data:text/html,<script>alert(1)</script>> ![pixel](data:image/png;base64,iVBORw0KGgo=)",
    },
    {
        name: "vbscript:, file: and relative links",
        text: "[vb](vbscript:msgbox(1)) [file](file:///etc/passwd) <file:///etc/passwd> [rel](../../etc/passwd) [proto](//evil.example/x)",
    },
    { name: "iframe", text: `<iframe src="javascript:parent.__pwned='iframe'"></iframe><iframe srcdoc="<script>parent.__pwned='srcdoc'</script>"></iframe>` },
    {
        name: "style injection",
        text: `<style>body { display: none } #chat-input { visibility: hidden }</style><div style="position:fixed;inset:0;background:red">covered</div>`,
    },
    { name: "object and embed", text: `<object data="javascript:window.__pwned='object'"></object><embed src="javascript:window.__pwned='embed'">` },
    {
        name: "HTML inside markdown",
        text: `# Title <b onmouseover="window.__pwned='b'">bold</b>\n\n* item <details open ontoggle="window.__pwned='details';alert('details')">x</details>\n\n> quote <marquee onstart="window.__pwned='marquee'">m</marquee> **strong <u>u</u>**`,
    },
    {
        name: "inline event handlers",
        text: `<div onclick="window.__pwned='div'" onmouseover="alert(1)">hover me</div><input autofocus onfocus="window.__pwned='input';alert('input')"><body onload="window.__pwned='body'">`,
    },
    {
        name: "unterminated fence containing a script",
        text: "Here you go:\n\n```html\n<script>window.__pwned='fence';alert('fence')</script>\n<img src=x onerror=\"window.__pwned='fence-img'\">",
    },
    {
        name: "link title tricks",
        text: `[a](https://example.com/a "\\" onmouseover=\\"window.__pwned='title'") [b](javascript:alert(1) "title") [c](https://example.com/c 'x" onclick="alert(1)') [d](<javascript:alert(1)> "t") [e](https://example.com/e "javascript:alert(1)")`,
    },
    {
        name: "raw <a href=javascript:>",
        text: `<a href="javascript:window.__pwned='anchor';alert('anchor')">raw anchor</a> <a href=javascript:alert(1)>unquoted</a>`,
    },
    {
        name: "entity-encoded javascript:",
        text: "[x](&#106;avascript:alert(1)) [y](&#x6A;avascript&colon;alert(1)) [z](jav&#x09;ascript:alert(1)) [w](%6Aavascript:alert(1)) <&#106;avascript:alert(1)>",
    },
    {
        name: "form, input, meta refresh",
        text: `<form action="javascript:window.__pwned='form'"><input type="submit" formaction="javascript:alert(1)" value="go"></form><meta http-equiv="refresh" content="0;url=javascript:alert('meta')">`,
    },
    {
        name: "reference-style links to javascript: and data:",
        text: "[ref][1] and [other]\n\n[1]: javascript:alert('ref')\n[other]: data:text/html,<script>alert(1)</script>",
    },
    {
        name: "image tricks",
        text: `![x" onerror="alert(1)](https://example.com/x.png) ![js](javascript:alert(1)) ![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) <img src="https://example.com/x.png"> ![local](x.png)`,
    },
    {
        name: "fence info string injection",
        text: '```js" onload="alert(1)" x="\nconsole.log(1)\n```\n\n```<script>alert(1)</script>\nplain\n```\n\n```javascript:alert(1)\ncode\n```',
    },
    {
        name: "parser breakouts",
        text: `</textarea><script>alert(1)</script></div></div><noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript><template><script>alert(1)</script></template><!-- <script>alert(1)</script> -->`,
    },
    { name: "table cells with HTML, alignment", text: "| a | b | c |\n|:-:|--:|:--|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) | `<b>` |" },
    {
        name: "base and link tags",
        text: `<base href="javascript:alert(1)//"><link rel="stylesheet" href="https://evil.example/x.css"><a href="/relative">rel</a>`,
    },
    {
        name: "math and svg namespaces",
        text: `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>\n\n<svg><a xlink:href="javascript:alert(1)"><text>svg link</text></a></svg>`,
    },
    { name: "huge nested list", text: Array.from({ length: 300 }, (_, level) => `${"  ".repeat(level)}- level ${level}`).join("\n") },
    { name: "deep blockquote and brackets", text: `${">".repeat(5000)} deep\n\n${"[".repeat(5000)}x${"](y)".repeat(200)}` },
];

/**
 * Pathological markdown: inputs of 10 KB to 1 MB that make a naive renderer's work explode (long delimiter
 * runs, deep nesting, unclosed constructs, floods of links, entities, cells or blocks, code that is slow to
 * highlight). Each must render within the bounds of src/webview/markdown.ts's `renderLimits`. Built on first
 * use (several MB in all); every text is at most 1,000,000 characters, the most a message to the view carries.
 */
export function pathologicalPayloads(): readonly Payload[] {
    pathological ??= buildPathological();
    return pathological;
}

let pathological: readonly Payload[] | undefined;

function buildPathological(): readonly Payload[] {
    const repeat = (text: string, count: number): string => text.repeat(count);
    const lines = (count: number, line: (index: number) => string): string => Array.from({ length: count }, (_, index) => line(index)).join("\n");
    const megabyte = 1_000_000;
    const list: Payload[] = [
        { name: "100k asterisks", text: repeat("*", 100_000) },
        { name: "_a × 50k", text: repeat("_a", 50_000) },
        { name: "*a × 50k", text: repeat("*a", 50_000) },
        { name: "mixed emphasis runs × 20k", text: repeat("*a**b***c ", 20_000) },
        { name: "*_ × 50k", text: repeat("*_", 50_000) + "a" },
        { name: "~~a × 50k", text: repeat("~~a", 50_000) },
        { name: "10k nested >", text: `${repeat(">", 10_000)} deep` },
        { name: "1.4k lines of growing > nesting", text: lines(1_400, (index) => `${repeat(">", index)} x`) },
        { name: "10k nested - lists on one line", text: `${repeat("- ", 10_000)}x` },
        { name: "1k lines of indented nested lists", text: lines(1_000, (index) => `${repeat("  ", index)}- level ${index}`).slice(0, megabyte) },
        { name: "5k [ then 5k ](y)", text: `${repeat("[", 5_000)}x${repeat("](y)", 5_000)}` },
        { name: "50k [", text: repeat("[", 50_000) },
        { name: "*[ × 30k", text: repeat("*[", 30_000) },
        { name: "![ × 30k", text: repeat("![", 30_000) },
        {
            name: "unclosed ```ts with 1 MB after it",
            text: `\`\`\`ts\n${repeat("const x = `a${b}` + /re/g; // <script>alert(1)</script>\n", 20_000)}`.slice(0, megabyte),
        },
        { name: "unclosed ~~~ with 1 MB of text", text: `~~~\n${repeat("plain line with <b>tags</b> & entities &amp;\n", 25_000)}`.slice(0, megabyte) },
        { name: "50k backticks", text: repeat("`", 50_000) },
        { name: "backtick runs of growing length", text: Array.from({ length: 300 }, (_, index) => `${repeat("`", index + 1)}a`).join(" ") },
        { name: "table with 5k columns", text: `|${repeat(" a |", 5_000)}\n|${repeat("---|", 5_000)}\n|${repeat(" b |", 5_000)}\n` },
        { name: "2k-column header over 5k empty rows", text: `|${repeat(" a |", 2_000)}\n|${repeat("-|", 2_000)}\n${repeat("|\n", 5_000)}` },
        {
            name: "table with 10k rows",
            text: `| a | b | c |\n|:-|:-:|-:|\n${lines(10_000, (index) => `| ${index} | *${index}* | [x](https://example.com/${index}) |`)}`,
        },
        { name: "20k link chain", text: repeat("[a](https://example.com/x) ", 20_000) },
        { name: "20k unclosed [a](", text: repeat("[a](", 20_000) },
        { name: "20k nested link brackets", text: `${repeat("[a", 20_000)}${repeat("](https://example.com)", 20_000)}` },
        { name: "entity flood", text: repeat("&amp;&lt;&#x41;&#65;&nbsp;&quot;", 25_000) },
        { name: "invalid entity flood", text: repeat("&#xFFFFFFF;&bogus;&#;&", 40_000) },
        { name: "30k unclosed autolinks", text: repeat("<http://a.b/", 30_000) },
        { name: "linkify flood", text: repeat("http://a.b/ www.c.de x@y.zz ", 30_000) },
        { name: "100k a.", text: repeat("a.", 100_000) },
        { name: "100k headings", text: repeat("# h\n", 100_000) },
        { name: "30k setext headings", text: repeat("a\n=\n", 30_000) },
        { name: "1 MB of blank lines", text: repeat("\n", megabyte) },
        { name: "100k tabs", text: `${repeat("\t", 100_000)}x` },
        { name: "100k backslashes", text: repeat("\\", 100_000) },
        {
            name: "10k reference definitions and uses",
            text: `${lines(10_000, (index) => `[r${index}]: https://example.com/${index}`)}\n\n${lines(10_000, (index) => `[r${index}]`)}`,
        },
        { name: "raw HTML flood", text: repeat(`<a href="javascript:window.__pwned='flood'">x</a><img src=x onerror="window.__pwned='img'">`, 10_000) },
        { name: "script flood", text: repeat("<script>window.__pwned='script-flood'</script>\n", 20_000) },
        { name: "20k-character yaml line", text: `\`\`\`yaml\n${repeat("a ", 10_000)}\n\`\`\`` },
        {
            name: "200 rust blocks slow to highlight",
            text: Array.from({ length: 200 }, (_, index) => `\`\`\`rust\n// ${index}\n${repeat('r#"', 100)}\n\`\`\`\n`).join("\n"),
        },
        {
            name: "1 MB ordinary answer",
            text: repeat(
                "Some **bold** and `code` text with a [link](https://example.com).\n\n```js\nconst x = 1; // comment\n```\n\n- item one\n- item two\n\n",
                7_000,
            ).slice(0, megabyte),
        },
    ];
    return list;
}
