import * as vscode from "vscode";
import type { LogLevel } from "../../protocol/engineProtocol";

/** The "Hearth" log channel: extension and sidecar logs in one place. */
export class Log implements vscode.Disposable {
    private readonly channel = vscode.window.createOutputChannel("Hearth", { log: true });

    write(level: LogLevel, message: string): void {
        this.channel[level](message);
    }

    info(message: string): void {
        this.channel.info(message);
    }

    warn(message: string): void {
        this.channel.warn(message);
    }

    error(message: string): void {
        this.channel.error(message);
    }

    show(): void {
        this.channel.show(true);
    }

    dispose(): void {
        this.channel.dispose();
    }
}
