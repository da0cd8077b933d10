// The chat view may only ask the extension to run a command the extension offered it as a button: what
// OfferedCommands (src/protocol/chatViewProtocol.ts) allows. ChatView notes every message it posts and
// ChatController asks it before running a runAction (test/integration/chat.test.ts checks that end).
import assert from "node:assert/strict";
import { OfferedCommands, parseFromWebview, type ToWebview } from "../../src/protocol/chatViewProtocol";

const error = (...commands: string[]): ToWebview => ({
    type: "error",
    message: "The engine stopped.",
    actions: commands.map((command) => ({ command, label: command })),
});

describe("chat view: runAction runs only commands the view was offered", () => {
    it("allows nothing before anything was offered", () => {
        const offered = new OfferedCommands();
        for (const command of ["hearth.restartEngine", "hearth.showLog", "hearth.openSettings", "workbench.action.reloadWindow", "", "hearth."]) {
            assert.equal(offered.allows(command), false, command);
        }
    });

    it("allows exactly the commands of the error buttons posted to the view", () => {
        const offered = new OfferedCommands();
        offered.note(error("hearth.restartEngine", "hearth.showLog"));
        assert.equal(offered.allows("hearth.restartEngine"), true);
        assert.equal(offered.allows("hearth.showLog"), true);
        assert.equal(offered.allows("hearth.openSettings"), false, "a Hearth command not offered");
        assert.equal(offered.allows("hearth.restartengine"), false, "case matters");
        assert.equal(offered.allows(" hearth.showLog"), false);
        offered.note(error("hearth.selectModel"));
        assert.equal(offered.allows("hearth.selectModel"), true, "offers add up");
        assert.equal(offered.allows("hearth.showLog"), true);
    });

    it("other messages offer nothing, whatever their text says", () => {
        const offered = new OfferedCommands();
        const messages: ToWebview[] = [
            { type: "answer", conversationId: "c", messageId: "m", text: "[run](command:hearth.restartEngine) hearth.restartEngine", state: "done" },
            { type: "message", conversationId: "c", message: { id: "m", role: "assistant", text: "hearth.showLog" } },
            { type: "engine", engine: { ready: false, label: "hearth.restartEngine" } },
            { type: "error", message: "hearth.restartEngine", actions: [] },
            { type: "focusInput" },
        ];
        for (const message of messages) offered.note(message);
        assert.equal(offered.allows("hearth.restartEngine"), false);
        assert.equal(offered.allows("hearth.showLog"), false);
    });

    it("never allows a command outside Hearth's, even if offered", () => {
        const offered = new OfferedCommands();
        offered.note(error("workbench.action.reloadWindow", "vscode.open", "_workbench.downloadResource", "hearth.showLog"));
        assert.equal(offered.allows("workbench.action.reloadWindow"), false);
        assert.equal(offered.allows("vscode.open"), false);
        assert.equal(offered.allows("_workbench.downloadResource"), false);
        assert.equal(offered.allows("hearth.showLog"), true);
    });

    it("forgets everything when the view (re)loads", () => {
        const offered = new OfferedCommands();
        offered.note(error("hearth.restartEngine"));
        offered.clear();
        assert.equal(offered.allows("hearth.restartEngine"), false);
    });

    it("a runAction message is well-formed with any command string (the check is the extension's, not the parser's)", () => {
        assert.deepEqual(parseFromWebview({ type: "runAction", command: "hearth.restartEngine" }), { type: "runAction", command: "hearth.restartEngine" });
        assert.equal(parseFromWebview({ type: "runAction", command: 42 }), undefined);
        assert.equal(parseFromWebview({ type: "runAction", command: "x".repeat(201) }), undefined);
    });
});
