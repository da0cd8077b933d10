/**
 * Token healing: a prompt that ends inside a word ends on a token the model rarely saw there
 * ("compu" is " comp" + "u"). The last token(s) of the typed word are taken back, and the first
 * generated tokens are made to spell them again, so the model picks the token it would have
 * written (" compute"). Pure except for the vocabulary it is given.
 */
import type { Token } from "node-llama-cpp" with { "resolution-mode": "import" };

/** At most this many tokens are taken back. */
const maxHealedTokens = 3;
const WORD_PIECE = /^ ?[\p{L}\p{N}_]+$/u;

/** The tokens to take back from the end of the typed text, and the text they spell. */
export interface Healing {
    readonly count: number;
    readonly text: string;
}

/**
 * What to take back from the end of `typed` (the prompt's last tokens, the text typed on the line):
 * its last token, and the ones before it while together they are one word (with its leading space).
 * Undefined when there is nothing worth healing (no tokens, or a line break).
 */
export function healingOf(typed: readonly Token[], textOf: (token: Token) => string): Healing | undefined {
    let count = 0;
    let text = "";
    while (count < Math.min(maxHealedTokens, typed.length)) {
        const token = typed[typed.length - 1 - count];
        if (token === undefined) break;
        const piece = textOf(token);
        if (count > 0 && !(WORD_PIECE.test(piece) && /^[\p{L}\p{N}_]/u.test(text))) break;
        text = piece + text;
        count++;
        if (!/^[\p{L}\p{N}_]+$/u.test(text)) break; // it starts a word (or is punctuation): far enough
    }
    if (count === 0 || text === "" || text.includes("\n")) return undefined;
    return { count, text };
}

/** The vocabulary's tokens by their text, to find those that agree with what remains to be healed. */
export class VocabularyIndex {
    private constructor(
        /** Tokens sorted by their text. */
        private readonly sorted: readonly { readonly text: string; readonly token: Token }[],
        private readonly byText: ReadonlyMap<string, readonly Token[]>,
    ) {}

    /** `tokens`: every token with its text; control tokens and tokens without text are left out. */
    static build(tokens: Iterable<{ readonly token: Token; readonly text: string; readonly control: boolean }>): VocabularyIndex {
        const sorted: { text: string; token: Token }[] = [];
        const byText = new Map<string, Token[]>();
        for (const { token, text, control } of tokens) {
            if (control || text === "" || text.includes("\uFFFD")) continue;
            sorted.push({ text, token });
            const same = byText.get(text);
            if (same === undefined) byText.set(text, [token]);
            else same.push(token);
        }
        sorted.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
        return new VocabularyIndex(sorted, byText);
    }

    /** Tokens that agree with `remaining`: they spell a start of it, or all of it and more. */
    candidates(remaining: string): Token[] {
        const found: Token[] = [];
        for (let length = 1; length < remaining.length; length++) found.push(...(this.byText.get(remaining.slice(0, length)) ?? []));
        for (let i = this.lowerBound(remaining); i < this.sorted.length; i++) {
            const entry = this.sorted[i];
            if (entry === undefined || !entry.text.startsWith(remaining)) break;
            found.push(entry.token);
        }
        return found;
    }

    private lowerBound(text: string): number {
        let low = 0;
        let high = this.sorted.length;
        while (low < high) {
            const middle = (low + high) >>> 1;
            if ((this.sorted[middle]?.text ?? "") < text) low = middle + 1;
            else high = middle;
        }
        return low;
    }
}

/**
 * Follows generated text while it heals: what remains to be spelled, and the text after the healed
 * part once it is spelled (undefined while healing, or when the model went elsewhere).
 */
export function healedText(generated: string, healing: Healing): { readonly remaining: string; readonly after: string | undefined; readonly failed: boolean } {
    if (generated.length < healing.text.length) {
        const agrees = healing.text.startsWith(generated);
        return { remaining: agrees ? healing.text.slice(generated.length) : "", after: undefined, failed: !agrees };
    }
    if (!generated.startsWith(healing.text)) return { remaining: "", after: undefined, failed: true };
    return { remaining: "", after: generated.slice(healing.text.length), failed: false };
}
