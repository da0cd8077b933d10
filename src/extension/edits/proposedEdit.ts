import * as vscode from "vscode";

export const proposalScheme = "hearth-proposal";

/** What the user chose for a proposed edit. */
export type ProposalOutcome = "applied" | "rejected" | "conflict";

/**
 * Shows a proposed replacement of a range as a diff, asks Accept or Reject, and applies an
 * accepted one as a single WorkspaceEdit (one Undo). It never clobbers: if the text of the
 * range changed meanwhile, nothing is applied and the user is told.
 */
export class ProposedEdits implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly proposals = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    private readonly registration: vscode.Disposable;
    private next = 1;
    readonly onDidChange = this.changed.event;
    /** Test hook: when set, answers the Accept/Reject question instead of the user. */
    decide: ((title: string) => Promise<"Accept" | "Reject" | undefined>) | undefined;

    constructor() {
        this.registration = vscode.workspace.registerTextDocumentContentProvider(proposalScheme, this);
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.proposals.get(uri.toString()) ?? "";
    }

    async propose(document: vscode.TextDocument, range: vscode.Range, replacement: string, title: string): Promise<ProposalOutcome> {
        const original = document.getText(range);
        const proposed = document.getText(new vscode.Range(new vscode.Position(0, 0), range.start)) + replacement + document.getText(new vscode.Range(range.end, document.lineAt(document.lineCount - 1).range.end));
        const name = document.uri.path.split("/").pop() ?? "file";
        const uri = vscode.Uri.from({ scheme: proposalScheme, path: `/${this.next++}/${name}` });
        this.proposals.set(uri.toString(), proposed);
        try {
            await vscode.commands.executeCommand("vscode.diff", document.uri, uri, `${name} ↔ ${title}`, { preview: true, preserveFocus: false });
            const question = `${title}: apply this change to ${name}?`;
            const choice = this.decide !== undefined ? await this.decide(question) : await vscode.window.showInformationMessage(question, { modal: false }, "Accept", "Reject");
            if (choice !== "Accept") return "rejected";
            if (document.getText(range) !== original) {
                void vscode.window.showWarningMessage(`Hearth did not apply the change: ${name} changed where it would go. Nothing was lost; the proposal is still in the diff.`);
                return "conflict";
            }
            const edit = new vscode.WorkspaceEdit();
            edit.replace(document.uri, range, replacement);
            return (await vscode.workspace.applyEdit(edit)) ? "applied" : "conflict";
        } finally {
            await closeDiff(uri);
            this.proposals.delete(uri.toString());
        }
    }

    dispose(): void {
        this.registration.dispose();
        this.changed.dispose();
    }
}

async function closeDiff(proposal: vscode.Uri): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === proposal.toString());
    if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
}
