/**
 * How much of a document goes to the engine per request: the text around the cursor, never the
 * whole of a huge file (a minified 50 MB line would cost a 50 MB message per keystroke). The start
 * moves in steps, so the text sent stays the same while the user types (the prompt's cache holds).
 */
const sentDocumentChars = { before: 256 * 1024, after: 64 * 1024, step: 64 * 1024 } as const;

/**
 * The offsets sent for a cursor: from a stepped point at most `before` (plus a step) back, moved on
 * to the next line's start when one begins before the cursor, to `after` past the cursor.
 */
export function sentRange(
    cursor: number,
    length: number,
    positionAt: (offset: number) => { readonly line: number; readonly character: number },
    lineStart: (line: number) => number,
    limits: { readonly before: number; readonly after: number; readonly step: number } = sentDocumentChars,
): { readonly start: number; readonly end: number } {
    const end = Math.min(length, cursor + limits.after);
    if (cursor <= limits.before) return { start: 0, end };
    let start = Math.floor((cursor - limits.before) / limits.step) * limits.step;
    const at = positionAt(start);
    if (at.character > 0) {
        const next = lineStart(at.line + 1);
        if (next <= cursor && next > start) start = next;
    }
    return { start, end };
}
