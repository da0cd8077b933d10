// A second line of defence behind markdown-it (`html: false`): the rendered markup is parsed into an inert
// <template> and every element and attribute is checked against an allowlist before it reaches the page.
// markdown-it as configured never produces anything outside it; if it ever did, the element becomes text.
import { attributesByTag, markdownTags } from "./allowlist";
import { isSafeHref } from "./links";

const none: ReadonlySet<string> = new Set();

/** Cleans `fragment` in place. */
function sanitizeFragment(fragment: DocumentFragment): void {
    for (const element of Array.from(fragment.querySelectorAll("*"))) {
        if (element.getRootNode() !== fragment) continue; // inside something already replaced
        if (!markdownTags.has(element.tagName)) {
            element.replaceWith(document.createTextNode(element.textContent ?? ""));
            continue;
        }
        const allowed = attributesByTag[element.tagName] ?? none;
        for (const name of element.getAttributeNames()) {
            if (!allowed.has(name)) element.removeAttribute(name);
        }
        if (element.tagName === "A") {
            const href = element.getAttribute("href");
            if (href === null || !isSafeHref(href)) element.replaceWith(...Array.from(element.childNodes));
        }
    }
}

/** Markup (markdown.ts's output) as detached, sanitized nodes: parsed inert in a <template>, then checked against the allowlist. */
export function buildBlock(html: string): ChildNode[] {
    const template = document.createElement("template");
    template.innerHTML = html; // markdown-it (html: false) and highlight.js output only
    sanitizeFragment(template.content);
    return Array.from(template.content.childNodes).filter((node) => node.nodeType !== Node.TEXT_NODE || (node.textContent ?? "").trim() !== "");
}
