// Markdown for assistant answers: markdown-it with raw HTML off, links limited to http(s)/mailto,
// images shown as links, code blocks highlighted by highlight.js (whose output is escaped text in spans).
//
// Any answer renders within a bound (see `renderLimits`): at most `markdownChars` characters and `maxTokens`
// tokens of markdown, and the rest is shown as plain text; block nesting deeper than `blockDepth` shows as text;
// runs of one delimiter character longer than `delimiterRun` are text; code is highlighted only up to a
// size per block and per answer. A streaming answer re-parses only its last two top-level blocks (the ones
// before them cannot change as text is appended). Each pass reports its work (`RenderWork`), so tests can
// check that work stays linear in the input without a clock. Pure: no DOM (sanitize.ts builds the nodes).
import MarkdownIt from "markdown-it";
import type { Env, StateBlock, StateInline, Token } from "markdown-it";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdownLanguage from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { isSafeHref, validateLinkTarget } from "./links";

/** The bounds on rendering one answer. */
export const renderLimits = {
    /**
     * Characters formatted as markdown (cut at a line break when one is near); the rest is shown as plain text,
     * with a note. Twice the longest answer hearth.chat.maxTokens allows (8192 tokens, some 33,000 characters).
     */
    markdownChars: 65_536,
    /** Tokens markdown-it may make for one answer (about one DOM node each, at most): markdown ends before the block that would pass it. */
    maxTokens: 20_000,
    /** Of the text past `markdownChars`, at most this many characters and lines are shown (a long <pre> is costly to lay out); Copy copies all. */
    plainChars: 100_000,
    plainLines: 2_000,
    /** markdown-it's nesting limit (its default is 100; beyond it, markdown-it silently drops block content). */
    maxNesting: 20,
    /** Block containers nested deeper than this (a quote counts 1, a list level 2) show their content as text. */
    blockDepth: 16,
    /** A run of one of * _ ~ ` [ ] longer than this is text, not delimiters. */
    delimiterRun: 32,
    /** A code block longer than this, or with a line longer than `highlightLineChars`, is shown without highlighting. */
    highlightBlockChars: 20_000,
    highlightLineChars: 1_000,
    /** At most this many characters of code are highlighted in one answer (blocks in order; the rest plain). */
    highlightChars: 60_000,
    /** At most this many characters are newly highlighted in one pass: later blocks show plain and the pass says `incomplete`. */
    highlightPassChars: 20_000,
    /** Top-level blocks are grouped into chunks of about this much markup, or this many blocks (one DOM update each). */
    chunkChars: 8_000,
    chunkBlocks: 64,
} as const;

/** What a render pass did; every field is a count, summed over passes by `totalRenderWork`. */
export interface RenderWork {
    /** Render passes. */
    passes: number;
    /** Characters markdown-it parsed. */
    parsedChars: number;
    /** Tokens markdown-it produced (inline children included). */
    tokens: number;
    /** Characters highlight.js highlighted (cache hits not counted). */
    highlightedChars: number;
    /** Characters shown as plain text past `markdownChars` (at most `plainChars`). */
    plainChars: number;
    /** Top-level blocks rendered to markup. */
    blocks: number;
    /** Characters of markup produced. */
    markupChars: number;
    /** Chunks of markup produced (each may become a DOM update). */
    chunks: number;
}

const noWork = (): RenderWork => ({ passes: 0, parsedChars: 0, tokens: 0, highlightedChars: 0, plainChars: 0, blocks: 0, markupChars: 0, chunks: 0 });
const total = noWork();

/** The work of every render pass so far, summed. */
export function totalRenderWork(): RenderWork {
    return { ...total };
}

function addWork(into: RenderWork, work: Readonly<RenderWork>): void {
    for (const key of Object.keys(into) as (keyof RenderWork)[]) into[key] += work[key];
}

