import type { CompletionMode } from "../../protocol/completionProtocol";

/**
 * Where the cursor is, as text: what is before and after it in its document. Two sites
 * say whether the user only typed forward between them (the basis of reusing a shown
 * or streaming suggestion without asking the model).
 */
export interface CursorText {
    readonly documentId: string;
    readonly before: string;
    readonly after: string;
}

/** The text typed between `earlier` and `now`, or undefined when anything else changed. */
export function typedSince(earlier: CursorText, now: CursorText): string | undefined {
    if (earlier.documentId !== now.documentId || earlier.after !== now.after) return undefined;
    if (now.before.length < earlier.before.length || !now.before.startsWith(earlier.before)) return undefined;
    return now.before.slice(earlier.before.length);
}

/** What is left of `suggestion` after the user typed `typed`, or undefined when they typed something else. */
export function remainderAfterTyping(suggestion: string, typed: string): string | undefined {
    if (!suggestion.startsWith(typed)) return undefined;
    const rest = suggestion.slice(typed.length);
    return rest.trim() === "" ? undefined : rest;
}

/**
 * Whether a request still streaming can answer the keystroke at `now`: the user typed
 * forward since it was sent, and what they typed is the start of what it has streamed.
 * Returns the typed text, or undefined when the request must be superseded.
 */
export function typedIntoStream(sent: CursorText, streamed: string, now: CursorText): string | undefined {
    const typed = typedSince(sent, now);
    if (typed === undefined || !streamed.startsWith(typed)) return undefined;
    if (typed !== "" && streamed === typed) return undefined; // it has nothing left to offer yet
    return typed;
}

/**
 * One line when the cursor has code to its right; a block when the rest of the line is
 * empty and the cursor starts a line or follows a block opener.
 */
export function chooseMode(linePrefix: string, lineSuffix: string): CompletionMode {
    if (lineSuffix.trim() !== "") return "line";
    if (linePrefix.trim() === "") return "block";
    return /(?:[{([:]|=>|\bthen|\bdo)\s*$/.test(linePrefix) ? "block" : "line";
}
