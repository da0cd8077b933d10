import * as vscode from "vscode";
import { OfferedCommands, parseFromWebview, type FromWebview, type ToWebview } from "../../protocol/chatViewProtocol";
import type { Log } from "../core/log";
import { chatViewHtml, createNonce } from "./chatViewHtml";

export const chatViewId = "hearth.chatView";

/**
 * The chat view's webview: strict CSP with a fresh nonce per load, scripts only from the
 * extension, typed messages validated on arrival, a ready handshake, and nothing posted to
 * a view that is gone.
 */
export class ChatView implements vscode.WebviewViewProvider, vscode.Disposable {
    private view: vscode.WebviewView | undefined;
    private ready = false;
    private readonly viewDisposables: vscode.Disposable[] = [];
    private readonly readyEmitter = new vscode.EventEmitter<void>();
    /** Fires when a (re)loaded webview says it is ready: send it the whole state. */
    readonly onDidBecomeReady = this.readyEmitter.event;
    /** Messages the webview sent that were malformed or unknown (dropped). */
    dropped = 0;
    /** The commands posted to the view as buttons since it last loaded: the only ones it may ask to run. */
    private readonly offered = new OfferedCommands();

    constructor(
        private readonly extensionUri: vscode.Uri,
        private readonly log: Log,
        private readonly onMessage: (message: FromWebview) => void,
    ) {}

    resolveWebviewView(view: vscode.WebviewView): void {
        this.disposeView();
        this.view = view;
        this.ready = false;
        this.offered.clear();
        const dist = vscode.Uri.joinPath(this.extensionUri, "dist");
        const media = vscode.Uri.joinPath(this.extensionUri, "media");
        view.webview.options = { enableScripts: true, enableCommandUris: false, enableForms: false, localResourceRoots: [dist, media] };
        view.webview.html = this.html(view.webview, dist, media);
        this.viewDisposables.push(
            view.webview.onDidReceiveMessage((raw: unknown) => {
                const message = parseFromWebview(raw);
                if (message === undefined) {
                    this.dropped++;
                    this.log.warn(`Chat view: dropped a malformed message: ${JSON.stringify(raw)?.slice(0, 200)}`);
                    return;
                }
                if (message.type === "ready") {
                    this.ready = true;
                    this.offered.clear(); // a reloaded page shows none of the buttons offered before
                    this.readyEmitter.fire();
                    return;
                }
                this.onMessage(message);
            }),
            view.onDidDispose(() => {
                if (this.view === view) {
                    this.view = undefined;
                    this.ready = false;
                    this.disposeView();
                }
            }),
        );
    }

    /** Posts to the webview when it is there and ready; otherwise drops (init resends all). */
    post(message: ToWebview): void {
        if (this.view === undefined || !this.ready) return;
        this.offered.note(message);
        void this.view.webview.postMessage(message).then(undefined, () => undefined);
    }

    /** True when the view was offered `command` as a button since it last loaded (what `runAction` may run). */
    offers(command: string): boolean {
        return this.offered.allows(command);
    }

    async reveal(): Promise<void> {
        await vscode.commands.executeCommand(`${chatViewId}.focus`);
    }

    dispose(): void {
        this.disposeView();
        this.readyEmitter.dispose();
    }

    private disposeView(): void {
        for (const disposable of this.viewDisposables.splice(0)) disposable.dispose();
    }

    private html(webview: vscode.Webview, dist: vscode.Uri, media: vscode.Uri): string {
        return chatViewHtml({
            cspSource: webview.cspSource,
            nonce: createNonce(),
            scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "webview.js")).toString(),
            codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "codicons", "codicon.css")).toString(),
            styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.css")).toString(),
        });
    }
}
