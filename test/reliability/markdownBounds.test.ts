// The chat view's markdown renderer (src/webview/markdown.ts, pure: no DOM) renders any answer within fixed
// bounds. Work is counted, not timed: characters parsed, tokens made, characters highlighted, markup made,
// render passes. Each pathological input must cost at most a small constant per input character, within the
// limits, and the markup must stay inert (only the allowlisted elements and attributes, links http(s)/mailto).
import assert from "node:assert/strict";
import { attributesByTag, markdownTags } from "../../src/webview/allowlist";
import { isSafeHref } from "../../src/webview/links";
import {
    markdownEnd,
    MarkdownRenderer,
    renderLimits,
    renderMarkdown,
    totalRenderWork,
    type RenderedMarkdown,
    type RenderWork,
} from "../../src/webview/markdown";
import { hostilePayloads, pathologicalPayloads } from "../ui/chatRenderingPayloads";

/** Problems with the markup: anything but allowlisted tags and attributes, unsafe links, raw `<`. */
function auditMarkup(markup: string): string[] {
    const problems: string[] = [];
    const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+="[^"<>]*")*)\s*(\/?)>/y;
    const attribute = /\s+([a-zA-Z-]+)="([^"<>]*)"/g;
    for (let at = markup.indexOf("<"); at >= 0; at = markup.indexOf("<", at + 1)) {
        tag.lastIndex = at;
        const match = tag.exec(markup);
        if (match === null) {
            problems.push(`raw "<" at ${at}: ${JSON.stringify(markup.slice(at, at + 40))}`);
            continue;
        }
        const name = (match[2] ?? "").toUpperCase();
        if (!markdownTags.has(name)) problems.push(`element <${name.toLowerCase()}>`);
        for (const [, attr = "", value = ""] of (match[3] ?? "").matchAll(attribute)) {
            if (!(attributesByTag[name]?.has(attr) ?? false)) problems.push(`attribute ${attr} on <${name.toLowerCase()}>`);
            const decoded = value
                .replace(/&amp;/g, "&")
                .replace(/&quot;/g, '"')
                .replace(/&lt;/g, "<")
                .replace(/&gt;/g, ">")
                .replace(/&#x27;/g, "'");
            if (attr === "href" && !isSafeHref(decoded)) problems.push(`link to ${JSON.stringify(decoded.slice(0, 80))}`);
        }
        if (/<script|javascript:|on[a-z]+=/i.test(match[0]) && name !== "A") problems.push(`active content in ${match[0].slice(0, 80)}`);
    }
    return problems;
}

const markupOf = (rendered: RenderedMarkdown): string => rendered.blocks.join("");

/** The bounds every single pass keeps, whatever the input. */
function assertPassBounded(name: string, text: string, work: Readonly<RenderWork>): void {
    const length = text.length;
    // markdown-it parses at most the limit, plus re-parses of cuts at most half as long each (the token budget).
    assert.ok(work.parsedChars <= Math.min(length, renderLimits.markdownChars) * 2, `${name}: parsed ${work.parsedChars} characters of ${length}`);
    // A token per character or two, and a table's cells (three tokens each, however short; missing ones at most one per character).
    assert.ok(work.tokens <= 8 * work.parsedChars + 16, `${name}: ${work.tokens} tokens for ${work.parsedChars} characters parsed`);
    assert.ok(work.highlightedChars <= renderLimits.highlightPassChars, `${name}: highlighted ${work.highlightedChars} characters in one pass`);
    assert.ok(work.plainChars <= renderLimits.plainChars, `${name}: ${work.plainChars} characters shown as plain text`);
    // Markup: escaping makes at most 6 characters of one (&quot;), tags a few per token, highlighting a span per few characters.
    const markupBound =
        6 * Math.min(length, renderLimits.markdownChars + renderLimits.plainChars) +
        40 * Math.min(work.tokens, renderLimits.maxTokens * 2) +
        40 * renderLimits.highlightChars +
        1_000;
    assert.ok(work.markupChars <= markupBound, `${name}: ${work.markupChars} characters of markup (bound ${markupBound})`);
    assert.ok(
        work.chunks <= work.blocks / renderLimits.chunkBlocks + work.markupChars / renderLimits.chunkChars + 3,
        `${name}: ${work.chunks} chunks for ${work.blocks} blocks`,
    );
}

