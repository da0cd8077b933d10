import assert from "node:assert/strict";
import { chooseMode, remainderAfterTyping, typedIntoStream, typedSince, type CursorText } from "../../src/extension/completion/completionSite";
import { choosePieces, defaultWindowOptions, suffixEndOf, windowStartLine } from "../../src/sidecar/completion/documentWindow";

describe("completion site: reuse without asking the model", () => {
    const at = (before: string, after = "\n}", documentId = "a"): CursorText => ({ documentId, before, after });

    it("sees text typed forward", () => {
        assert.equal(typedSince(at("const x = "), at("const x = fo")), "fo");
        assert.equal(typedSince(at("const x = "), at("const x = ")), "");
    });

    it("sees no typing when anything else changed", () => {
        assert.equal(typedSince(at("const x = fo"), at("const x = ")), undefined, "backspace");
        assert.equal(typedSince(at("const x = "), at("const y = f")), undefined, "an edit before the cursor");
        assert.equal(typedSince(at("const x = "), at("const x = f", "\n};")), undefined, "an edit after the cursor");
        assert.equal(typedSince(at("const x = "), at("const x = f", "\n}", "b")), undefined, "another document");
    });

    it("keeps what is left of a suggestion the user types into", () => {
        assert.equal(remainderAfterTyping("foo(bar);", "fo"), "o(bar);");
        assert.equal(remainderAfterTyping("foo(bar);", "fx"), undefined, "typed something else");
        assert.equal(remainderAfterTyping("foo(bar);", "foo(bar);"), undefined, "typed it all");
        assert.equal(remainderAfterTyping("foo   ", "foo"), undefined, "only whitespace left");
    });

    it("adopts a streaming suggestion when the typed text starts it", () => {
        assert.equal(typedIntoStream(at("x = "), "foo(bar", at("x = fo")), "fo");
        assert.equal(typedIntoStream(at("x = "), "", at("x = ")), "", "the same place asks again: wait for it");
        assert.equal(typedIntoStream(at("x = "), "foo(bar", at("x = fa")), undefined, "typed something else: supersede");
        assert.equal(typedIntoStream(at("x = "), "fo", at("x = foo")), undefined, "typed past what streamed so far");
        assert.equal(typedIntoStream(at("x = "), "fo", at("x = fo")), undefined, "nothing left to offer yet");
        assert.equal(typedIntoStream(at("x = "), "foo", at("x = f", "\n};")), undefined, "the text after the cursor changed");
    });

    const modes: [linePrefix: string, lineSuffix: string, expected: "line" | "block"][] = [
        ["    const x = ", "", "line"],
        ["    foo(", ");", "line"],
        ["", "", "block"],
        ["        ", "", "block"],
        ["function f() {", "", "block"],
        ["def f(x):", "", "block"],
        ["items.map((x) =>", "", "block"],
        ["    return a", " + b;", "line"],
    ];
    for (const [prefix, suffix, expected] of modes) {
        it(`${JSON.stringify(prefix)}|${JSON.stringify(suffix)} is a ${expected} completion`, () => assert.equal(chooseMode(prefix, suffix), expected));
    }
});

describe("document window: edges that stay put while the user types", () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i};`);
    const text = lines.join("\n");
    const options = { ...defaultWindowOptions, prefixLines: 64, suffixLines: 8, step: 16, maxMiddleLines: 2 };
    const offsetOf = (line: number, column = 0): number => lines.slice(0, line).join("\n").length + (line > 0 ? 1 : 0) + column;

    it("starts the window a step-aligned number of lines back", () => {
        assert.equal(windowStartLine(10, options), 0);
        assert.equal(windowStartLine(100, options), 48);
        assert.equal(windowStartLine(101, options), 48);
        assert.equal(windowStartLine(113, options), 64);
    });

    it("ends the suffix after the cursor's line and the next lines", () => {
        const cursor = offsetOf(200, 3);
        assert.equal(text.slice(cursor, suffixEndOf(text, cursor, 2)), "e 200;\nline 201;\nline 202;");
    });

    it("PSM keeps its anchor while the user types forward on a line", () => {
        const start = offsetOf(200, 5);
        const first = choosePieces(text, start, "psm", undefined, options);
        assert.equal(first.anchorMoved, true);
        assert.equal(first.anchor, offsetOf(200));
        assert.equal(first.middle, "line ");
        const typed = text.slice(0, start) + "xy" + text.slice(start);
        const second = choosePieces(
            typed,
            start + 2,
            "psm",
            { layout: "psm", anchor: first.anchor, windowStart: first.windowStart, prefix: first.prefix, suffix: first.suffix },
            options,
        );
        assert.equal(second.anchorMoved, false);
        assert.equal(second.prefix, first.prefix);
        assert.equal(second.suffix, first.suffix);
        assert.equal(second.middle, "line xy");
    });

    it("PSM moves its anchor when the cursor leaves the run", () => {
        const first = choosePieces(text, offsetOf(200, 5), "psm", undefined, options);
        const state = { layout: "psm" as const, anchor: first.anchor, windowStart: first.windowStart, prefix: first.prefix, suffix: first.suffix };
        assert.equal(choosePieces(text, offsetOf(150, 2), "psm", state, options).anchorMoved, true, "a jump back");
        assert.equal(choosePieces(text, offsetOf(230, 2), "psm", state, options).anchorMoved, true, "a jump forward");
    });

    it("SPM puts everything typed at the end of the prefix", () => {
        const pieces = choosePieces(text, offsetOf(200, 5), "spm", undefined, options);
        assert.ok(pieces.prefix.endsWith("line "));
        assert.ok(pieces.suffix.startsWith("200;"));
        assert.equal(pieces.middle, "");
    });
});
