// What rendered markdown may contain: the elements and, per element, the attributes. sanitize.ts enforces it
// on every block before it reaches the page; the renderer's tests check its markup against it (no DOM needed).

/** Elements markdown rendering may produce (upper case, as tagName reports them). */
export const markdownTags: ReadonlySet<string> = new Set([
    "P",
    "PRE",
    "CODE",
    "SPAN",
    "A",
    "EM",
    "STRONG",
    "S",
    "DEL",
    "UL",
    "OL",
    "LI",
    "BLOCKQUOTE",
    "H1",
    "H2",
    "H3",
    "H4",
    "H5",
    "H6",
    "TABLE",
    "THEAD",
    "TBODY",
    "TR",
    "TH",
    "TD",
    "HR",
    "BR",
    "DIV",
]);

/** The attributes each element may carry (none for an element not listed). */
export const attributesByTag: Readonly<Record<string, ReadonlySet<string>>> = {
    A: new Set(["href", "title", "class"]),
    OL: new Set(["start"]),
    CODE: new Set(["class"]),
    SPAN: new Set(["class", "aria-hidden"]),
    DIV: new Set(["class", "data-code", "data-lang"]),
    P: new Set(["class"]),
    TH: new Set(["class"]),
    TD: new Set(["class"]),
};
