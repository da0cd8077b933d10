// Small DOM helpers. Text always goes in through textContent; nothing here takes HTML.

type Child = Node | string | undefined | false;

interface ElementOptions {
    readonly className?: string;
    readonly text?: string;
    readonly attrs?: Readonly<Record<string, string>>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElementOptions = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
    const element = document.createElement(tag);
    if (options.className !== undefined) element.className = options.className;
    if (options.attrs !== undefined) for (const [name, value] of Object.entries(options.attrs)) element.setAttribute(name, value);
    if (options.text !== undefined) element.textContent = options.text;
    for (const child of children) {
        if (child === undefined || child === false) continue;
        element.append(child);
    }
    return element;
}

/** A codicon, hidden from screen readers (its button carries the label). */
export function icon(name: string, extraClass = ""): HTMLElement {
    return el("i", { className: `codicon codicon-${name}${extraClass === "" ? "" : ` ${extraClass}`}`, attrs: { "aria-hidden": "true" } });
}

/** An icon-only button: the label is its accessible name and its tooltip. */
export function iconButton(iconName: string, label: string, onClick: (event: MouseEvent) => void, className = ""): HTMLButtonElement {
    const button = el(
        "button",
        { className: `icon-button${className === "" ? "" : ` ${className}`}`, attrs: { type: "button", "aria-label": label, title: label } },
        icon(iconName),
    );
    button.addEventListener("click", onClick);
    return button;
}

/** Changes an icon button's icon and label in place (keeps focus). */
export function setIconButton(button: HTMLButtonElement, iconName: string, label: string): void {
    const glyph = button.querySelector("i.codicon");
    if (glyph !== null) glyph.className = `codicon codicon-${iconName}`;
    button.setAttribute("aria-label", label);
    button.title = label;
}

/** A button with an icon and visible text. */
export function textButton(
    text: string,
    onClick: (event: MouseEvent) => void,
    options: { readonly iconName?: string; readonly secondary?: boolean; readonly label?: string } = {},
): HTMLButtonElement {
    const attrs: Record<string, string> = { type: "button" };
    if (options.label !== undefined) attrs["aria-label"] = options.label;
    const button = el(
        "button",
        { className: `text-button${options.secondary === true ? " secondary" : ""}`, attrs },
        options.iconName !== undefined && icon(options.iconName),
        el("span", { text }),
    );
    button.addEventListener("click", onClick);
    return button;
}
