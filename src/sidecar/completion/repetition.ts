/**
 * Telling repeated code: the same line written again, a line that copies one of the lines below
 * (with other spacing or punctuation, or all but a character or two of it), runs of lines that
 * differ in one word, and degenerate repetition inside a line. Pure.
 */

/** A line with its spacing and trailing punctuation taken out, for comparing code. */
export function normalizedLine(line: string): string {
    return line.replace(/\s+/g, "").replace(/[;,]+$/, "");
}

/** Whether a line carries code worth comparing (a word or a number, not only brackets and punctuation). */
export function hasWords(line: string): boolean {
    return /[\p{L}\p{N}]/u.test(line);
}

/**
 * Whether `line` nearly repeats one of the first `count` non-empty lines of `below`: the same
 * code with other spacing or punctuation, or (a line of 12 characters or more) one that differs
 * in less than a tenth of its characters (`const total = 7;` above `const total = 6;`).
 */
export function copiesLineBelow(line: string, below: readonly string[], count = 3): boolean {
    const text = normalizedLine(line);
    if (text.length < 4 || !hasWords(line)) return false;
    let seen = 0;
    for (const candidate of below) {
        if (candidate.trim() === "") continue;
        const other = normalizedLine(candidate);
        // A line that opens a block (`it("case 2", () => {`) may start a sibling of the one below.
        if (other === text || (!/[([{:]$/.test(text) && nearlyEqual(text, other))) return true;
        if (++seen >= count) return false;
    }
    return false;
}

/** Two normalized lines of 12 characters or more that differ in less than a tenth of their characters. */
function nearlyEqual(a: string, b: string): boolean {
    const length = Math.max(a.length, b.length);
    if (Math.min(a.length, b.length) < 12) return false;
    const limit = Math.ceil(length / 10) - 1;
    return Math.abs(a.length - b.length) <= limit && editDistance(a, b, limit) <= limit;
}

/** Levenshtein distance, or `limit + 1` as soon as it is known to exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        let best = i;
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
            current.push(value);
            best = Math.min(best, value);
        }
        if (best > limit) return limit + 1;
        previous = current;
    }
    return previous[b.length] ?? 0;
}

/**
 * Two lines of the same shape that differ in exactly one word or number (`const b = 1;` and
 * `const c = 1;`): three such lines in a row are a pattern the model is stuck in.
 */
export function differInOneWord(a: string, b: string): boolean {
    const left = wordsOf(a);
    const right = wordsOf(b);
    if (left.length < 3 || left.length !== right.length) return false;
    let differences = 0;
    for (let i = 0; i < left.length; i++) {
        if (left[i] === right[i]) continue;
        if (!/^[\p{L}\p{N}_$]/u.test(left[i] ?? "") || !/^[\p{L}\p{N}_$]/u.test(right[i] ?? "")) return false;
        differences++;
    }
    return differences === 1;
}

function wordsOf(line: string): string[] {
    return line.trim().match(/[\p{L}\p{N}_$]+|\S/gu) ?? [];
}

/**
 * Degenerate repetition inside a line: a piece of at least three characters with a letter and
 * two different characters in it, four or more times in a row (`foo = foo = foo = foo`).
 * Separator lines (`// ======`) and long numbers (`1000000000000`) pass.
 */
export function repeatsWithinLine(line: string): boolean {
    const text = line.trim();
    if (text.length < 12) return false;
    return [...text.matchAll(/(\S.{2,}?)\1{3,}/gu)].some((match) => {
        const piece = match[1] ?? "";
        return /\p{L}/u.test(piece) && new Set(piece.replace(/\s/g, "")).size >= 2;
    });
}
