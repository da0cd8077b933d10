import type { Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import type { ContextSnippet } from "../../protocol/completionProtocol";
import type { PromptPieces } from "./documentWindow";

export type { Token };

/** The FIM vocabulary of a model, read from its GGUF. */
export interface FimVocabulary {
    readonly prefix: Token;
    readonly suffix: Token;
    readonly middle: Token;
    /** `<|file_sep|>`, when the model knows repo-level prompts. */
    readonly fileSeparator: Token | undefined;
}

/** Tokenizes plain text: special-token text in code stays text. */
export type Tokenize = (text: string) => Token[];

/**
 * Joins separately tokenized segments, so that segment boundaries and special tokens
 * never shift with the text around them:
 * `[<file_sep> path \n code]… [<file_sep> path \n] FIM part`.
 */
export function buildPromptTokens(
    pieces: PromptPieces,
    header: readonly Token[],
    vocabulary: FimVocabulary,
    tokenize: Tokenize,
): Token[] {
    const prefix = tokenize(pieces.prefix);
    const suffix = tokenize(pieces.suffix);
    if (pieces.layout === "spm") return [...header, vocabulary.suffix, ...suffix, vocabulary.prefix, ...prefix, vocabulary.middle];
    return [...header, vocabulary.prefix, ...prefix, vocabulary.suffix, ...suffix, vocabulary.middle, ...tokenize(pieces.middle)];
}

/**
 * The part of the prompt before the current file: other files' snippets and the file's
 * own path, in the model's repo-level format. Empty when the vocabulary has no file separator.
 */
export function buildHeaderTokens(path: string, snippets: readonly ContextSnippet[], vocabulary: FimVocabulary, tokenize: Tokenize): Token[] {
    if (vocabulary.fileSeparator === undefined) return [];
    const tokens: Token[] = [];
    for (const snippet of snippets) tokens.push(vocabulary.fileSeparator, ...tokenize(`${snippet.path}\n${snippet.text}\n`));
    tokens.push(vocabulary.fileSeparator, ...tokenize(`${path}\n`));
    return tokens;
}
