/**
 * Turns a Hugging Face reference into something to download: the file's URL and, where the
 * Hub publishes them, its size and SHA-256, so the download can be checked. Asks the Hub the
 * way node-llama-cpp and llama.cpp do (the manifest API for a quantisation tag), and its tree
 * API for a file's checksum. The endpoint is a setting, for mirrors; a mirror without the
 * tree API still works, without the checksum.
 */
import { DownloadError, describeNetworkFailure } from "./downloadError";
import { defaultHuggingFaceBranch, repoFilePathProblem, type HuggingFaceReference } from "./modelReference";

const defaultHuggingFaceEndpoint = "https://huggingface.co";

export interface ResolvedDownload {
    /** The canonical reference it was resolved from. */
    readonly uri: string;
    readonly url: string;
    readonly owner: string;
    readonly repo: string;
    readonly branch: string;
    /** The file's path inside the repository, "/"-separated. */
    readonly file: string;
    readonly sizeBytes?: number;
    /** Lower-case hex. */
    readonly sha256?: string;
    /** Why there is no published checksum, when there is none (for the log). */
    readonly checksumNote?: string;
}

export interface HuggingFaceOptions {
    /** The Hub or a mirror (the hearth.models.huggingFaceEndpoint setting), e.g. "https://huggingface.co". */
    readonly endpoint: string;
    readonly signal?: AbortSignal;
    /** A Hugging Face access token, for gated and private repositories. */
    readonly token?: string;
    /** How long one API request may take. Default 30 s. */
    readonly requestTimeoutMs?: number;
}

/** The request headers that carry the token, if there is one. */
export function authorizationHeaders(token: string | undefined): Record<string, string> {
    const trimmed = token?.trim() ?? "";
    return trimmed === "" ? {} : { Authorization: `Bearer ${trimmed}` };
}

/** `{endpoint}/{owner}/{repo}/resolve/{branch}/{file}?download=true`, every part URI-encoded. */
export function huggingFaceFileUrl(endpoint: string, owner: string, repo: string, branch: string, file: string): string {
    const filePath = file.split("/").map(encodeURIComponent).join("/");
    return `${normaliseEndpoint(endpoint)}/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/resolve/${encodeURIComponent(branch)}/${filePath}?download=true`;
}

/** Resolves a reference to a download. Throws DownloadError (invalidReference, notFound, httpError, network, cancelled). */
export async function resolveHuggingFace(ref: HuggingFaceReference, options: HuggingFaceOptions): Promise<ResolvedDownload> {
    const endpoint = normaliseEndpoint(options.endpoint);
    const hub = new HubClient(endpoint, options);
    if (ref.kind === "hfQuant") {
        const manifest = await hub.manifest(ref.owner, ref.repo, ref.tag, ref.uri);
        const base = { uri: ref.uri, owner: ref.owner, repo: ref.repo, branch: defaultHuggingFaceBranch, file: manifest.file };
        const url = huggingFaceFileUrl(endpoint, ref.owner, ref.repo, defaultHuggingFaceBranch, manifest.file);
        if (manifest.sha256 !== undefined) return { ...base, url, sha256: manifest.sha256, ...optionalSize(manifest.sizeBytes) };
        const published = await hub.publishedFile(ref.owner, ref.repo, defaultHuggingFaceBranch, manifest.file);
        return { ...base, url, ...published, ...optionalSize(published.sizeBytes ?? manifest.sizeBytes) };
    }
    const url = huggingFaceFileUrl(endpoint, ref.owner, ref.repo, ref.branch, ref.file);
    const published = await hub.publishedFile(ref.owner, ref.repo, ref.branch, ref.file);
    return { uri: ref.uri, url, owner: ref.owner, repo: ref.repo, branch: ref.branch, file: ref.file, ...published };
}

function optionalSize(sizeBytes: number | undefined): { readonly sizeBytes?: number } {
    return sizeBytes === undefined ? {} : { sizeBytes };
}

function normaliseEndpoint(endpoint: string): string {
    const trimmed = endpoint.trim().replace(/\/+$/, "");
    let protocol = "";
    try {
        protocol = new URL(trimmed).protocol;
    } catch {
        // not a URL: reported below
    }
    if (protocol !== "https:" && protocol !== "http:") {
        throw new DownloadError(
            "invalidReference",
            `The Hugging Face endpoint "${endpoint}" is not an http(s) address: correct the hearth.models.huggingFaceEndpoint setting (for example ${defaultHuggingFaceEndpoint}).`,
        );
    }
    return trimmed;
}

const splitGgufPattern = /-(\d{5})-of-(\d{5})\.gguf$/i;
const sha256Pattern = /^(?:sha256:)?([0-9a-f]{64})$/i;

interface Manifest {
    readonly file: string;
    readonly sizeBytes?: number;
    readonly sha256?: string;
}

interface PublishedFile {
    readonly sizeBytes?: number;
    readonly sha256?: string;
    readonly checksumNote?: string;
}

/** One entry of the Hub's tree API. */
interface TreeEntry {
    readonly type?: unknown;
    readonly path?: unknown;
    readonly size?: unknown;
    readonly lfs?: { readonly oid?: unknown; readonly size?: unknown };
}

