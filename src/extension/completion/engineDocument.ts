import * as vscode from "vscode";
import type { CompletionDocument } from "../../protocol/completionProtocol";
import { sentRange } from "./sentRange";

/**
 * A document as the engine reads it: with "\n" line ends whatever the file uses (models read files
 * so; CRLF would cost tokens and put "\r" in suggestions), the cursor moved to match, and the name of
 * its workspace folder for repo-level prompts. The suggestion's replace range counts characters on
 * the cursor's line, which line ends do not change; VS Code writes inserted "\n" as the file's line end.
 * Only `sentDocumentChars` around the cursor are sent.
 */
export function engineDocument(document: vscode.TextDocument, position: vscode.Position): { readonly document: CompletionDocument; readonly cursor: number } {
    const crlf = document.eol === vscode.EndOfLine.CRLF;
    const cursorOffset = document.offsetAt(position);
    const { start, end, whole } = documentSentRange(document, cursorOffset);
    const startPosition = document.positionAt(start);
    const text = whole ? document.getText() : document.getText(new vscode.Range(startPosition, document.positionAt(end)));
    return {
        document: {
            id: document.uri.toString(),
            path: vscode.workspace.asRelativePath(document.uri, false),
            repo: vscode.workspace.getWorkspaceFolder(document.uri)?.name,
            languageId: document.languageId,
            text: crlf ? text.replace(/\r\n/g, "\n") : text,
        },
        // Each line between the start and the cursor lost its "\r".
        cursor: cursorOffset - start - (crlf ? position.line - startPosition.line : 0),
    };
}

/** `sentRange` on a VS Code document: the offsets of the text around `cursor` sent to the engine, and whether that is all of it. */
export function documentSentRange(document: vscode.TextDocument, cursor: number): { readonly start: number; readonly end: number; readonly whole: boolean } {
    const length = document.offsetAt(document.lineAt(document.lineCount - 1).range.end);
    const { start, end } = sentRange(
        cursor,
        length,
        (offset) => document.positionAt(offset),
        (line) => document.offsetAt(new vscode.Position(line, 0)),
    );
    return { start, end, whole: start === 0 && end === length };
}

/** The editor's indentation for a document shown in an editor (tab size, spaces or tabs). */
export function editorIndentation(document: vscode.TextDocument): { readonly tabSize: number; readonly insertSpaces: boolean } | undefined {
    const options = vscode.window.visibleTextEditors.find((editor) => editor.document === document)?.options;
    if (options === undefined || typeof options.tabSize !== "number" || typeof options.insertSpaces !== "boolean") return undefined;
    return { tabSize: options.tabSize, insertSpaces: options.insertSpaces };
}
