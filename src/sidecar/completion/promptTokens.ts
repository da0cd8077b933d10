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
    /** `<|repo_name|>`: Qwen2.5-Coder's repo-level prompts start with it and the repository's name. */
    readonly repoName?: Token;
}

/** How a prompt is written (each on by default; benchmarks turn one off to measure it). */
export interface PromptOptions {
    /** Start a repo-level prompt with `<|repo_name|>` and the repository's name, where the vocabulary has it. */
    readonly repoName: boolean;
    /** An empty suffix (the cursor at the end of a file without a final newline) goes as "\n", as peers send it. */
    readonly eofNewline: boolean;
}

/** Tokenizes plain text: special-token text in code stays text. */
type Tokenize = (text: string) => Token[];

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
    options: Pick<PromptOptions, "eofNewline"> = { eofNewline: true },
): Token[] {
    const prefix = tokenize(pieces.prefix);
    // A model trained on files that end with a line break reads an empty suffix as "the file goes on".
    const suffix = tokenize(pieces.suffix === "" && options.eofNewline ? "\n" : pieces.suffix);
    if (pieces.layout === "spm") return [...header, vocabulary.suffix, ...suffix, vocabulary.prefix, ...prefix, vocabulary.middle];
    return [...header, vocabulary.prefix, ...prefix, vocabulary.suffix, ...suffix, vocabulary.middle, ...tokenize(pieces.middle)];
}

/**
 * The part of the prompt before the current file: the repository's name, other files' snippets and
 * the file's own path, in the model's repo-level format
 * (`<|repo_name|>repo\n<|file_sep|>path\ncode\n…<|file_sep|>path\n`). Empty when the vocabulary has
 * no file separator.
 */
export function buildHeaderTokens(
    path: string,
    snippets: readonly ContextSnippet[],
    vocabulary: FimVocabulary,
    tokenize: Tokenize,
    repo: string | undefined,
    options: Pick<PromptOptions, "repoName"> = { repoName: true },
): Token[] {
    if (vocabulary.fileSeparator === undefined) return [];
    const tokens: Token[] = [];
    if (options.repoName && vocabulary.repoName !== undefined && repo !== undefined && repo !== "") tokens.push(vocabulary.repoName, ...tokenize(`${repo}\n`));
    for (const snippet of snippets) tokens.push(vocabulary.fileSeparator, ...tokenize(`${snippet.path}\n${snippet.text}\n`));
    tokens.push(vocabulary.fileSeparator, ...tokenize(`${path}\n`));
    return tokens;
}