/** The tree API pages long folders; a model repository's folder is rarely more than one page. */
const maxTreePages = 20;

class HubClient {
    constructor(
        private readonly endpoint: string,
        private readonly options: HuggingFaceOptions,
    ) {}

    /** The file a quantisation tag stands for, as llama.cpp's `-hf` and node-llama-cpp find it. */
    async manifest(owner: string, repo: string, tag: string, uri: string): Promise<Manifest> {
        const url = `${this.endpoint}/v2/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/manifests/${encodeURIComponent(tag)}`;
        const repoName = `${owner}/${repo}`;
        // The Hub only includes `ggufFile` for llama.cpp's user agent.
        const body = await this.request(url, { "User-Agent": "llama-cpp", Accept: "application/json" }, async (response) => {
            if (response.status === 404 || response.status === 400) {
                await discardBody(response);
                const what = tag === "latest" ? "default quantisation" : `quantisation "${tag}"`;
                throw new DownloadError(
                    "notFound",
                    `There is no ${what} in ${repoName} on ${this.endpoint} (or no such repository): check the repository name and the tag, for example hf:${repoName}:Q4_K_M.`,
                    { status: response.status, url },
                );
            }
            await this.throwForStatus(response, repoName, url);
            return this.json(response, url);
        });
        const gguf = typeof body === "object" && body !== null ? (body as { readonly ggufFile?: unknown }).ggufFile : undefined;
        const record = typeof gguf === "object" && gguf !== null ? (gguf as Record<string, unknown>) : undefined;
        const file = record?.rfilename;
        if (typeof file !== "string") {
            throw new DownloadError(
                "httpError",
                `${this.endpoint} did not say which file ${uri} is (its manifest has no ggufFile): the endpoint may not be a Hugging Face Hub. Check the hearth.models.huggingFaceEndpoint setting, or name the file: hf:${repoName}/file.gguf.`,
                { url },
            );
        }
        const problem = repoFilePathProblem(file);
        if (problem !== undefined) {
            throw new DownloadError(
                "invalidReference",
                `${this.endpoint} named an unusable file for ${uri}: ${problem}. Name the file instead: hf:${repoName}/file.gguf.`,
                { url },
            );
        }
        const split = splitGgufPattern.exec(file);
        if (split !== null) {
            throw new DownloadError(
                "invalidReference",
                `${uri} is split into ${Number(split[2])} files (${file}), which Hearth cannot download yet: choose a smaller quantisation, or a single .gguf file with hf:${repoName}/file.gguf.`,
                { url },
            );
        }
        const size = record?.size;
        const blobId = typeof record?.blobId === "string" ? sha256Pattern.exec(record.blobId) : null;
        return {
            file,
            ...(typeof size === "number" && Number.isSafeInteger(size) && size >= 0 ? { sizeBytes: size } : {}),
            ...(blobId !== null ? { sha256: blobId[1].toLowerCase() } : {}),
        };
    }

    /**
     * The size and SHA-256 the Hub publishes for a file (its Git LFS object), from the tree API
     * listing of the file's folder. Never fails for want of them: a mirror may lack the API, and
     * the download is then checked for size and format only (`checksumNote` says why).
     */
    async publishedFile(owner: string, repo: string, branch: string, file: string): Promise<PublishedFile> {
        const slash = file.lastIndexOf("/");
        const dir = slash < 0 ? "" : file.slice(0, slash);
        const dirPath = dir === "" ? "" : `/${dir.split("/").map(encodeURIComponent).join("/")}`;
        let url: string | undefined =
            `${this.endpoint}/api/models/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/tree/${encodeURIComponent(branch)}${dirPath}`;
        const without = (why: string): PublishedFile => ({
            checksumNote: `${why}, so ${file} is checked for size and format only, not against a published checksum.`,
        });
        for (let page = 0; url !== undefined && page < maxTreePages; page++) {
            const pageUrl: string = url;
            let listing: { readonly entries: unknown; readonly next: string | undefined } | { readonly status: number };
            try {
                listing = await this.request(pageUrl, { Accept: "application/json" }, async (response) => {
                    if (!response.ok) {
                        await discardBody(response);
                        return { status: response.status };
                    }
                    return { entries: await this.json(response, pageUrl), next: nextPage(response.headers.get("link"), pageUrl) };
                });
            } catch (error) {
                if (error instanceof DownloadError && error.kind === "cancelled") throw error;
                return without(
                    `The Hub API at ${this.endpoint} could not be asked for the file's checksum (${error instanceof Error ? error.message : String(error)})`,
                );
            }
            if ("status" in listing) return without(`The Hub API at ${this.endpoint} answered HTTP ${listing.status} when asked for the file's checksum`);
            if (!Array.isArray(listing.entries)) return without(`The Hub API at ${this.endpoint} sent an unreadable file list`);
            const entry = (listing.entries as readonly (TreeEntry | null)[]).find((candidate) => candidate?.path === file && candidate.type === "file");
            if (entry !== undefined && entry !== null) return publishedDetails(entry, file, this.endpoint);
            url = listing.next;
        }
        return without(`The Hub API at ${this.endpoint} does not list ${file} on branch ${branch}`);
    }

