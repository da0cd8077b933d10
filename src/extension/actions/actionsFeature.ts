import type * as vscode from "vscode";
import type { ChatFeature } from "../chat/chatFeature";
import { disposeAll, type HearthServices } from "../core/services";
import { SelectionActions, type ActionStats } from "./selectionActions";

/** Commands on selected code (explain, edit, document, write tests, fix) from the palette, the context menu and quick fixes. */
export class ActionsFeature implements vscode.Disposable {
    private readonly actions: SelectionActions;
    private readonly disposables: vscode.Disposable[] = [];

    /** Explanations answer in the chat view, and edits go through its proposed edits. */
    constructor({ engine, config, log }: HearthServices, chat: ChatFeature) {
        this.actions = new SelectionActions(engine, config, chat.edits, chat.chat, log);
        this.disposables.push(...this.actions.register());
    }

    get stats(): Readonly<ActionStats> {
        return { ...this.actions.stats };
    }

    dispose(): void {
        disposeAll(this.disposables);
    }
}
