/**
 * Progress of a download as a person wants to see it: bytes, speed and time left. Reports are
 * throttled (a notification redrawn for every 16 KB chunk is wasted work) and the speed is an
 * average over the last few seconds, so the time left follows the connection as it changes
 * without jumping at every chunk.
 */

export interface DownloadProgress {
    /** Bytes of the file on disk so far, resumed bytes included. */
    readonly receivedBytes: number;
    /** The complete file's size, when the server or the Hub said. */
    readonly totalBytes: number | undefined;
    /** Recent speed of this session's transfer (resumed bytes do not count). */
    readonly bytesPerSecond: number;
    readonly secondsLeft: number | undefined;
    /** Bytes that were already on disk when this session started (0 for a fresh download). */
    readonly resumedFromBytes: number;
}

interface Sample {
    readonly at: number;
    readonly bytes: number;
}

interface ProgressMeterOptions {
    /** Least time between two reports (the last one always goes out). */
    readonly intervalMs: number;
    /** The span the speed is averaged over. */
    readonly windowMs?: number;
    /** Milliseconds from a steady clock; tests may pass their own. */
    readonly now?: () => number;
}

export class ProgressMeter {
    private samples: Sample[] = [];
    private lastReportAt: number | undefined;
    private readonly windowMs: number;
    private readonly now: () => number;

    constructor(
        private readonly report: ((progress: DownloadProgress) => void) | undefined,
        private readonly options: ProgressMeterOptions,
    ) {
        this.windowMs = options.windowMs ?? 5000;
        this.now = options.now ?? (() => performance.now());
    }

    /** Starts measuring from `bytes` (on a new download, or when the download restarts from zero). */
    restart(bytes: number): void {
        this.samples = [{ at: this.now(), bytes }];
    }

    /** Records that `receivedBytes` are on disk now, and reports if it is time to (always if `final`). */
    update(receivedBytes: number, totalBytes: number | undefined, resumedFromBytes: number, final = false): void {
        const at = this.now();
        if (this.samples.length === 0) this.samples.push({ at, bytes: receivedBytes });
        this.samples.push({ at, bytes: receivedBytes });
        // Keep one sample at or before the window's start, so the average spans the whole window.
        while (this.samples.length > 2 && this.samples[1].at <= at - this.windowMs) this.samples.shift();
        if (this.report === undefined) return;
        if (!final && this.lastReportAt !== undefined && at - this.lastReportAt < this.options.intervalMs) return;
        this.lastReportAt = at;
        const bytesPerSecond = this.speed();
        const secondsLeft = totalBytes !== undefined && bytesPerSecond > 0 ? Math.max(0, totalBytes - receivedBytes) / bytesPerSecond : undefined;
        this.report({ receivedBytes, totalBytes, bytesPerSecond, secondsLeft, resumedFromBytes });
    }

    private speed(): number {
        const first = this.samples[0];
        const last = this.samples[this.samples.length - 1];
        const bytes = last.bytes - first.bytes;
        if (bytes <= 0) return 0;
        // A fast transfer can fit between two ticks of the clock: never divide by less than 1 ms.
        return (bytes * 1000) / Math.max(1, last.at - first.at);
    }
}