const languages = { bash, c, cpp, css, diff, go, java, javascript, json, markdown: markdownLanguage, python, rust, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);
hljs.registerAliases(["sh", "shell", "zsh", "console"], { languageName: "bash" });

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false, maxNesting: renderLimits.maxNesting });
md.validateLink = validateLinkTarget;
const escapeHtml = (text: string): string => md.utils.escapeHtml(text);

/** The pass in progress: its work, the code blocks it rendered (the Copy/Insert/Apply buttons use them), the highlighting budget used. */
interface PassContext {
    readonly work: RenderWork;
    /** Code blocks before the ones this pass renders (in the blocks it kept). */
    readonly codesBefore: number;
    readonly codes: string[];
    /** Characters of code highlighted in the answer so far (against `highlightChars`). */
    highlighted: number;
    /** Set when a block was left plain for lack of this pass's budget (a later pass highlights it). */
    incomplete: boolean;
}
let pass: PassContext | undefined;

// Highlighting is the costly part of re-rendering a streaming answer: finished code blocks come from this
// cache (least recently used first out, bounded by the characters it holds).
const highlightCache = new Map<string, string>();
const highlightCacheChars = 4_000_000;
let cachedChars = 0;

/** The code highlighted (from the cache, or within this pass's budget), or undefined when the budget is spent. */
function highlight(code: string, language: string): string | undefined {
    const key = `${language}\u0000${code}`;
    const cached = highlightCache.get(key);
    if (cached !== undefined) {
        highlightCache.delete(key);
        highlightCache.set(key, cached);
        return cached;
    }
    if (pass !== undefined) {
        if (pass.work.highlightedChars + code.length > renderLimits.highlightPassChars) return undefined;
        pass.work.highlightedChars += code.length;
    }
    let html: string;
    try {
        html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
    } catch {
        html = escapeHtml(code);
    }
    highlightCache.set(key, html);
    cachedChars += key.length + html.length;
    for (const [oldKey, oldHtml] of highlightCache) {
        if (cachedChars <= highlightCacheChars) break;
        highlightCache.delete(oldKey);
        cachedChars -= oldKey.length + oldHtml.length;
    }
    return html;
}

/** True when a line is longer than `highlightLineChars` (some grammars take time quadratic in a line's length). */
function hasLongLine(code: string): boolean {
    let start = 0;
    for (;;) {
        const end = code.indexOf("\n", start);
        if ((end < 0 ? code.length : end) - start > renderLimits.highlightLineChars) return true;
        if (end < 0) return false;
        start = end + 1;
    }
}

