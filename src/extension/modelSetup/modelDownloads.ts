import * as vscode from "vscode";
import type { Config } from "../settings/config";
import type { Log } from "../core/log";
import { DownloadError, type DownloadErrorKind, type DownloadProgress } from "../models/modelDownloader";
import { parseModelReference, ModelReferenceError, type HuggingFaceReference } from "../models/modelReference";
import { ensureDownloaded, type ModelStore } from "../models/modelStore";
import { formatBytes } from "../../common/units";

export interface DownloadStats {
    started: number;
    completed: number;
    /** Stopped by the user; the partial file is kept for a resume. */
    cancelled: number;
    failed: number;
    /** Progress reports shown in the notification. */
    progressReports: number;
    lastError: DownloadErrorKind | undefined;
    /** The last message shown about a download, for tests and the log. */
    lastMessage: string | undefined;
}

/**
 * Downloads `hf:` models into the models folder with a cancellable progress notification
 * (bytes, speed, time left). A cancelled or broken download keeps its partial file and
 * offers Resume; the engine only ever sees finished, verified files.
 */
export class ModelDownloads {
    readonly stats: DownloadStats = { started: 0, completed: 0, cancelled: 0, failed: 0, progressReports: 0, lastError: undefined, lastMessage: undefined };
    /** One download per reference at a time: a second request joins the first. */
    private readonly running = new Map<string, Promise<string | undefined>>();

    constructor(
        private readonly store: ModelStore,
        private readonly config: Config,
        private readonly log: Log,
    ) {}

    /** The local file for `reference`, downloading it first when needed; undefined when it did not finish. */
    download(reference: string, label?: string): Promise<string | undefined> {
        let parsed;
        try {
            parsed = parseModelReference(reference);
        } catch (error) {
            const message = error instanceof ModelReferenceError ? error.message : String(error);
            void vscode.window.showErrorMessage(`Hearth: ${message}`);
            return Promise.resolve(undefined);
        }
        if (parsed.kind === "file") return Promise.resolve(parsed.path);
        const existing = this.running.get(parsed.uri);
        if (existing !== undefined) return existing;
        const run = this.run(parsed, label ?? parsed.uri).finally(() => this.running.delete(parsed.uri));
        this.running.set(parsed.uri, run);
        return run;
    }

    private async run(reference: HuggingFaceReference, label: string): Promise<string | undefined> {
        this.stats.started++;
        const uri = reference.uri;
        const controller = new AbortController();
        try {
            const result = await vscode.window.withProgress(
                { location: vscode.ProgressLocation.Notification, title: `Hearth: downloading ${label}`, cancellable: true },
                async (progress, token) => {
                    token.onCancellationRequested(() => controller.abort());
                    let reported = 0;
                    return ensureDownloaded(this.store, reference, {
                        endpoint: this.config.huggingFaceEndpoint,
                        signal: controller.signal,
                        onProgress: (update) => {
                            this.stats.progressReports++;
                            const percent =
                                update.totalBytes !== undefined && update.totalBytes > 0 ? (100 * update.receivedBytes) / update.totalBytes : undefined;
                            const increment = percent !== undefined ? Math.max(0, percent - reported) : undefined;
                            if (percent !== undefined) reported = percent;
                            progress.report({ message: describeProgress(update), ...(increment !== undefined ? { increment } : {}) });
                        },
                    });
                },
            );
            this.stats.completed++;
            if (result.downloaded) {
                this.log.info(
                    `Downloaded ${uri} to ${result.path}${result.checksumVerified ? " (SHA-256 verified)" : " (no published checksum; size and GGUF header verified)"}.`,
                );
            }
            return result.path;
        } catch (error) {
            this.report(uri, label, error);
            return undefined;
        }
    }

    private report(uri: string, label: string, error: unknown): void {
        const kind: DownloadErrorKind | undefined = error instanceof DownloadError ? error.kind : undefined;
        const detail = error instanceof Error ? error.message : String(error);
        this.stats.lastError = kind;
        if (kind === "cancelled") {
            this.stats.cancelled++;
            this.say("info", `Hearth: the download of ${label} is paused. What was downloaded is kept: Resume continues from there.`, uri, ["Resume"]);
            return;
        }
        this.stats.failed++;
        this.log.error(`Download of ${uri} failed (${kind ?? "unknown"}): ${detail}`);
        const resumable = kind === "network" || kind === "diskFull" || kind === "permissionDenied" || kind === "httpError";
        const actions = kind === "notFound" || kind === "invalidReference" ? ["Choose Model…"] : resumable ? ["Resume", "Show Log"] : ["Retry", "Show Log"];
        this.say("error", `Hearth could not download ${label}: ${detail}`, uri, actions);
    }

    private say(level: "info" | "error", message: string, uri: string, actions: string[]): void {
        this.stats.lastMessage = message;
        const show = level === "info" ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
        void Promise.resolve(show(message, ...actions)).then((chosen) => {
            if (chosen === "Resume" || chosen === "Retry") return this.download(uri);
            if (chosen === "Show Log") return this.log.show();
            if (chosen === "Choose Model…") return vscode.commands.executeCommand("hearth.selectModel");
            return undefined;
        });
    }
}

/** "312 MB of 1.6 GB · 24.1 MB/s · 54 s left" */
function describeProgress(progress: DownloadProgress): string {
    const parts = [
        progress.totalBytes !== undefined
            ? `${formatBytes(progress.receivedBytes)} of ${formatBytes(progress.totalBytes)}`
            : formatBytes(progress.receivedBytes),
    ];
    if (progress.bytesPerSecond > 0) parts.push(`${formatBytes(progress.bytesPerSecond)}/s`);
    if (progress.secondsLeft !== undefined && Number.isFinite(progress.secondsLeft)) parts.push(`${formatDuration(progress.secondsLeft)} left`);
    if (progress.resumedFromBytes > 0) parts.push(`resumed at ${formatBytes(progress.resumedFromBytes)}`);
    return parts.join(" · ");
}

function formatDuration(seconds: number): string {
    if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
    if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
    return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
