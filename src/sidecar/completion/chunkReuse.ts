/**
 * Reusing what a cursor jump left in the KV cache. node-llama-cpp keeps only the common prefix of
 * the cached tokens and a new prompt; after a jump (and the window's start moving with it) the new
 * prompt's next tokens are often still in the cache further along: the text above the new place was
 * the suffix of the old prompt, the window's start moved down by a step. llama.cpp's server reuses
 * such chunks by shifting them into place (`--cache-reuse`); node-llama-cpp can do the same by
 * erasing the cached tokens before a chunk (`eraseContextTokenRanges` shifts the later ones down),
 * though it cannot insert. Those tokens' keys and values were computed after slightly different
 * text: as with the server's cache reuse, a chunk must be long to be worth it. Pure.
 */
/** Chunks shorter than this are evaluated again rather than moved. */
export const minReuseChunkTokens = 64;

interface ChunkReusePlan {
    /** Ranges to erase from the cache, in order, each in the cache's positions after the ones before it. */
    readonly erase: readonly { readonly start: number; readonly end: number }[];
    /** Prompt tokens that end up in place after the common prefix, not evaluated again. */
    readonly moved: number;
}

/**
 * Which cached ranges to erase so that runs of `prompt` found further along in `cached` (each at
 * least `minChunk` tokens, in order) follow the common prefix.
 */
export function planChunkReuse<Token>(cached: readonly Token[], prompt: readonly Token[], minChunk = minReuseChunkTokens): ChunkReusePlan {
    const cache = [...cached];
    let at = commonPrefix(cache, prompt);
    const erase: { start: number; end: number }[] = [];
    let moved = 0;
    while (at + minChunk <= prompt.length && at < cache.length) {
        const found = findChunk(cache, prompt, at, minChunk);
        if (found === undefined) break;
        let length = minChunk;
        while (found + length < cache.length && at + length < prompt.length && cache[found + length] === prompt[at + length]) length++;
        erase.push({ start: at, end: found });
        cache.splice(at, found - at);
        moved += length;
        at += length;
    }
    return { erase, moved };
}

function commonPrefix<Token>(a: readonly Token[], b: readonly Token[]): number {
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    return i;
}

/** The first position after `at` in `cache` where `prompt[at, at + length)` is found whole. */
function findChunk<Token>(cache: readonly Token[], prompt: readonly Token[], at: number, length: number): number | undefined {
    const first = prompt[at];
    for (let q = at + 1; q + length <= cache.length; q++) {
        if (cache[q] !== first) continue;
        let k = 1;
        while (k < length && cache[q + k] === prompt[at + k]) k++;
        if (k === length) return q;
    }
    return undefined;
}
