// The webview's side of the channel to the extension: typed posts, and the state VS Code keeps across reloads.
import { parseFromWebview, type FromWebview } from "../protocol/chatViewProtocol";

interface VsCodeApi {
    postMessage(message: unknown): void;
    getState(): unknown;
    setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** What survives a reload of the view (VS Code keeps it while the view exists). */
interface SavedState {
    readonly draft: string;
}

export type Post = (message: FromWebview) => void;

export interface Host {
    readonly post: Post;
    loadState(): SavedState;
    saveState(state: SavedState): void;
}

export function connectHost(): Host {
    const api = acquireVsCodeApi();
    return {
        post(message) {
            if (parseFromWebview(message) === undefined) {
                console.warn(`Hearth: not sending a malformed "${message.type}" message`);
                return;
            }
            api.postMessage(message);
        },
        loadState() {
            const state = api.getState();
            const draft = typeof state === "object" && state !== null && "draft" in state && typeof state.draft === "string" ? state.draft : "";
            return { draft };
        },
        saveState(state) {
            api.setState(state);
        },
    };
}
