import * as vscode from "vscode";
import { ResponseError } from "vscode-jsonrpc";
import type { EngineErrorData } from "../../protocol/engineProtocol";
import type { ChatController } from "../chat/chatController";
import type { Config } from "../settings/config";
import type { EngineClient } from "../engine/engineClient";
import { actionArgs, actionLabel, describeEngineError } from "../engine/errorMessages";
import type { ProposedEdits } from "../edits/proposedEdit";
import type { Log } from "../core/log";
import { actionPrompts, actionSystemPrompt, type CodeContext } from "./actionPrompts";
import { extractCode, reindent } from "./codeExtraction";
import { commentStyleFor, formatDocComment, stripCommentMarkers } from "./commentStyle";
import { enclosingScope } from "./enclosingScope";

const actionCommands = {
    explain: "hearth.explain",
    edit: "hearth.edit",
    document: "hearth.document",
    writeTests: "hearth.writeTests",
    fix: "hearth.fix",
} as const;

/** Counts the integration tests read. */
export interface ActionStats {
    runs: number;
    cancelled: number;
}

interface Target {
    readonly editor: vscode.TextEditor;
    readonly range: vscode.Range;
    readonly context: CodeContext;
}

/**
 * Explain, Edit, Document, Write Tests and Fix on the selection (or, with none, the enclosing
 * function or the current line). Each runs with a cancellable progress notification; edits
 * are shown as a diff to accept or reject, and applied only where the original text still is.
 */
export class SelectionActions implements vscode.CodeActionProvider {
    static readonly providedCodeActionKinds = [vscode.CodeActionKind.QuickFix];
    readonly stats: ActionStats = { runs: 0, cancelled: 0 };

    constructor(
        private readonly engine: EngineClient,
        private readonly config: Config,
        private readonly edits: ProposedEdits,
        private readonly chat: ChatController,
        private readonly log: Log,
    ) {}

    register(): vscode.Disposable[] {
        return [
            vscode.commands.registerCommand(actionCommands.explain, () => this.explain()),
            vscode.commands.registerCommand(actionCommands.edit, (instruction?: string) => this.edit(instruction)),
            vscode.commands.registerCommand(actionCommands.document, () => this.document()),
            vscode.commands.registerCommand(actionCommands.writeTests, (where?: "untitled" | "besideFile") => this.writeTests(where)),
            vscode.commands.registerCommand(actionCommands.fix, (uri?: vscode.Uri, range?: vscode.Range) => this.fix(uri, range)),
            vscode.languages.registerCodeActionsProvider({ pattern: "**" }, this, { providedCodeActionKinds: SelectionActions.providedCodeActionKinds }),
        ];
    }

    provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, _context: vscode.CodeActionContext): vscode.CodeAction[] {
        // The same problems the Fix command would take: VS Code's context lists only those under the
        // cursor, so Ctrl+. at the end of a line with an error would not offer the fix.
        const problems = problemsAround(document.uri, range);
        if (problems.length === 0) return [];
        const action = new vscode.CodeAction("Fix with Hearth", vscode.CodeActionKind.QuickFix);
        action.diagnostics = problems;
        action.command = { command: actionCommands.fix, title: "Fix with Hearth", arguments: [document.uri, range] };
        return [action];
    }

    async explain(): Promise<void> {
        const target = this.target("explain");
        if (target === undefined) return;
        this.stats.runs++;
        await this.chat.askAbout(actionPrompts.explain(target.context), target.editor, target.range);
    }

    async edit(instruction?: string): Promise<void> {
        const target = this.target("edit");
        if (target === undefined) return;
        const asked =
            instruction ??
            (await vscode.window.showInputBox({
                title: "Hearth: Edit with Instruction",
                prompt: "How should the selected code change?",
                placeHolder: "e.g. handle the empty list; use async/await",
            }));
        if (asked === undefined || asked.trim() === "") return;
        const answer = await this.run("Editing", actionPrompts.edit(target.context, asked));
        if (answer === undefined) return;
        await this.proposeCode(target, extractCode(answer, target.context.languageId), "Hearth Edit");
    }

    async document(): Promise<void> {
        const editor = this.activeEditor("document");
        if (editor === undefined) return;
        const { document, selection } = editor;
        const lines = document.getText().split(/\r?\n/);
        const scope =
            enclosingScope(lines, selection.start.line, document.languageId) ??
            (selection.isEmpty ? undefined : { start: selection.start.line, end: selection.end.line });
        if (scope === undefined) {
            void vscode.window.showInformationMessage("Hearth: put the cursor in a function or class (or select code) to document it.");
            return;
        }
        const range = new vscode.Range(scope.start, 0, scope.end, lines[scope.end]?.length ?? 0);
        const style = commentStyleFor(document.languageId);
        const context = contextOf(document, range);
        const answer = await this.run(
            "Documenting",
            actionPrompts.document(
                context,
                style.kind === "docstring" ? "docstring" : style.kind === "block" ? `${style.open} … ${style.close}` : `${style.prefix} comments`,
            ),
        );
        if (answer === undefined) return;
        const text = stripCommentMarkers(extractCode(answer, "text"));
        if (text.trim() === "") {
            void vscode.window.showInformationMessage("Hearth: the model wrote no documentation. Try again, or choose a larger model.");
            return;
        }
        // Replace the definition line with comment + line, so the edit is tied to that line's text.
        const definition = document.lineAt(scope.start);
        const indent = /^\s*/.exec(definition.text)?.[0] ?? "";
        const replacement =
            style.kind === "docstring"
                ? `${definition.text}\n${formatDocComment(text, style, `${indent}${" ".repeat(editor.options.tabSize === undefined ? 4 : Number(editor.options.tabSize))}`)}`
                : `${formatDocComment(text, style, indent)}\n${definition.text}`;
        this.stats.runs++;
        await this.edits.propose(document, definition.range, replacement, "Hearth Document");
    }

    async writeTests(where?: "untitled" | "besideFile"): Promise<void> {
        const target = this.target("write tests for");
        if (target === undefined) return;
        const answer = await this.run("Writing tests", actionPrompts.tests(target.context, testStyleOf(target.editor.document)));
        if (answer === undefined) return;
        const code = extractCode(answer, target.context.languageId);
        const choice =
            where ??
            (
                await vscode.window.showQuickPick(
                    [
                        { label: "New untitled editor", where: "untitled" as const },
                        {
                            label: `Next to ${fileName(target.editor.document)}`,
                            description: testFileUri(target.editor.document)?.path.split("/").pop(),
                            where: "besideFile" as const,
                        },
                    ],
                    { title: "Hearth: where should the tests go?" },
                )
            )?.where;
        if (choice === undefined) return;
        const beside = choice === "besideFile" ? testFileUri(target.editor.document) : undefined;
        if (beside !== undefined) {
            const exists = await vscode.workspace.fs.stat(beside).then(
                () => true,
                () => false,
            );
            const document = exists
                ? await vscode.workspace.openTextDocument(beside)
                : await vscode.workspace.openTextDocument(beside.with({ scheme: "untitled" }));
            const editor = await vscode.window.showTextDocument(document);
            await editor.edit((edit) => edit.insert(document.lineAt(document.lineCount - 1).range.end, `${document.getText() === "" ? "" : "\n\n"}${code}\n`));
        } else {
            await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: target.context.languageId, content: `${code}\n` }));
        }
        this.stats.runs++;
    }

    async fix(uri?: vscode.Uri, range?: vscode.Range): Promise<void> {
        const editor =
            uri === undefined ? vscode.window.activeTextEditor : vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
        if (editor === undefined) {
            void vscode.window.showInformationMessage("Hearth: open the file with the problem first.");
            return;
        }
        const around = range ?? editor.selection;
        const problems = problemsAround(editor.document.uri, around);
        if (problems.length === 0) {
            void vscode.window.showInformationMessage("Hearth: there is no problem (diagnostic) at the cursor or in the selection to fix.");
            return;
        }
        const first = Math.min(around.start.line, ...problems.map((p) => p.range.start.line));
        const last = Math.max(around.end.line, ...problems.map((p) => p.range.end.line));
        const scope = enclosingScope(editor.document.getText().split(/\r?\n/), first, editor.document.languageId);
        const start = Math.min(first, scope?.start ?? first);
        const end = Math.max(last, scope?.end ?? last);
        const target: Target = {
            editor,
            range: new vscode.Range(start, 0, end, editor.document.lineAt(end).text.length),
            context: contextOf(editor.document, new vscode.Range(start, 0, end, editor.document.lineAt(end).text.length)),
        };
        const answer = await this.run(
            "Fixing",
            actionPrompts.fix(
                target.context,
                problems.map((p) => `line ${p.range.start.line + 1 - start}: ${p.message}`),
            ),
        );
        if (answer === undefined) return;
        await this.proposeCode(target, extractCode(answer, target.context.languageId), "Hearth Fix");
    }

    private async proposeCode(target: Target, code: string, title: string): Promise<void> {
        if (code.trim() === "") {
            void vscode.window.showInformationMessage(`${title}: the model's answer had no code. Nothing was changed; try again or rephrase.`);
            return;
        }
        const indent = /^\s*/.exec(target.editor.document.lineAt(target.range.start.line).text)?.[0] ?? "";
        this.stats.runs++;
        await this.edits.propose(target.editor.document, target.range, target.range.start.character === 0 ? reindent(code, indent) : code.trim(), title);
    }

    /** Runs the model with a cancellable progress notification; undefined when cancelled or failed. */
    private async run(title: string, prompt: string): Promise<string | undefined> {
        if (this.engine.state.kind !== "ready") {
            void vscode.window
                .showWarningMessage("Hearth: the engine is not ready (see the status bar). Your code is untouched.", "Show Log")
                .then((c) => (c === undefined ? undefined : vscode.commands.executeCommand("hearth.showLog")));
            return undefined;
        }
        return vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `Hearth: ${title}…`, cancellable: true },
            async (progress, token) => {
                let shown = 0;
                try {
                    const result = await this.engine.chat(
                        {
                            conversationId: "hearth-actions",
                            messages: [
                                { role: "system", content: actionSystemPrompt },
                                { role: "user", content: prompt },
                            ],
                            maxTokens: this.config.chatMaxTokens,
                            temperature: 0.1,
                            lane: "action",
                        },
                        token,
                        (update) => {
                            const tokens = update.text.length;
                            progress.report({ message: `${tokens} characters`, increment: 0 });
                            shown = tokens;
                        },
                    );
                    if (token.isCancellationRequested || result.stopReason === "stopped") {
                        this.stats.cancelled++;
                        return undefined;
                    }
                    this.log.write(
                        "debug",
                        `${title}: ${result.counts.generatedTokens} tokens (${shown} characters streamed), first token ${result.timings.ttftMs} ms.`,
                    );
                    return result.text;
                } catch (error) {
                    if (token.isCancellationRequested) {
                        this.stats.cancelled++;
                        return undefined;
                    }
                    const data = error instanceof ResponseError ? (error.data as EngineErrorData | undefined) : undefined;
                    if (data === undefined) {
                        void vscode.window.showErrorMessage(`Hearth: ${title} failed: ${error instanceof Error ? error.message : String(error)}`);
                        return undefined;
                    }
                    // The problem's buttons too (a server's: Set API Key…, Retry).
                    const problem = describeEngineError(data);
                    void vscode.window.showErrorMessage(problem.message, ...problem.actions.map((action) => actionLabel(action, data))).then((picked) => {
                        const action = problem.actions.find((candidate) => actionLabel(candidate, data) === picked);
                        if (action !== undefined) void vscode.commands.executeCommand(`hearth.${action}`, ...(actionArgs(action, data) ?? []));
                    });
                    return undefined;
                }
            },
        );
    }

    private activeEditor(verb: string): vscode.TextEditor | undefined {
        const editor = vscode.window.activeTextEditor;
        if (editor === undefined) void vscode.window.showInformationMessage(`Hearth: open a file and select the code to ${verb}.`);
        return editor;
    }

    /** The selection, or with none, the enclosing function (or the current line). */
    private target(verb: string): Target | undefined {
        const editor = this.activeEditor(verb);
        if (editor === undefined) return undefined;
        const { document, selection } = editor;
        let range: vscode.Range = selection;
        if (selection.isEmpty) {
            const scope = enclosingScope(document.getText().split(/\r?\n/), selection.start.line, document.languageId);
            range =
                scope !== undefined
                    ? new vscode.Range(scope.start, 0, scope.end, document.lineAt(scope.end).text.length)
                    : document.lineAt(selection.start.line).range;
        }
        if (document.getText(range).trim() === "") {
            void vscode.window.showInformationMessage(`Hearth: there is no code here to ${verb}. Select some code first.`);
            return undefined;
        }
        return { editor, range, context: contextOf(document, range) };
    }
}

