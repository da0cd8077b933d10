/**
 * Model names where space is short (the status bar, the chat view's footer). The full name, file
 * and backend always go in a tooltip or title beside them.
 */

/** A note in brackets with no brackets inside: taken out innermost first, so nested notes go too. */
const innermostNote = /\s*[([][^()[\]]*[)\]]/g;
/** A trailing file type and quantisation tag: what the tooltip says anyway. */
const suffixes = [/[-_. ]gguf$/i, /[-_. ](I?Q\d[\w]*|[BF]?F16|F32)$/i];
const separatorsAtEnds = /^[\s\-_.]+|[\s\-_.]+$/g;

/** "Hearth demo model (random weights)" → "Hearth demo model"; at most `max` characters, never empty. */
export function shortModelName(name: string, max = 28): string {
    const whole = name.trim();
    let plain = whole;
    for (let previous = ""; previous !== plain; ) {
        previous = plain;
        plain = plain.replace(innermostNote, "");
    }
    for (const pattern of suffixes) plain = plain.trim().replace(pattern, "");
    plain = plain.replace(separatorsAtEnds, "");
    return clip(plain !== "" ? plain : whole !== "" ? whole : "unnamed model", max);
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
    const rest = shared === 0 ? second : second.replace(new RegExp(`^(?:[^\\s-]+[\\s-]+){${shared}}`), "").replace(separatorsAtEnds, "");
    return `${first} + ${clip(rest !== "" ? rest : second, Math.max(8, max - first.length - 3))}`;
}

function clip(text: string, max: number): string {
    return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}
