import * as vscode from "vscode";
import type { ContextChip } from "../../protocol/chatViewProtocol";

/** Code attached to the next message: shown as a chip, removable. */
export interface Attachment {
    readonly chip: ContextChip;
    /** The fenced text the model gets. */
    readonly text: string;
}

/** Characters of attached code kept per message (about a third of a 4K context). */
const attachmentBudgetChars = 6000;

let nextChip = 1;

export function attachSelection(editor: vscode.TextEditor): Attachment | undefined {
    return editor.selection.isEmpty ? undefined : attachRange(editor.document, editor.selection);
}

export function attachRange(document: vscode.TextDocument, range: vscode.Range): Attachment {
    const name = vscode.workspace.asRelativePath(document.uri);
    const first = range.start.line + 1;
    const last = range.end.character === 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1;
    return build("selection", `${name}:${first}-${last}`, name, document.languageId, document.getText(range), first);
}

export function attachFile(document: vscode.TextDocument): Attachment {
    const name = vscode.workspace.asRelativePath(document.uri);
    return build("file", name, name, document.languageId, document.getText(), 1);
}

/** The user's message with its attachments, as the model gets it. */
export function promptWithAttachments(text: string, attachments: readonly Attachment[]): string {
    if (attachments.length === 0) return text;
    return `${attachments.map((a) => a.text).join("\n\n")}\n\n${text}`;
}

function build(kind: ContextChip["kind"], label: string, name: string, languageId: string, code: string, firstLine: number): Attachment {
    const lines = code.split("\n");
    let kept = lines;
    let trimmedNote: string | undefined;
    if (code.length > attachmentBudgetChars) {
        let size = 0;
        kept = [];
        for (const line of lines) {
            if (size + line.length + 1 > attachmentBudgetChars) break;
            kept.push(line);
            size += line.length + 1;
        }
        trimmedNote = `Trimmed to fit the context: lines ${firstLine}–${firstLine + kept.length - 1} of ${firstLine}–${firstLine + lines.length - 1} are sent.`;
    }
    const fence = "`".repeat(Math.max(3, longestBacktickRun(code) + 1));
    const chip: ContextChip = trimmedNote === undefined ? { id: `chip-${nextChip++}`, kind, label } : { id: `chip-${nextChip++}`, kind, label, trimmedNote };
    return {
        chip,
        text: `${kind === "file" ? "File" : "Selected code from"} ${name}${trimmedNote ? " (trimmed)" : ""}:\n${fence}${languageId}\n${kept.join("\n")}\n${fence}`,
    };
}

function longestBacktickRun(text: string): number {
    let longest = 0;
    for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
    return longest;
}