describe("chat markdown: bounded rendering of pathological answers", function () {
    this.timeout(120_000);
    const payloads = pathologicalPayloads();

    it(`has at least 20 pathological inputs of 10 KB to 1 MB, none over a message's 1,000,000 characters`, () => {
        assert.ok(payloads.length >= 20, `${payloads.length} inputs`);
        for (const { name, text } of payloads) {
            assert.ok(text.length >= 10_000 && text.length <= 1_000_000, `${name}: ${text.length} characters`);
        }
    });

    for (const payload of pathologicalPayloads()) {
        it(`renders "${payload.name}" within the bounds, inert`, () => {
            const { text } = payload;
            const before = totalRenderWork();
            const rendered = renderMarkdown(text);
            const { work } = rendered;
            assert.equal(work.passes, 1);
            assertPassBounded(payload.name, text, work);
            // All of the text is accounted for: parsed as markdown, or (up to the display limit) shown as plain text.
            const end = markdownEnd(text);
            assert.ok(work.parsedChars >= 0 && end <= text.length);
            // Tokens (about one DOM node each, at most) within the budget, however many were parsed.
            const elements = (markupOf(rendered).match(/<[a-z]/g) ?? []).length;
            assert.ok(elements <= renderLimits.maxTokens + renderLimits.highlightChars / 2 + 50, `${payload.name}: ${elements} elements`);
            assert.deepEqual(auditMarkup(markupOf(rendered)), [], `${payload.name}: inert markup`);
            const after = totalRenderWork();
            assert.equal(after.passes - before.passes, 1, "the running totals count the pass");
            assert.equal(after.parsedChars - before.parsedChars, work.parsedChars);
        });
    }

    it("streams each pathological input in 16 growing steps: every pass bounded, the total at most 16 passes' worth", () => {
        for (const { name, text } of payloads) {
            const renderer = new MarkdownRenderer();
            const steps = 16;
            let parsed = 0;
            let last: RenderedMarkdown | undefined;
            for (let step = 1; step <= steps; step++) {
                const prefix = text.slice(0, Math.ceil((text.length * step) / steps));
                last = renderer.render(prefix, step < steps);
                assertPassBounded(`${name} (step ${step})`, prefix, last.work);
                parsed += last.work.parsedChars;
            }
            assert.ok(parsed <= steps * 2 * Math.min(text.length, renderLimits.markdownChars), `${name}: ${parsed} characters parsed in ${steps} passes`);
            assert.deepEqual(auditMarkup(markupOf(last ?? renderMarkdown(""))), [], `${name}: inert markup`);
        }
    });

    it("highlights at most highlightPassChars per pass; later passes finish the job, then stop", () => {
        const block = (index: number): string => `\`\`\`ts\n${"const value = compute(index); // a comment\n".repeat(400)}// block ${index}\n\`\`\`\n\n`;
        const text = Array.from({ length: 12 }, (_, index) => block(index)).join("");
        const renderer = new MarkdownRenderer();
        let passes = 0;
        let highlighted = 0;
        let rendered: RenderedMarkdown;
        do {
            rendered = renderer.render(text);
            passes++;
            assert.ok(rendered.work.highlightedChars <= renderLimits.highlightPassChars, `pass ${passes} highlighted ${rendered.work.highlightedChars}`);
            highlighted += rendered.work.highlightedChars;
        } while (rendered.incomplete && passes < 20);
        assert.equal(rendered.incomplete, false);
        assert.ok(passes >= 2 && passes <= Math.ceil(renderLimits.highlightChars / renderLimits.highlightPassChars) + 2, `${passes} passes`);
        assert.ok(highlighted <= renderLimits.highlightChars, `${highlighted} characters highlighted in all`);
        const spans = (markupOf(rendered).match(/<span class="hljs-/g) ?? []).length;
        assert.ok(spans > 0, "highlighted");
        // Past the answer's budget, blocks stay plain (and the same text always renders the same).
        const again = renderer.render(text);
        assert.equal(again.work.highlightedChars, 0, "everything that is highlighted is cached");
        assert.equal(markupOf(again), markupOf(rendered));
    });

    it("re-parses only the last blocks of a growing answer: 500 updates parse it about once plus two blocks each, and end as a whole render does", () => {
        const paragraph = (index: number): string => `Paragraph ${index} with **bold**, \`code\` and a [link](https://example.com/${index}).\n\n`;
        const parts = Array.from({ length: 300 }, (_, index) =>
            index % 25 === 0 ? `\`\`\`python\nprint(${index})\n\`\`\`\n\n` : index % 10 === 0 ? `- item ${index}\n- item ${index + 1}\n\n` : paragraph(index),
        );
        const text = parts.join("");
        const renderer = new MarkdownRenderer();
        let parsed = 0;
        let passes = 0;
        let last: RenderedMarkdown | undefined;
        for (let step = 1; step <= 500; step++) {
            last = renderer.render(text.slice(0, Math.ceil((text.length * step) / 500)), true);
            parsed += last.work.parsedChars;
            passes += last.work.passes;
        }
        const final = renderer.render(text, false);
        const whole = renderMarkdown(text);
        assert.equal(passes, 500);
        // Each pass parses the last two blocks (plus what was appended): the answer once, and two blocks per pass.
        const longest = Math.max(...parts.map((part) => part.length));
        const bound = text.length + 500 * 2 * longest;
        assert.ok(
            parsed <= bound,
            `500 streaming passes parsed ${parsed} characters of a ${text.length}-character answer: more than ${bound} (a whole parse each time would be ~${250 * text.length})`,
        );
        assert.equal(markupOf(last ?? final), markupOf(whole), "the last streaming pass shows what a whole render does");
        assert.deepEqual(final.codes, whole.codes);
        assert.equal(final.work.parsedChars, text.length, "the finished answer is parsed whole once");
    });

    it("streaming any mix of block constructs, in chunks of any size, ends where a whole render does", () => {
        const pieces = [
            "- a",
            "* b",
            "1. x",
            "2) y",
            "  - nested",
            "    - deeper",
            "> quote",
            ">> q2",
            "> - ql",
            "",
            "",
            "para text",
            "more *em* text",
            "**strong",
            "```",
            "```js",
            "~~~",
            "    code",
            "---",
            "***",
            "===",
            "# h1",
            "## h2",
            "| a | b |",
            "|---|---|",
            "| 1 | 2 |",
            "text\\",
            "<http://x.y>",
            "[l](http://a.b)",
            "  continuation",
            "\t- tab",
            "1.",
            "-",
            ">",
            "` code `",
            "* * *",
            "   - three",
        ];
        let seed = 7;
        const random = (): number => {
            seed = (seed * 1103515245 + 12345) & 0x7fffffff;
            return seed / 0x7fffffff;
        };
        for (let doc = 0; doc < 400; doc++) {
            const text = Array.from({ length: 3 + Math.floor(random() * 25) }, () => pieces[Math.floor(random() * pieces.length)]).join("\n");
            const renderer = new MarkdownRenderer();
            let last: RenderedMarkdown | undefined;
            for (let end = 0; end < text.length; ) {
                end = Math.min(text.length, end + 1 + Math.floor(random() * 6));
                last = renderer.render(text.slice(0, end), true);
            }
            const whole = renderMarkdown(text);
            assert.equal(markupOf(last ?? whole), markupOf(whole), JSON.stringify(text));
            assert.deepEqual(last?.codes ?? whole.codes, whole.codes, JSON.stringify(text));
        }
    });

    it("a paragraph that becomes a list item joins the list above it while streaming", () => {
        const renderer = new MarkdownRenderer();
        renderer.render("1. one\n\n", true);
        renderer.render("1. one\n\n2", true);
        const streamed = renderer.render("1. one\n\n2. two\n", true);
        assert.equal(markupOf(streamed), markupOf(renderMarkdown("1. one\n\n2. two\n")));
        assert.equal((markupOf(streamed).match(/<ol/g) ?? []).length, 1, "one list");
    });

    it("keeps code indices and references right across streaming passes", () => {
        const text = "[docs]: https://example.com/docs\n\nSee [docs].\n\n```js\nlet a = 1;\n```\n\nThen:\n\n```py\nb = 2\n```\n\nAnd [docs] again.\n";
        const renderer = new MarkdownRenderer();
        let last: RenderedMarkdown | undefined;
        for (let end = 1; end <= text.length; end++) last = renderer.render(text.slice(0, end), true);
        const whole = renderMarkdown(text);
        assert.equal(markupOf(last ?? whole), markupOf(whole));
        assert.deepEqual(last?.codes, ["let a = 1;", "b = 2"]);
        assert.match(markupOf(whole), /data-code="1"/);
        assert.equal((markupOf(whole).match(/href="https:\/\/example\.com\/docs"/g) ?? []).length, 2);
    });

    it("shows text past the limits as plain text with a note, and Copy gets all of it", () => {
        const text = `${"word ".repeat(30_000)}\n${"tail line\n".repeat(20_000)}`;
        const rendered = renderMarkdown(text);
        const markup = markupOf(rendered);
        assert.match(markup, /<p class="markdown-overflow-note">The rest of this answer \([\d,]+ characters\) is too long to format or to show/);
        const rest = rendered.codes.at(-1) ?? "";
        assert.equal(text.length - rest.length, markdownEnd(text), "the rest starts where markdown ends");
        assert.ok(rest.endsWith("tail line\n"), "the copyable code holds the whole rest");
        assert.ok(rendered.work.plainChars <= renderLimits.plainChars);
        assert.ok((markup.match(/\n/g) ?? []).length <= renderLimits.plainLines + 50, "at most plainLines lines shown");
    });

    it("neutralises long delimiter runs and deep nesting as text, and keeps ordinary emphasis", () => {
        assert.equal(markupOf(renderMarkdown("*a* **b** ~~c~~ `d`")), "<p><em>a</em> <strong>b</strong> <s>c</s> <code>d</code></p>\n");
        const run = "*".repeat(renderLimits.delimiterRun + 1);
        assert.equal(markupOf(renderMarkdown(`x ${run}a${run} y`)), `<p>x ${run}a${run} y</p>\n`);
        const deep = markupOf(renderMarkdown(`${">".repeat(1_000)} deep`));
        assert.equal((deep.match(/<blockquote>/g) ?? []).length, renderLimits.blockDepth, "quotes up to blockDepth");
        assert.match(deep, /&gt;&gt;&gt; deep<\/p>/, "the rest of the line is text, not lost");
    });

    it("the hostile payloads render inert in one bounded pass each", () => {
        for (const { name, text } of hostilePayloads) {
            const rendered = renderMarkdown(text);
            assertPassBounded(name, text, rendered.work);
            assert.deepEqual(auditMarkup(markupOf(rendered)), [], name);
        }
    });
});
