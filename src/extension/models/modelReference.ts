/**
 * What a user writes to name a model: a local file, or a Hugging Face model in the forms
 * node-llama-cpp resolves (its `parseModelUri`), so a reference copied from its docs, from
 * llama.cpp's `-hf` or from a model card works here too:
 *
 *   hf:owner/repo:Q4_K_M                      a quantisation tag, resolved through the Hub's manifest API
 *   hf:owner/repo                             the repository's default quantisation (tag "latest")
 *   hf:owner/repo/path/file.gguf#branch       one file, optionally on another branch than "main"
 *
 * Parsing is stricter than node-llama-cpp's because the owner, repository and file path
 * become folders and files under the models folder: anything that could step out of it
 * ("..", absolute paths, backslashes, control characters) is refused here, before any
 * network or disk work.
 */

export type ModelReference =
    | { readonly kind: "file"; readonly path: string }
    | {
          readonly kind: "hfFile";
          /** Canonical form: `hf:owner/repo/path/file.gguf`, plus `#branch` when it is not "main". */
          readonly uri: string;
          readonly owner: string;
          readonly repo: string;
          /** The file's path inside the repository, "/"-separated. */
          readonly file: string;
          readonly branch: string;
      }
    | {
          readonly kind: "hfQuant";
          /** Canonical form: `hf:owner/repo:TAG`, or `hf:owner/repo` for the default tag. */
          readonly uri: string;
          readonly owner: string;
          readonly repo: string;
          /** A quantisation name upper-cased (Q4_K_M), another tag as written, or "latest". */
          readonly tag: string;
      };

export type HuggingFaceReference = Extract<ModelReference, { readonly kind: "hfFile" | "hfQuant" }>;

export const defaultHuggingFaceBranch = "main";
const defaultQuantTag = "latest";

const examples =
    "Write hf:owner/repo:QUANT (for example hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M) " +
    "or hf:owner/repo/path/file.gguf (for example hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf), " +
    "optionally followed by #branch.";

/** A Hugging Face reference that cannot be used; the message says what form to write. */
export class ModelReferenceError extends Error {
    override readonly name = "ModelReferenceError";

    constructor(
        readonly reference: string,
        readonly problem: string,
    ) {
        super(`"${reference}" is not a valid Hugging Face model reference: ${problem}. ${examples}`);
    }
}

/** Longest first, so "hf://" is not read as "hf:" followed by "//". */
const prefixes = ["huggingface://", "huggingface:", "hf://", "hf:"] as const;

/**
 * The quantisation names node-llama-cpp recognises in a tag (its `ggufFileQuantNamesSet`):
 * a tag that is one of them is upper-cased, as node-llama-cpp does, so `:q4_k_m` and
 * `:Q4_K_M` are the same model.
 */
export const knownQuantNames: ReadonlySet<string> = new Set([
    "Q1_0",
    "Q2_0",
    "Q4_0",
    "Q4_1",
    "MXFP4_MOE",
    "NVFP4",
    "Q5_0",
    "Q5_1",
    "IQ2_XXS",
    "IQ2_XS",
    "IQ2_S",
    "IQ2_M",
    "IQ1_S",
    "IQ1_M",
    "TQ1_0",
    "TQ2_0",
    "Q2_K",
    "Q2_K_S",
    "IQ3_XXS",
    "IQ3_S",
    "IQ3_M",
    "Q3_K",
    "IQ3_XS",
    "Q3_K_S",
    "Q3_K_M",
    "Q3_K_L",
    "IQ4_NL",
    "IQ4_XS",
    "Q4_K",
    "Q4_K_S",
    "Q4_K_M",
    "Q5_K",
    "Q5_K_S",
    "Q5_K_M",
    "Q6_K",
    "Q8_0",
    "F16",
    "BF16",
    "F32",
    "MXFP4",
    "Q2_K_XL",
    "Q3_K_XL",
    "Q4_K_XL",
    "Q5_K_XL",
    "Q6_K_XL",
    "Q7_K_XL",
    "Q8_K_XL",
]);

/** Hugging Face's own rule for user, organisation and repository names, give or take. */
const namePattern = /^[A-Za-z0-9._-]{1,96}$/;
const tagPattern = /^[A-Za-z0-9._-]{1,128}$/;
const branchPattern = /^[A-Za-z0-9._/-]{1,255}$/;
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/;

/** Whether `raw` is meant as a Hugging Face reference (rather than a local file path). */
export function isHuggingFaceReference(raw: string): boolean {
    return huggingFacePrefix(raw.trim()) !== undefined;
}

function huggingFacePrefix(trimmed: string): string | undefined {
    const lower = trimmed.toLowerCase();
    return prefixes.find((prefix) => lower.startsWith(prefix));
}

/** The form a setting stores: a file path as written (trimmed), an hf: reference in its canonical `uri`. */
export function canonicalReference(raw: string): string {
    const reference = parseModelReference(raw);
    return reference.kind === "file" ? reference.path : reference.uri;
}

