/**
 * When to restart a crashed sidecar: with growing delays, and not at all once it has
 * crashed `maxCrashes` times within `windowMs` (vscode-eslint's rule: 5 in 3 minutes).
 */
interface RestartPolicyOptions {
    readonly maxCrashes: number;
    readonly windowMs: number;
    readonly initialDelayMs: number;
    readonly maxDelayMs: number;
}

const defaultRestartPolicy: RestartPolicyOptions = {
    maxCrashes: 5,
    windowMs: 3 * 60 * 1000,
    initialDelayMs: 500,
    maxDelayMs: 8000,
};

type RestartDecision =
    | { readonly action: "restart"; readonly delayMs: number; readonly crashesInWindow: number }
    | { readonly action: "giveUp"; readonly crashesInWindow: number };

export class RestartPolicy {
    private crashes: number[] = [];

    constructor(private readonly options: RestartPolicyOptions = defaultRestartPolicy) {}

    /** Records a crash at `now` (ms) and says what to do about it. */
    recordCrash(now: number): RestartDecision {
        this.crashes = this.crashes.filter((at) => now - at < this.options.windowMs);
        this.crashes.push(now);
        const crashesInWindow = this.crashes.length;
        if (crashesInWindow >= this.options.maxCrashes) return { action: "giveUp", crashesInWindow };
        const delayMs = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** (crashesInWindow - 1));
        return { action: "restart", delayMs, crashesInWindow };
    }

    /** A deliberate restart (the user asked) starts counting afresh. */
    reset(): void {
        this.crashes = [];
    }
}
