// Context chips above the composer: what the next message carries, each removable.
import type { ContextChip } from "../protocol/chatViewProtocol";
import { el, icon, iconButton } from "./dom";
import type { Post } from "./vscodeApi";

export class ChipsView {
    readonly element: HTMLUListElement;

    constructor(
        private readonly post: Post,
        /** Where focus goes when the last chip it was on disappears. */
        private readonly focusFallback: () => void,
    ) {
        this.element = el("ul", { className: "chips", attrs: { "aria-label": "Context for the next message" } });
        this.element.hidden = true;
    }

    set(chips: readonly ContextChip[]): void {
        const buttons = Array.from(this.element.querySelectorAll("button"));
        const focusedIndex = buttons.findIndex((button) => button === document.activeElement);
        this.element.replaceChildren(...chips.map((chip) => this.chip(chip)));
        this.element.hidden = chips.length === 0;
        if (focusedIndex >= 0) {
            const next = Array.from(this.element.querySelectorAll("button"));
            const target = next[Math.min(focusedIndex, next.length - 1)];
            if (target !== undefined) target.focus();
            else this.focusFallback();
        }
    }

    private chip(chip: ContextChip): HTMLLIElement {
        const item = el(
            "li",
            { className: `chip chip-${chip.kind}` },
            icon(chip.kind === "file" ? "file" : "selection", "chip-icon"),
            el("span", { className: "chip-label", text: chip.label, attrs: { title: chip.label } }),
            chip.trimmedNote !== undefined && chip.trimmedNote !== "" && el("span", { className: "chip-note", text: chip.trimmedNote }),
            iconButton("close", `Remove ${chip.label}`, () => this.post({ type: "removeChip", id: chip.id }), "chip-remove"),
        );
        return item;
    }
}
