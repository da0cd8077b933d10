import * as vscode from "vscode";

const proposalScheme = "hearth-proposal";
const acceptProposalCommand = "hearth.acceptProposal";
const rejectProposalCommand = "hearth.rejectProposal";
const pendingContextKey = "hearth.proposalPending";

/** What came of a proposed edit. */
type ProposalOutcome = "applied" | "rejected" | "conflict";
type Choice = "Accept" | "Reject" | undefined;

/**
 * Shows a proposed replacement of a range as a diff, asks Accept or Reject (notification
 * buttons, or the Accept/Reject commands and their keybindings), and applies an accepted one
 * as a single WorkspaceEdit (one Undo). It never clobbers: the edit goes where the original
 * text still is (found again if lines moved above it); if it is gone, nothing is applied and
 * the user is told.
 */
export class ProposedEdits implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly proposals = new Map<string, string>();
    private readonly disposables: vscode.Disposable[] = [];
    private next = 1;
    private answer: ((choice: Choice) => void) | undefined;
    /** Test hook: when set, answers the Accept/Reject question instead of the user. */
    decide: ((question: string) => Promise<Choice>) | undefined;
    /** Outcomes so far (the integration tests read them). */
    readonly outcomes: ProposalOutcome[] = [];

    constructor() {
        this.disposables.push(
            vscode.workspace.registerTextDocumentContentProvider(proposalScheme, this),
            vscode.commands.registerCommand(acceptProposalCommand, () => this.answer?.("Accept")),
            vscode.commands.registerCommand(rejectProposalCommand, () => this.answer?.("Reject")),
        );
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.proposals.get(uri.toString()) ?? "";
    }

    async propose(document: vscode.TextDocument, range: vscode.Range, replacement: string, title: string): Promise<ProposalOutcome> {
        const original = document.getText(range);
        const startOffset = document.offsetAt(range.start);
        const text = document.getText();
        const proposed = text.slice(0, startOffset) + replacement + text.slice(document.offsetAt(range.end));
        const name = document.uri.path.split("/").pop() ?? "file";
        const uri = vscode.Uri.from({ scheme: proposalScheme, path: `/${this.next++}/${name}` });
        this.proposals.set(uri.toString(), proposed);
        try {
            await vscode.commands.executeCommand("vscode.diff", document.uri, uri, `${name} ↔ ${title} (proposed)`, { preview: true });
            const choice = await this.ask(`${title}: apply the change shown in the diff to ${name}?`);
            const outcome = choice === "Accept" ? await this.apply(document, range, original, startOffset, replacement, name) : "rejected";
            this.outcomes.push(outcome);
            return outcome;
        } finally {
            await closeDiff(uri);
            this.proposals.delete(uri.toString());
        }
    }

    dispose(): void {
        this.answer?.(undefined);
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
    }

    private async ask(question: string): Promise<Choice> {
        this.answer?.("Reject"); // one proposal at a time: a new one rejects the previous
        const fromCommand = new Promise<Choice>((resolve) => (this.answer = resolve));
        await vscode.commands.executeCommand("setContext", pendingContextKey, true);
        try {
            const fromUser =
                this.decide !== undefined ? this.decide(question) : Promise.resolve(vscode.window.showInformationMessage(question, "Accept", "Reject"));
            return await Promise.race([fromCommand, fromUser]);
        } finally {
            this.answer = undefined;
            await vscode.commands.executeCommand("setContext", pendingContextKey, false);
        }
    }

    private async apply(
        document: vscode.TextDocument,
        range: vscode.Range,
        original: string,
        startOffset: number,
        replacement: string,
        name: string,
    ): Promise<ProposalOutcome> {
        const target = whereOriginalIs(document, range, original, startOffset);
        if (target === undefined) {
            void vscode.window.showWarningMessage(
                `Hearth did not apply the change: the code it replaces in ${name} was edited meanwhile. Your edits are untouched; run the action again.`,
            );
            return "conflict";
        }
        const edit = new vscode.WorkspaceEdit();
        edit.replace(document.uri, target, replacement);
        return (await vscode.workspace.applyEdit(edit)) ? "applied" : "conflict";
    }
}

/** The range that holds `original` now: the same place, or its only occurrence if text moved. */
function whereOriginalIs(document: vscode.TextDocument, range: vscode.Range, original: string, startOffset: number): vscode.Range | undefined {
    if (document.getText(range) === original && document.offsetAt(range.start) === startOffset) return range;
    const text = document.getText();
    const first = text.indexOf(original);
    if (original === "" || first === -1 || text.indexOf(original, first + 1) !== -1)
        return document.getText(range) === original && original !== "" ? range : undefined;
    return new vscode.Range(document.positionAt(first), document.positionAt(first + original.length));
}

async function closeDiff(proposal: vscode.Uri): Promise<void> {
    const tabs = vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .filter((tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === proposal.toString());
    if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
}
