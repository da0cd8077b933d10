/**
 * Model names where space is short (the status bar, the chat view's footer). The full name, file
 * and backend always go in a tooltip or title beside them.
 */

/** Parenthesised notes, a trailing file type and a trailing quantisation tag: what the tooltip says anyway. */
const noise = [/\s*[([][^)\]]*[)\]]/g, /[-_. ]gguf$/i, /[-_. ](I?Q\d[\w]*|[BF]?F16|F32)$/i];

/** "Hearth demo model (random weights)" → "Hearth demo model"; at most `max` characters. */
export function shortModelName(name: string, max = 28): string {
    let plain = name.trim();
    for (const pattern of noise) plain = plain.replace(pattern, "").trim();
    return clip(plain === "" ? name.trim() : plain, max);
}

/**
 * A completion model and a chat model in one short label, the chat model without the words it
 * shares with the first: "Qwen2.5 Coder 1.5B + 7B Instruct".
 */
export function modelPairName(completion: string, chat: string, max = 40): string {
    const first = shortModelName(completion, Math.floor(max / 2));
    const second = shortModelName(chat, max);
    const firstWords = first.split(/[\s-]+/);
    const secondWords = second.split(/[\s-]+/);
    let shared = 0;
    while (shared < firstWords.length - 1 && shared < secondWords.length - 1 && firstWords[shared] === secondWords[shared]) shared++;
    // Cut the second name after its shared words, keeping its own separators.
    const rest = shared === 0 ? second : second.replace(new RegExp(`^(?:[^\\s-]+[\\s-]+){${shared}}`), "");
    return `${first} + ${clip(rest, Math.max(8, max - first.length - 3))}`;
}

function clip(text: string, max: number): string {
    return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}