/**
 * Parses a model reference. Anything without an hf:/huggingface: prefix is a local file path,
 * returned trimmed and otherwise as written (the caller expands ~ and variables).
 * Throws ModelReferenceError for an empty reference or a Hugging Face reference that is
 * malformed or unsafe.
 */
export function parseModelReference(raw: string): ModelReference {
    const trimmed = raw.trim();
    if (trimmed === "") throw new ModelReferenceError(raw, "it is empty");
    const prefix = huggingFacePrefix(trimmed);
    if (prefix === undefined) return { kind: "file", path: trimmed };
    const body = trimmed.slice(prefix.length);
    const fail = (problem: string): never => {
        throw new ModelReferenceError(trimmed, problem);
    };

    if (controlCharacters.test(body)) fail("it contains control characters");
    if (body.includes("\\")) fail("it contains a backslash; separate folders with /");
    if (body.startsWith("/")) fail("it starts with /, but it must start with the repository owner");

    const [owner = "", repoAndTag = "", ...pathParts] = body.split("/");
    const rest = pathParts.join("/");
    checkName(owner, "owner", fail);

    if (rest === "" || repoAndTag.includes(":")) {
        if (rest !== "") fail("a :quantisation tag cannot be combined with a file path; write either hf:owner/repo:QUANT or hf:owner/repo/file.gguf");
        if (repoAndTag.includes("#")) fail("a #branch can only follow a file path (hf:owner/repo/file.gguf#branch)");
        const colon = repoAndTag.indexOf(":");
        const repo = colon < 0 ? repoAndTag : repoAndTag.slice(0, colon);
        checkName(repo, "repository", fail);
        const tag = normaliseTag(colon < 0 ? "" : repoAndTag.slice(colon + 1).trim(), fail);
        const uri = `hf:${owner}/${repo}${tag === defaultQuantTag ? "" : `:${tag}`}`;
        return { kind: "hfQuant", uri, owner, repo, tag };
    }

    const repo = repoAndTag;
    checkName(repo, "repository", fail);
    const hash = rest.indexOf("#");
    const file = hash < 0 ? rest : rest.slice(0, hash);
    const branch = hash < 0 || rest.slice(hash + 1) === "" ? defaultHuggingFaceBranch : rest.slice(hash + 1);
    const fileProblem = repoFilePathProblem(file);
    if (fileProblem !== undefined) fail(fileProblem);
    const branchProblem = branchNameProblem(branch);
    if (branchProblem !== undefined) fail(branchProblem);
    const uri = `hf:${owner}/${repo}/${file}${branch === defaultHuggingFaceBranch ? "" : `#${branch}`}`;
    return { kind: "hfFile", uri, owner, repo, file, branch };
}

function checkName(name: string, what: "owner" | "repository", fail: (problem: string) => never): void {
    if (name === "") fail(`the ${what} is missing`);
    if (name === "." || name === ".." || !namePattern.test(name)) {
        fail(`the ${what} "${name}" may only contain letters, digits, ".", "-" and "_"`);
    }
}

function normaliseTag(tag: string, fail: (problem: string) => never): string {
    if (tag === "" || tag.toLowerCase() === defaultQuantTag) return defaultQuantTag;
    if (!tagPattern.test(tag)) fail(`the quantisation tag "${tag}" may only contain letters, digits, ".", "-" and "_"`);
    const upper = tag.toUpperCase();
    return knownQuantNames.has(upper) ? upper : tag;
}

/**
 * Why `file` is not a safe path of a .gguf file inside a repository, or undefined when it is.
 * Also checks the file names a server sends (the manifest's `rfilename`), since they become
 * paths on disk too.
 */
export function repoFilePathProblem(file: string): string | undefined {
    if (file === "") return "the file path is missing";
    if (controlCharacters.test(file)) return "the file path contains control characters";
    if (file.includes("\\")) return "the file path contains a backslash; separate folders with /";
    if (file.startsWith("/")) return "the file path must be relative to the repository, not absolute";
    for (const segment of file.split("/")) {
        if (segment === "") return `the file path "${file}" has an empty folder name (//)`;
        if (segment === "." || segment === "..") return `the file path "${file}" contains "${segment}"`;
        if (segment.includes(":")) return `the file path "${file}" contains ":"`;
    }
    const name = file.slice(file.lastIndexOf("/") + 1);
    if (!name.toLowerCase().endsWith(".gguf") || name.length === ".gguf".length) return `"${name}" is not a .gguf file`;
    return undefined;
}

function branchNameProblem(branch: string): string | undefined {
    if (!branchPattern.test(branch)) return `the branch "${branch}" may only contain letters, digits, ".", "-", "_" and "/"`;
    if (branch.split("/").some((segment) => segment === "" || segment === "." || segment === "..")) {
        return `the branch "${branch}" has an empty, "." or ".." part`;
    }
    return undefined;
}