function contextOf(document: vscode.TextDocument, range: vscode.Range): CodeContext {
    return { languageId: document.languageId, fileName: fileName(document), code: document.getText(range) };
}

function fileName(document: vscode.TextDocument): string {
    return vscode.workspace.asRelativePath(document.uri);
}

/** A one-line hint of how the project tests, from what its workspace has. */
function testStyleOf(document: vscode.TextDocument): string {
    if (["typescript", "javascript", "typescriptreact", "javascriptreact"].includes(document.languageId))
        return "describe/it blocks with node:assert, as in mocha";
    if (document.languageId === "python") return "pytest functions with plain assert";
    if (document.languageId === "go") return "the testing package with table-driven tests";
    if (document.languageId === "rust") return "#[cfg(test)] mod tests with #[test] functions";
    return "";
}

/** `name.test.ext` (or `test_name.py`) beside the file, for files on disk. */
function testFileUri(document: vscode.TextDocument): vscode.Uri | undefined {
    if (document.uri.scheme !== "file" && document.uri.scheme !== "vscode-remote") return undefined;
    const path = document.uri.path;
    const slash = path.lastIndexOf("/");
    const base = path.slice(slash + 1);
    const dot = base.lastIndexOf(".");
    const stem = dot > 0 ? base.slice(0, dot) : base;
    const ext = dot > 0 ? base.slice(dot) : "";
    const name = document.languageId === "python" ? `test_${stem}${ext}` : document.languageId === "go" ? `${stem}_test${ext}` : `${stem}.test${ext}`;
    return document.uri.with({ path: `${path.slice(0, slash + 1)}${name}` });
}

/** The problems Fix with Hearth takes for a cursor or selection: those it touches, and those starting on its first line. */
function problemsAround(uri: vscode.Uri, around: vscode.Range): vscode.Diagnostic[] {
    return vscode.languages.getDiagnostics(uri).filter((d) => d.range.intersection(around) !== undefined || d.range.start.line === around.start.line);
}