function renderCodeBlock(content: string, info: string): string {
    const word = info.trim().split(/\s+/, 1)[0] ?? "";
    const languageId = word
        .toLowerCase()
        .replace(/[^a-z0-9_+#.-]/g, "")
        .slice(0, 32);
    const language = languageId !== "" && hljs.getLanguage(languageId) !== undefined ? languageId : undefined;
    const code = content.endsWith("\n") ? content.slice(0, -1) : content;
    const index = (pass?.codesBefore ?? 0) + (pass?.codes.push(code) ?? 1) - 1;
    // Whether to highlight is a function of the text alone (sizes, and the answer's budget used by the blocks
    // before); whether it happens in this pass also depends on the pass's budget.
    const used = pass?.highlighted ?? 0;
    const wanted =
        language !== undefined && code.length <= renderLimits.highlightBlockChars && used + code.length <= renderLimits.highlightChars && !hasLongLine(code);
    let body: string | undefined;
    if (wanted) {
        if (pass !== undefined) pass.highlighted += code.length;
        body = highlight(code, language);
        if (body === undefined && pass !== undefined) pass.incomplete = true;
    }
    body ??= escapeHtml(code);
    const codeClass = language === undefined ? "hljs" : `hljs language-${language}`;
    return `<div class="code-block" data-code="${index}" data-lang="${escapeHtml(languageId)}"><pre><code class="${codeClass}">${body}</code></pre></div>\n`;
}

md.renderer.rules.fence = (tokens, idx) => {
    const token = tokens[idx];
    return token === undefined ? "" : renderCodeBlock(token.content, token.info);
};
md.renderer.rules.code_block = (tokens, idx) => {
    const token = tokens[idx];
    return token === undefined ? "" : renderCodeBlock(token.content, "");
};
// With `html: false` these never occur; if they did, they would be text.
md.renderer.rules.html_block = (tokens, idx) => escapeHtml(tokens[idx]?.content ?? "");
md.renderer.rules.html_inline = (tokens, idx) => escapeHtml(tokens[idx]?.content ?? "");
// Images become links to the image (the view loads nothing remote), or just their text.
md.renderer.rules.image = (tokens, idx, options, env, renderer) => {
    const token = tokens[idx];
    if (token === undefined) return "";
    const src = String(token.attrGet("src") ?? "");
    const alt = renderer.renderInlineAsText(token.children ?? [], options, env);
    const label = escapeHtml(alt === "" ? src : alt);
    if (!isSafeHref(src)) return label;
    return `<a href="${escapeHtml(src)}" class="image-link" title="${escapeHtml(src)}"><span class="codicon codicon-file-media" aria-hidden="true"></span>${label}</a>`;
};

/** Drops link markup whose target is not http(s)/mailto (its label stays as text); keeps only href and title. */
function unwrapUnsafeLinks(children: Token[]): Token[] {
    const kept: Token[] = [];
    const open: boolean[] = [];
    for (const token of children) {
        if (token.type === "link_open") {
            const safe = isSafeHref(String(token.attrGet("href") ?? ""));
            open.push(safe);
            if (safe) {
                token.attrs = (token.attrs ?? []).filter(([name]) => name === "href" || name === "title");
                kept.push(token);
            }
        } else if (token.type === "link_close") {
            if (open.pop() === true) kept.push(token);
        } else {
            kept.push(token);
        }
    }
    return kept;
}

md.core.ruler.push("hearth_sanitize", (state) => {
    for (const token of state.tokens) {
        if (token.type === "inline" && token.children !== null) token.children = unwrapUnsafeLinks(token.children);
        // Table alignment: a class instead of an inline style (the CSP allows no inline styles).
        if (token.type === "th_open" || token.type === "td_open") {
            const align = /text-align:\s*(left|right|center)/.exec(String(token.attrGet("style") ?? ""))?.[1];
            token.attrs = align === undefined ? null : [["class", `align-${align}`]];
        }
    }
});

// Deep nesting: past `blockDepth`, the rest of the container's lines are a paragraph of plain text (markdown-it
// itself would silently drop them at `maxNesting`, after re-scanning each line once per level).
md.block.ruler.before("table", "hearth_depth", (state: StateBlock, startLine: number, endLine: number, silent: boolean) => {
    if (state.level < renderLimits.blockDepth) return false;
    if (silent) return true;
    const open = state.push("paragraph_open", "p", 1);
    open.map = [startLine, endLine];
    const text = state.push("text", "", 0);
    text.content = state.getLines(startLine, endLine, state.blkIndent, false);
    state.push("paragraph_close", "p", -1);
    state.line = endLine;
    return true;
});

// Long runs of one delimiter character: text, consumed at once (no delimiter per character, no label scans).
const runCharacters: ReadonlySet<number> = new Set(["*", "_", "~", "`", "[", "]"].map((character) => character.charCodeAt(0)));
md.inline.ruler.before("text", "hearth_runs", (state: StateInline, silent: boolean) => {
    const start = state.pos;
    const marker = state.src.charCodeAt(start);
    if (!runCharacters.has(marker)) return false;
    let end = start + 1;
    while (end < state.posMax && end - start <= renderLimits.delimiterRun && state.src.charCodeAt(end) === marker) end++;
    if (end - start <= renderLimits.delimiterRun) return false;
    while (end < state.posMax && state.src.charCodeAt(end) === marker) end++;
    if (!silent) state.pending += state.src.slice(start, end);
    state.pos = end;
    return true;
});

// Tables: markdown-it fills a short row with empty cells, up to 65,536 per table, so a wide header over short
// rows makes tokens out of nothing. A table here ends before the row whose missing cells, added up, would
// outnumber the characters of the table so far (a row ends it where markdown-it itself would, too).
const tableRule = md.block.ruler.__rules__.find((rule) => rule.name === "table");
if (tableRule !== undefined) {
    const original = tableRule.fn;
    const lineText = (state: StateBlock, line: number): string =>
        state.src.slice((state.bMarks[line] ?? 0) + (state.tShift[line] ?? 0), state.eMarks[line]).trim();
    /** The cells of a row as markdown-it splits it (on unescaped pipes, without the outer ones). */
    const cells = (row: string): number => {
        let count = 1;
        for (let index = 0; index < row.length; index++) if (row.charCodeAt(index) === 0x7c && row.charCodeAt(index - 1) !== 0x5c) count++;
        if (row.startsWith("|")) count--;
        if (row.length > 1 && row.endsWith("|") && !row.endsWith("\\|")) count--;
        return count;
    };
    md.block.ruler.at(
        "table",
        (state: StateBlock, startLine: number, endLine: number, silent: boolean) => {
            if (silent || !original(state, startLine, endLine, true)) return original(state, startLine, endLine, silent);
            const columns = lineText(state, startLine + 1)
                .split("|")
                .filter((cell) => cell.trim() !== "").length;
            const terminators = state.md.block.ruler.getRules("blockquote");
            let budget = (state.eMarks[startLine + 1] ?? 0) - (state.bMarks[startLine] ?? 0);
            let line = startLine + 2;
            for (; line < endLine; line++) {
                if ((state.sCount[line] ?? 0) < state.blkIndent || (state.sCount[line] ?? 0) - state.blkIndent >= 4) break;
                if (terminators.some((rule) => rule(state, line, endLine, true))) break;
                const row = lineText(state, line);
                if (row === "") break;
                budget += row.length + 1 - Math.max(0, columns - cells(row));
                if (budget < 0) break;
            }
            return original(state, startLine, line, silent);
        },
        { alt: tableRule.alt },
    );
}

// Reference definitions, with where each is: a streaming pass that keeps the blocks before the last one
// needs the definitions made before it (and only those: a half-streamed one later must not stick).
type References = NonNullable<Env["references"]>;
interface ReferenceDefinition {
    readonly label: string;
    readonly value: References[string];
    /** Where the definition starts in the (normalised) answer. */
    readonly offset: number;
}
interface PassEnv extends Env {
    references: References;
    readonly hearth: { readonly offset: number; readonly definitions: ReferenceDefinition[] };
}
const referenceRule = md.block.ruler.__rules__.find((rule) => rule.name === "reference");
if (referenceRule !== undefined) {
    const original = referenceRule.fn;
    md.block.ruler.at(
        "reference",
        (state: StateBlock, startLine: number, endLine: number, silent: boolean) => {
            const env = state.env as Partial<PassEnv>;
            const known = env.references;
            if (silent || known === undefined || env.hearth === undefined) return original(state, startLine, endLine, silent);
            const added = Object.create(known) as References;
            env.references = added;
            let matched: boolean;
            try {
                matched = original(state, startLine, endLine, silent);
            } finally {
                env.references = known;
            }
            for (const [label, value] of Object.entries(added)) {
                known[label] = value;
                env.hearth.definitions.push({ label, value, offset: env.hearth.offset + (state.bMarks[startLine] ?? 0) });
            }
            return matched;
        },
        { alt: referenceRule.alt },
    );
}

/** Splits block tokens into top-level blocks (a paragraph, a list, a code block, a table…). */
function topLevelBlocks(tokens: readonly Token[]): Token[][] {
    const blocks: Token[][] = [];
    let current: Token[] = [];
    for (const token of tokens) {
        current.push(token);
        if (token.level === 0 && token.nesting <= 0) {
            blocks.push(current);
            current = [];
        }
    }
    if (current.length > 0) blocks.push(current);
    return blocks;
}

/** markdown-it's input normalisation (CRLF and CR to LF, NUL to U+FFFD), done first so offsets agree with it. */
function normalize(text: string): string {
    return /[\r\0]/.test(text) ? text.replace(/\r\n?/g, "\n").replace(/\0/g, "\uFFFD") : text;
}

const count = (value: number): string => value.toLocaleString("en-US");

/** The start of the text past `markdownChars` that is shown: at most `plainChars` characters and `plainLines` lines. */
function plainPart(rest: string): string {
    let end = Math.min(rest.length, renderLimits.plainChars);
    let newline = -1;
    for (let line = 0; line < renderLimits.plainLines; line++) {
        newline = rest.indexOf("\n", newline + 1);
        if (newline < 0 || newline >= end) break;
        if (line === renderLimits.plainLines - 1) end = newline;
    }
    const code = rest.charCodeAt(end - 1);
    return rest.slice(0, end < rest.length && code >= 0xd800 && code <= 0xdbff ? end - 1 : end);
}

/** Where markdown stops: all of it, or up to `markdownChars`, at a line break when there is one near. */
export function markdownEnd(text: string): number {
    const limit = renderLimits.markdownChars;
    if (text.length <= limit) return text.length;
    const newline = text.lastIndexOf("\n", limit - 1);
    if (newline >= limit - 4096) return newline + 1;
    const code = text.charCodeAt(limit - 1);
    return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit; // never between the halves of a surrogate pair
}

/** Blocks at the end of a streaming answer that are parsed again as text is appended. */
const tailBlocks = 2;

interface RenderedBlock {
    /** Where the block's first line starts in the (normalised) answer. */
    readonly start: number;
    /** Tokens markdown-it made for it (against `maxTokens`). */
    readonly tokens: number;
    readonly markup: string;
    readonly codes: readonly string[];
    /** Characters of code it highlighted (within the answer's budget). */
    readonly highlighted: number;
    /** It has code left plain for lack of the pass's budget. */
    readonly incomplete: boolean;
}

/** A parsed top-level block, before rendering. */
interface ParsedBlock {
    readonly tokens: Token[];
    readonly start: number;
    readonly count: number;
}

interface Chunk {
    readonly from: number;
    readonly to: number;
    readonly markup: string;
}

export interface RenderedMarkdown {
    /** The markup in chunks of whole top-level blocks, in order: an unchanged chunk is the same string as before. */
    readonly blocks: readonly string[];
    /** The code of each code block, by its `data-code` index. */
    readonly codes: readonly string[];
    /** What this pass did. */
    readonly work: Readonly<RenderWork>;
    /** Some code was left plain for lack of this pass's highlighting budget: render again (later) to highlight it. */
    readonly incomplete: boolean;
}

/** `cut` moved back to the start of its line when that is after `from`, and never between the halves of a surrogate pair. */
function boundary(text: string, from: number, cut: number): number {
    const newline = text.lastIndexOf("\n", cut - 1);
    if (newline >= from) return newline + 1;
    const code = text.charCodeAt(cut - 1);
    return code >= 0xd800 && code <= 0xdbff ? cut - 1 : cut;
}

/**
 * Renders one answer, again and again as it streams. While `streaming` and the text only grew, the blocks
 * before the last two are kept and only the rest is parsed (nothing, when a limit had stopped markdown
 * before the end: what is appended goes to the plain text); otherwise (a finished answer, or text that
 * changed) the whole answer is parsed again. An unterminated fence renders as a code block so far.
 */
export class MarkdownRenderer {
    private text = "";
    /** Where markdown stopped in `text`. */
    private end = 0;
    private rendered: RenderedBlock[] = [];
    private definitions: ReferenceDefinition[] = [];
    private chunks: Chunk[] = [];

    render(source: string, streaming = false): RenderedMarkdown {
        const work = noWork();
        work.passes = 1;
        const text = normalize(source);
        let end = markdownEnd(text);
        // Appended text can change the last block, and join it to the one before (a paragraph that becomes a
        // list item continues the list above it): the last two are parsed again, the ones before are final.
        // A block left plain for lack of highlighting budget is rendered again too.
        // When markdown stopped short of the text last time (a limit), appending cannot move where it stops:
        // nothing is parsed again (but blocks left plain for lack of highlighting budget).
        let keep = 0;
        if (streaming && text.startsWith(this.text)) {
            const stopped = this.end < this.text.length;
            if (stopped) end = Math.min(end, this.end);
            keep = stopped ? this.rendered.length : Math.max(0, this.rendered.length - tailBlocks);
            const incomplete = this.rendered.findIndex((block) => block.incomplete);
            if (incomplete >= 0) keep = Math.min(keep, incomplete);
            while (keep > 0 && (this.rendered[keep]?.start ?? 0) > end) keep--;
        }
        const start = keep > 0 ? (this.rendered[keep]?.start ?? end) : 0;
        const kept = this.rendered.slice(0, keep);
        const definitions = keep > 0 ? this.definitions.filter((definition) => definition.offset < start) : [];
        const prefixDefinitions = definitions.length;
        const codes = kept.flatMap((block) => block.codes);
        const keptTokens = kept.reduce((sum, block) => sum + block.tokens, 0);
        const context: PassContext = {
            work,
            codesBefore: codes.length,
            codes: [],
            highlighted: kept.reduce((sum, block) => sum + block.highlighted, 0),
            incomplete: false,
        };

        let fresh: RenderedBlock[];
        pass = context;
        try {
            ({ blocks: fresh, end } = this.parse(text, start, end, renderLimits.maxTokens - keptTokens, definitions, prefixDefinitions, context));
        } catch (error) {
            console.warn("Hearth: markdown rendering failed; showing the text as is", error);
            context.codes.length = 0;
            definitions.splice(prefixDefinitions);
            fresh = [{ start, tokens: 0, markup: `<p>${escapeHtml(text.slice(start, end))}</p>`, codes: [], highlighted: 0, incomplete: false }];
        } finally {
            pass = undefined;
        }
        this.text = text;
        this.end = end;
        this.rendered = kept.concat(fresh);
        this.definitions = definitions;
        for (const block of fresh) codes.push(...block.codes);

        const blocks = this.chunk(keep, work);
        if (end < text.length) {
            const rest = text.slice(end);
            const index = codes.push(rest) - 1;
            const shown = plainPart(rest);
            work.plainChars += shown.length;
            const note =
                shown.length === rest.length
                    ? `The rest of this answer (${count(rest.length)} characters) is too long to format: it is shown as plain text.`
                    : `The rest of this answer (${count(rest.length)} characters) is too long to format or to show: its first ${count(shown.length)} characters are shown as plain text (Copy copies all of it).`;
            const markup = `<p class="markdown-overflow-note">${note}</p>\n<div class="code-block" data-code="${index}" data-lang="text"><pre><code class="hljs">${escapeHtml(shown)}</code></pre></div>\n`;
            work.markupChars += markup.length;
            work.chunks++;
            blocks.push(markup);
        }
        addWork(total, work);
        return { blocks, codes, work, incomplete: context.incomplete };
    }

    /**
     * Parses text[start, end) (`start` is a line start) and renders its top-level blocks, within `budget` tokens:
     * when they would make more, markdown ends at the block that crosses it, or, when that is the first block,
     * inside it (cut in proportion, at a line start where there is one, and parsed again: at most three times,
     * each at most half as long as the one before, so that all the parses add up to less than twice the first).
     */
    private parse(
        text: string,
        start: number,
        end: number,
        budget: number,
        definitions: ReferenceDefinition[],
        prefixDefinitions: number,
        context: PassContext,
    ): { blocks: RenderedBlock[]; end: number } {
        for (let attempt = 0; ; attempt++) {
            const region = text.slice(start, end);
            definitions.splice(prefixDefinitions);
            const references = Object.create(null) as References;
            for (const definition of definitions) references[definition.label] = definition.value;
            const env: PassEnv = { references, hearth: { offset: start, definitions } };
            context.work.parsedChars += region.length;
            const parsed: ParsedBlock[] = [];
            let line = 0;
            let lineStart = 0;
            let used = 0;
            let over = -1;
            for (const tokens of topLevelBlocks(md.parse(region, env))) {
                const first = tokens[0]?.map?.[0] ?? line;
                while (line < first) {
                    const next = region.indexOf("\n", lineStart);
                    if (next < 0) break;
                    lineStart = next + 1;
                    line++;
                }
                const count = tokens.reduce((sum, token) => sum + 1 + (token.children?.length ?? 0), 0);
                context.work.tokens += count;
                if (over < 0 && used + count > budget) over = parsed.length;
                used += count;
                parsed.push({ tokens, start: start + lineStart, count });
            }
            const crossing = parsed[over];
            if (crossing === undefined) return { blocks: this.renderBlocks(parsed, env, context), end };
            if (over > 0 || attempt >= 3 || budget <= 0) {
                end = crossing.start;
                for (const definition of definitions.splice(prefixDefinitions)) if (definition.offset < end) definitions.push(definition);
                return { blocks: this.renderBlocks(parsed.slice(0, over), env, context), end };
            }
            // Half the share the budget allows: each re-parse is at most half as long as the one before.
            const cut = boundary(text, crossing.start, crossing.start + Math.floor(((end - crossing.start) * budget) / crossing.count / 2));
            if (cut <= crossing.start) {
                definitions.splice(prefixDefinitions);
                return { blocks: [], end: crossing.start };
            }
            end = cut;
        }
    }

    private renderBlocks(parsed: readonly ParsedBlock[], env: PassEnv, context: PassContext): RenderedBlock[] {
        return parsed.map(({ tokens, start, count }) => {
            const codesBefore = context.codes.length;
            const highlightedBefore = context.highlighted;
            const incompleteBefore = context.incomplete;
            context.incomplete = false;
            const markup = md.renderer.render(tokens, md.options, env);
            context.work.blocks++;
            context.work.markupChars += markup.length;
            const incomplete = context.incomplete;
            context.incomplete ||= incompleteBefore;
            return { start, tokens: count, markup, codes: context.codes.slice(codesBefore), highlighted: context.highlighted - highlightedBefore, incomplete };
        });
    }

    /** Groups the blocks into chunks (greedily, from the start: chunks of kept blocks stay the same strings). */
    private chunk(keep: number, work: RenderWork): string[] {
        const chunks = this.chunks.filter((chunk) => chunk.to <= keep);
        let from = chunks.at(-1)?.to ?? 0;
        while (from < this.rendered.length) {
            let to = from;
            let size = 0;
            while (to < this.rendered.length && size < renderLimits.chunkChars && to - from < renderLimits.chunkBlocks)
                size += this.rendered[to++]?.markup.length ?? 0;
            const markup = this.rendered
                .slice(from, to)
                .map((block) => block.markup)
                .join("");
            chunks.push({ from, to, markup });
            work.chunks++;
            from = to;
        }
        this.chunks = chunks;
        return chunks.map((chunk) => chunk.markup);
    }
}

/** Renders a whole answer once. */
export function renderMarkdown(text: string): RenderedMarkdown {
    return new MarkdownRenderer().render(text);
}
