// A second line of defence behind markdown-it (`html: false`): the rendered markup is parsed into an inert
// <template> and every element and attribute is checked against an allowlist before it reaches the page.
// markdown-it as configured never produces anything outside it; if it ever did, the element becomes text.
import { isSafeHref } from "./links";

/** Elements markdown rendering may produce (upper case, as tagName reports them). */
export const markdownTags: ReadonlySet<string> = new Set([
    "P", "PRE", "CODE", "SPAN", "A", "EM", "STRONG", "S", "DEL", "UL", "OL", "LI", "BLOCKQUOTE",
    "H1", "H2", "H3", "H4", "H5", "H6", "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "HR", "BR", "DIV",
]);

const attributesByTag: Readonly<Record<string, ReadonlySet<string>>> = {
    A: new Set(["href", "title", "class"]),
    OL: new Set(["start"]),
    CODE: new Set(["class"]),
    SPAN: new Set(["class", "aria-hidden"]),
    DIV: new Set(["class", "data-code", "data-lang"]),
    TH: new Set(["class"]),
    TD: new Set(["class"]),
};
const none: ReadonlySet<string> = new Set();

/** Cleans `fragment` in place. */
export function sanitizeFragment(fragment: DocumentFragment): void {
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
