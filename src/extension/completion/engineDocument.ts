import * as vscode from "vscode";
import type { CompletionDocument } from "../../protocol/completionProtocol";

/**
 * A document as the engine reads it: with "\n" line ends whatever the file uses (models read files
 * so; CRLF would cost tokens and put "\r" in suggestions), the cursor moved to match, and the name of
 * its workspace folder for repo-level prompts. The suggestion's replace range counts characters on
 * the cursor's line, which line ends do not change; VS Code writes inserted "\n" as the file's line end.
 */
export function engineDocument(document: vscode.TextDocument, position: vscode.Position): { readonly document: CompletionDocument; readonly cursor: number } {
    const crlf = document.eol === vscode.EndOfLine.CRLF;
    const text = document.getText();
    return {
        document: {
            id: document.uri.toString(),
            path: vscode.workspace.asRelativePath(document.uri, false),
            repo: vscode.workspace.getWorkspaceFolder(document.uri)?.name,
            languageId: document.languageId,
            text: crlf ? text.replace(/\r\n/g, "\n") : text,
        },
        // Each line before the cursor's lost its "\r".
        cursor: document.offsetAt(position) - (crlf ? position.line : 0),
    };
}

/** The editor's indentation for a document shown in an editor (tab size, spaces or tabs). */
export function editorIndentation(document: vscode.TextDocument): { readonly tabSize: number; readonly insertSpaces: boolean } | undefined {
    const options = vscode.window.visibleTextEditors.find((editor) => editor.document === document)?.options;
    if (options === undefined || typeof options.tabSize !== "number" || typeof options.insertSpaces !== "boolean") return undefined;
    return { tabSize: options.tabSize, insertSpaces: options.insertSpaces };
}
