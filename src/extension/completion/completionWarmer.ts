import * as vscode from "vscode";
import { engineDocument } from "./engineDocument";
import type { ContextSnippet } from "../../protocol/completionProtocol";
import type { Config } from "../settings/config";
import type { EngineClient } from "../engine/engineClient";
import type { Log } from "../core/log";

/** Pause after the last edit before the prompt is refreshed with other files' context. */
const idleMs = 1500;
/** Pause after focusing a document before its prompt is evaluated. */
const focusMs = 250;
/**
 * Pause after the cursor moved to another line without an edit (a click, a search, Go to
 * Definition) before the prompt there is evaluated: the first keystroke after a jump then costs a
 * token or two instead of the new place's 900–3,400.
 */
const restMs = 150;
const snippetLines = 40;
/** At most this many characters of a snippet, whatever its lines hold. */
const snippetChars = 8 * 1024;
const maxSnippets = 3;

/**
 * Keeps the first completion warm: evaluates a document's prompt when it is opened or
 * focused, and after an idle pause, with snippets of other open and recently edited files
 * (the only moment that context changes, so typing never pays for it).
 */
export class CompletionWarmer implements vscode.Disposable {
    private timer: NodeJS.Timeout | undefined;
    /** The line the last warm-up (or a typed edit) was for. */
    private warmedLine: number | undefined;
    private cancellation: vscode.CancellationTokenSource | undefined;
    /** Recently edited documents, most recent last, with the line of their last edit. */
    private readonly recentEdits = new Map<string, { readonly uri: vscode.Uri; readonly line: number }>();
    private readonly disposables: vscode.Disposable[] = [];
    /** When the active document last changed: a selection change right after it is typing, not a jump. */
    private lastEditAt = 0;
    warmed = 0;
    /** Warm-ups asked for because the cursor came to rest on another line. */
    jumpWarmups = 0;

    constructor(
        private readonly engine: EngineClient,
        private readonly config: Config,
        private readonly log: Log,
        private readonly isBusy: () => boolean,
    ) {
        this.disposables.push(
            vscode.window.onDidChangeActiveTextEditor(() => this.schedule(focusMs, false)),
            vscode.workspace.onDidChangeTextDocument((event) => {
                const change = event.contentChanges[0];
                if (change === undefined || !isCodeDocument(event.document)) return;
                const key = event.document.uri.toString();
                this.recentEdits.delete(key);
                this.recentEdits.set(key, { uri: event.document.uri, line: change.range.start.line });
                while (this.recentEdits.size > 8) this.recentEdits.delete(this.recentEdits.keys().next().value as string);
                if (event.document === vscode.window.activeTextEditor?.document) {
                    this.lastEditAt = Date.now();
                    this.warmedLine = vscode.window.activeTextEditor.selection.active.line;
                    this.schedule(idleMs, true);
                }
            }),
            vscode.window.onDidChangeTextEditorSelection((event) => {
                if (event.textEditor !== vscode.window.activeTextEditor || !isCodeDocument(event.textEditor.document)) return;
                if (Date.now() - this.lastEditAt < 100) return; // the cursor moved because the user typed
                const line = event.selections[0]?.active.line;
                if (line === undefined || line === this.warmedLine) return;
                this.jumpWarmups++;
                this.schedule(restMs, false);
            }),
            engine.onDidChangeState((state) => {
                if (state.kind === "ready") this.schedule(focusMs, true);
            }),
        );
    }

    dispose(): void {
        clearTimeout(this.timer);
        this.cancellation?.cancel();
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
    }

    private schedule(delayMs: number, withContext: boolean): void {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.warm(withContext), delayMs);
    }

    private async warm(withContext: boolean): Promise<void> {
        const editor = vscode.window.activeTextEditor;
        if (
            editor === undefined ||
            !isCodeDocument(editor.document) ||
            !this.engine.canComplete ||
            !this.config.completionsEnabledFor(editor.document.languageId)
        )
            return;
        if (this.isBusy()) {
            this.schedule(idleMs, withContext); // never interrupt a completion the user waits for
            return;
        }
        this.cancellation?.cancel();
        const cancellation = new vscode.CancellationTokenSource();
        this.cancellation = cancellation;
        const { document } = editor;
        this.warmedLine = editor.selection.active.line;
        try {
            const result = await this.engine.warm(
                {
                    ...engineDocument(document, editor.selection.active),
                    layout: this.config.promptLayout,
                    context: withContext ? this.snippets(document) : undefined,
                },
                cancellation.token,
            );
            this.warmed++;
            this.log.write(
                "debug",
                `Warmed ${vscode.workspace.asRelativePath(document.uri)}: ${result.evaluatedTokens} of ${result.promptTokens} prompt tokens evaluated${result.movedTokens > 0 ? ` (${result.movedTokens} moved in the cache)` : ""}.`,
            );
        } catch {
            // Superseded by a completion or the engine went away: the next completion pays instead.
        } finally {
            cancellation.dispose();
        }
    }

    /** Snippets of other visible and recently edited files, around where the user was. */
    private snippets(current: vscode.TextDocument): ContextSnippet[] {
        const places = new Map<string, { document: vscode.TextDocument; line: number }>();
        for (const editor of vscode.window.visibleTextEditors) {
            if (editor.document !== current && isCodeDocument(editor.document))
                places.set(editor.document.uri.toString(), { document: editor.document, line: editor.selection.active.line });
        }
        for (const [key, { uri, line }] of [...this.recentEdits].reverse()) {
            const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
            if (document !== undefined && document !== current && !places.has(key)) places.set(key, { document, line });
        }
        return [...places.values()].slice(0, maxSnippets).map(({ document, line }) => {
            const start = Math.max(0, line - snippetLines / 2);
            const end = Math.min(document.lineCount, start + snippetLines);
            // Lines of a minified file can be megabytes long: a snippet is bounded by characters too.
            const from = document.offsetAt(new vscode.Position(start, 0));
            const to = Math.min(document.offsetAt(new vscode.Position(end, 0)), from + snippetChars);
            const text = document.getText(new vscode.Range(document.positionAt(from), document.positionAt(to)));
            return { path: vscode.workspace.asRelativePath(document.uri), text: text.replace(/\r\n/g, "\n") };
        });
    }
}

function isCodeDocument(document: vscode.TextDocument): boolean {
    return document.uri.scheme === "file" || document.uri.scheme === "untitled" || document.uri.scheme === "vscode-remote";
}
