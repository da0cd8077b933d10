import type { PromptLayout } from "../../protocol/completionProtocol";
import type { PromptPieces } from "../completion/documentWindow";

/**
 * How a model family writes a fill-in-the-middle prompt as text, for servers that take text
 * prompts (llama.cpp's server tokenizes them with its special tokens; Ollama's `raw` mode and
 * OpenAI-compatible `/v1/completions` pass them to the model as they are). Each template is the
 * one its family was trained with, from the model cards:
 * - Qwen2.5-Coder: `<|fim_prefix|>…<|fim_suffix|>…<|fim_middle|>`, repo-level `<|repo_name|>`/`<|file_sep|>`
 * - CodeGemma: the same FIM markers, `<|file_separator|>` between files
 * - StarCoder/StarCoder2: `<fim_prefix>…<fim_suffix>…<fim_middle>`, `<file_sep>`
 * - Code Llama: `<PRE> …<SUF>…<MID>`
 * - DeepSeek-Coder: `<｜fim▁begin｜>…<｜fim▁hole｜>…<｜fim▁end｜>`
 * - Codestral: `[SUFFIX]…[PREFIX]…` (suffix first)
 */
export interface FimTemplate {
    /** The family, as Hearth reports it. */
    readonly name: string;
    /** Matched against the server's model name (Ollama tag, OpenAI model id, llama.cpp's model file). */
    readonly matches: RegExp;
    readonly prefix: string;
    readonly suffix: string;
    readonly middle: string;
    /** Between files of a repo-level prompt, where the family has one. */
    readonly fileSeparator?: string;
    readonly repoName?: string;
    /** The layouts the family was trained with: the first is used when the requested one is not among them. */
    readonly layouts: readonly PromptLayout[];
    /** Texts that end a suggestion when the model writes them (its end and FIM markers). */
    readonly stops: readonly string[];
}

const qwenMarkers = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|endoftext|>", "<|im_end|>"];

export const fimTemplates: readonly FimTemplate[] = [
    {
        name: "qwen2.5-coder",
        matches: /qwen/i,
        prefix: "<|fim_prefix|>",
        suffix: "<|fim_suffix|>",
        middle: "<|fim_middle|>",
        fileSeparator: "<|file_sep|>",
        repoName: "<|repo_name|>",
        layouts: ["psm", "spm"],
        stops: qwenMarkers,
    },
    {
        name: "codegemma",
        matches: /codegemma/i,
        prefix: "<|fim_prefix|>",
        suffix: "<|fim_suffix|>",
        middle: "<|fim_middle|>",
        fileSeparator: "<|file_separator|>",
        layouts: ["psm", "spm"],
        stops: ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_separator|>", "<eos>", "<end_of_turn>"],
    },
    {
        name: "starcoder",
        matches: /starcoder|santacoder/i,
        prefix: "<fim_prefix>",
        suffix: "<fim_suffix>",
        middle: "<fim_middle>",
        fileSeparator: "<file_sep>",
        layouts: ["psm"],
        stops: ["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<file_sep>", "<|endoftext|>"],
    },
    {
        name: "codellama",
        matches: /code-?llama/i,
        prefix: "<PRE> ",
        suffix: " <SUF>",
        middle: " <MID>",
        layouts: ["psm"],
        stops: ["<EOT>", "<PRE>", "<SUF>", "<MID>", "</s>"],
    },
    {
        name: "deepseek-coder",
        matches: /deepseek-?coder/i,
        prefix: "<｜fim▁begin｜>",
        suffix: "<｜fim▁hole｜>",
        middle: "<｜fim▁end｜>",
        layouts: ["psm"],
        stops: ["<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<｜end▁of▁sentence｜>", "<|EOT|>"],
    },
    {
        name: "codestral",
        matches: /codestral/i,
        prefix: "[PREFIX]",
        suffix: "[SUFFIX]",
        middle: "",
        layouts: ["spm"],
        stops: ["[PREFIX]", "[SUFFIX]", "</s>"],
    },
];

/** The family template for a model name, or undefined when Hearth knows none for it. */
export function fimTemplateFor(modelName: string): FimTemplate | undefined {
    return fimTemplates.find((template) => template.matches.test(modelName));
}

/** The template's markers that must each be a single special token of the server's vocabulary for it to apply. */
export function markersOf(template: FimTemplate): string[] {
    return [template.prefix, template.suffix, template.middle].map((marker) => marker.trim()).filter((marker) => marker !== "");
}

/** The layout a request gets with this template: the requested one when the family was trained with it. */
export function layoutFor(template: FimTemplate, requested: PromptLayout): PromptLayout {
    return template.layouts.includes(requested) ? requested : (template.layouts[0] ?? "psm");
}

/**
 * Text from the document in which the template's markers (and any `<|…|>` control text) can no
 * longer read as markers: a server that tokenizes with its special tokens would otherwise take a
 * file that mentions `<|fim_prefix|>` for a prompt of its own. A zero-width space goes after the
 * marker's first character; the local engine tokenizes such text as text and needs none of this.
 */
function defuse(text: string, template: FimTemplate): string {
    let result = text;
    for (const marker of [...template.stops, template.prefix.trim(), template.suffix.trim(), template.middle.trim(), template.fileSeparator ?? ""]) {
        if (marker.length > 1 && result.includes(marker)) result = result.split(marker).join(`${marker[0]}\u200b${marker.slice(1)}`);
    }
    return result.replace(/<\|(?=[a-z_]+\|>)/g, "<\u200b|");
}

/** A repo-level header: the repository's name, other files' snippets and the file's own path, in the family's format. */
export function headerText(
    template: FimTemplate,
    path: string,
    snippets: readonly { readonly path: string; readonly text: string }[],
    repo: string | undefined,
    repoName: boolean,
): string {
    const separator = template.fileSeparator;
    if (separator === undefined) return "";
    let header = repoName && template.repoName !== undefined && repo !== undefined && repo !== "" ? `${template.repoName}${defuse(repo, template)}\n` : "";
    for (const snippet of snippets) header += `${separator}${defuse(snippet.path, template)}\n${defuse(snippet.text, template)}\n`;
    return `${header}${separator}${defuse(path, template)}\n`;
}

/**
 * The prompt for a request's pieces, laid out as the local engine lays out tokens (what changes
 * while typing stays at the end, so a server's prompt cache keeps the rest).
 */
export function promptText(template: FimTemplate, pieces: PromptPieces, header: string, eofNewline: boolean): string {
    const prefix = defuse(pieces.prefix, template);
    const suffix = defuse(pieces.suffix === "" && eofNewline ? "\n" : pieces.suffix, template);
    if (pieces.layout === "spm") return `${header}${template.suffix}${suffix}${template.prefix}${prefix}${template.middle}`;
    return `${header}${template.prefix}${prefix}${template.suffix}${suffix}${template.middle}${defuse(pieces.middle, template)}`;
}
