/**
 * One piece of work at a time, the latest winning: starting new work aborts the running
 * one and waits for it to let go (a llama.cpp evaluation cannot be interrupted mid-batch).
 */
export class LatestWins {
    private running: { readonly abort: AbortController; readonly done: Promise<unknown> } | undefined;

    /** Runs `work` once the previous work has let go; its signal aborts on `signal` or on newer work. */
    async run<T>(signal: AbortSignal, work: (signal: AbortSignal, waitedMs: number) => Promise<T>): Promise<T> {
        const arrived = performance.now();
        const previous = this.running;
        previous?.abort.abort();
        const abort = new AbortController();
        const combined = AbortSignal.any([signal, abort.signal]);
        const done = (async () => {
            await previous?.done.catch(() => undefined);
            return work(combined, performance.now() - arrived);
        })();
        const entry = { abort, done };
        this.running = entry;
        try {
            return await done;
        } finally {
            if (this.running === entry) this.running = undefined;
        }
    }

    /** Aborts the running work and waits for it to let go. */
    async abortAndWait(): Promise<void> {
        this.running?.abort.abort();
        await this.whenIdle();
    }

    /** Resolves when nothing runs. */
    async whenIdle(): Promise<void> {
        while (this.running !== undefined) await this.running.done.catch(() => undefined);
    }
}
