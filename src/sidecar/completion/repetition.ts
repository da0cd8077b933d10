/**
 * Telling repeated code: the same line written again, a line that copies one of the lines below
 * with other spacing or punctuation, and degenerate repetition inside a line. Pure.
 */

/** A line with its spacing and trailing punctuation taken out, for comparing code. */
export function normalizedLine(line: string): string {
    return line.replace(/\s+/g, "").replace(/[;,]+$/, "");
}

/** Whether a line carries code worth comparing (a word or a number, not only brackets and punctuation). */
export function hasWords(line: string): boolean {
    return /[\p{L}\p{N}]/u.test(line);
}

/** Whether `line` nearly repeats one of the first `count` non-empty lines of `below`. */
export function copiesLineBelow(line: string, below: readonly string[], count = 3): boolean {
    const text = normalizedLine(line);
    if (text.length < 4 || !hasWords(line)) return false;
    let seen = 0;
    for (const candidate of below) {
        if (candidate.trim() === "") continue;
        if (normalizedLine(candidate) === text) return true;
        if (++seen >= count) return false;
    }
    return false;
}

/**
 * Degenerate repetition inside a line: a piece of at least three characters with a word in it,
 * four or more times in a row (`foo = foo = foo = foo`). Separator lines (`// ======`) have no
 * word in their piece and pass.
 */
export function repeatsWithinLine(line: string): boolean {
    const text = line.trim();
    if (text.length < 12) return false;
    return [...text.matchAll(/(\S.{2,}?)\1{3,}/gu)].some((match) => hasWords(match[1] ?? ""));
}
