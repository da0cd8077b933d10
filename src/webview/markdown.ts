// Markdown for assistant answers: markdown-it with raw HTML off, links limited to http(s)/mailto,
// images shown as links, code blocks highlighted by highlight.js (whose output is escaped text in spans).
import MarkdownIt from "markdown-it";
import type { Token } from "markdown-it";
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
import { sanitizeFragment } from "./sanitize";

const languages = { bash, c, cpp, css, diff, go, java, javascript, json, markdown: markdownLanguage, python, rust, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);
hljs.registerAliases(["sh", "shell", "zsh", "console"], { languageName: "bash" });

const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });
md.validateLink = validateLinkTarget;
const escapeHtml = (text: string): string => md.utils.escapeHtml(text);

/** Code blocks of the render in progress, in order (the Copy/Insert/Apply buttons use them). */
let collected: string[] = [];

// Highlighting is the costly part of re-rendering a streaming answer: finished code blocks come from this
// cache (least recently used first out, bounded by the characters it holds).
const highlightCache = new Map<string, string>();
const highlightCacheChars = 4_000_000;
let cachedChars = 0;

function highlight(code: string, language: string | undefined): string {
    if (language === undefined) return escapeHtml(code);
    const key = `${language}\u0000${code}`;
    const cached = highlightCache.get(key);
    if (cached !== undefined) {
        highlightCache.delete(key);
        highlightCache.set(key, cached);
        return cached;
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

function renderCodeBlock(content: string, info: string): string {
    const word = info.trim().split(/\s+/, 1)[0] ?? "";
    const languageId = word.toLowerCase().replace(/[^a-z0-9_+#.-]/g, "").slice(0, 32);
    const language = languageId !== "" && hljs.getLanguage(languageId) !== undefined ? languageId : undefined;
    const code = content.endsWith("\n") ? content.slice(0, -1) : content;
    const index = collected.push(code) - 1;
    const codeClass = language === undefined ? "hljs" : `hljs language-${language}`;
    return `<div class="code-block" data-code="${index}" data-lang="${escapeHtml(languageId)}"><pre><code class="${codeClass}">${highlight(code, language)}</code></pre></div>\n`;
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

export interface RenderedMarkdown {
    /** The markup of each top-level block (markdown-it and highlight.js output), in order. */
    readonly blocks: readonly string[];
    /** The code of each code block, by its `data-code` index. */
    readonly codes: readonly string[];
}

/**
 * Renders markdown to markup, one string per top-level block, so a re-render can keep the blocks that did
 * not change and parse only those that did. An unterminated fence renders as a code block so far.
 */
export function renderMarkdown(text: string): RenderedMarkdown {
    collected = [];
    let blocks: string[];
    try {
        const env = {};
        const tokens = md.parse(text, env);
        blocks = topLevelBlocks(tokens).map((block) => md.renderer.render(block, md.options, env));
    } catch (error) {
        console.warn("Hearth: markdown rendering failed; showing the text as is", error);
        collected = [];
        blocks = [`<p>${escapeHtml(text)}</p>`];
    }
    const codes = collected;
    collected = [];
    return { blocks, codes };
}

/** One block's markup as detached, sanitized nodes: parsed inert in a <template>, then checked against the allowlist. */
export function buildBlock(html: string): ChildNode[] {
    const template = document.createElement("template");
    template.innerHTML = html; // markdown-it (html: false) and highlight.js output only
    sanitizeFragment(template.content);
    return Array.from(template.content.childNodes).filter((node) => node.nodeType !== Node.TEXT_NODE || (node.textContent ?? "").trim() !== "");
}