    private async throwForStatus(response: Response, repoName: string, url: string): Promise<void> {
        if (response.ok) return;
        await discardBody(response);
        const { status } = response;
        if (status === 401 || status === 403) {
            throw new DownloadError(
                "httpError",
                `${this.endpoint} refused access to ${repoName} (HTTP ${status}): the repository may be gated or private. Accept its terms on the model's page and set a Hugging Face access token, then try again.`,
                { status, url },
            );
        }
        if (status === 429) {
            throw new DownloadError("httpError", `${this.endpoint} is limiting requests (HTTP 429): wait a few minutes and try again.`, { status, url });
        }
        throw new DownloadError(
            "httpError",
            `${this.endpoint} answered HTTP ${status} for ${url}: try again later, or check the hearth.models.huggingFaceEndpoint setting.`,
            { status, url },
        );
    }

    /**
     * A GET with the token, a time limit and the caller's cancel over both the request and
     * `handle`'s reading of the answer; network failures say what to check.
     */
    private async request<T>(url: string, headers: Record<string, string>, handle: (response: Response) => Promise<T>): Promise<T> {
        const signal = this.requestSignal();
        try {
            let response: Response;
            try {
                response = await fetch(url, {
                    headers: { ...headers, ...authorizationHeaders(this.options.token) },
                    signal: signal.signal,
                    redirect: "follow",
                });
            } catch (error) {
                throw this.networkFailure(error, signal.timedOut(), url);
            }
            try {
                return await handle(response);
            } catch (error) {
                if (error instanceof DownloadError) throw error;
                throw this.networkFailure(error, signal.timedOut(), url);
            }
        } finally {
            signal.dispose();
        }
    }

    private async json(response: Response, url: string): Promise<unknown> {
        const text = await response.text(); // a failure here is the connection's: request() reports it
        try {
            return JSON.parse(text) as unknown;
        } catch (error) {
            throw new DownloadError(
                "httpError",
                `${this.endpoint} sent something that is not JSON for ${url}: check the hearth.models.huggingFaceEndpoint setting.`,
                { url, cause: error },
            );
        }
    }

    private networkFailure(error: unknown, timedOut: boolean, url: string): DownloadError {
        if (this.options.signal?.aborted === true) return new DownloadError("cancelled", "Looking up the model on Hugging Face was cancelled.", { url });
        const cause = timedOut ? `no answer in ${Math.round(this.timeoutMs / 1000)} s` : describeNetworkFailure(error);
        return new DownloadError(
            "network",
            `Could not reach ${this.endpoint}: ${cause}. Check the connection or the hearth.models.huggingFaceEndpoint setting.`,
            { url, cause: error },
        );
    }

    private get timeoutMs(): number {
        return this.options.requestTimeoutMs ?? 30_000;
    }

    /** The caller's signal plus a time limit (AbortSignal.any is not in every Node 20). */
    private requestSignal(): { readonly signal: AbortSignal; readonly timedOut: () => boolean; readonly dispose: () => void } {
        const controller = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            controller.abort();
        }, this.timeoutMs);
        const onAbort = (): void => controller.abort();
        const outer = this.options.signal;
        if (outer?.aborted === true) controller.abort();
        outer?.addEventListener("abort", onAbort, { once: true });
        return {
            signal: controller.signal,
            timedOut: () => timedOut,
            dispose: () => {
                clearTimeout(timer);
                outer?.removeEventListener("abort", onAbort);
            },
        };
    }
}

/** Lets go of an answer's body nobody will read, so the connection is freed at once. */
async function discardBody(response: Response): Promise<void> {
    await response.body?.cancel().catch(() => undefined);
}

function publishedDetails(entry: TreeEntry, file: string, endpoint: string): PublishedFile {
    const lfsSize = entry.lfs?.size;
    const size = typeof lfsSize === "number" ? lfsSize : entry.size;
    const sizeBytes = typeof size === "number" && Number.isSafeInteger(size) && size >= 0 ? size : undefined;
    // Only an LFS object id is a SHA-256; a plain Git blob id is a SHA-1 of something else.
    const oid = typeof entry.lfs?.oid === "string" ? sha256Pattern.exec(entry.lfs.oid) : null;
    return {
        ...optionalSize(sizeBytes),
        ...(oid !== null
            ? { sha256: oid[1].toLowerCase() }
            : {
                  checksumNote: `The Hub API at ${endpoint} publishes no SHA-256 for ${file} (it is not stored with Git LFS), so it is checked for size and format only.`,
              }),
    };
}

/** The `rel="next"` address of a Link header, resolved against the current page. */
function nextPage(link: string | null, current: string): string | undefined {
    if (link === null) return undefined;
    for (const part of link.split(",")) {
        const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
        if (match !== null) {
            try {
                return new URL(match[1], current).href;
            } catch {
                return undefined;
            }
        }
    }
    return undefined;
}
