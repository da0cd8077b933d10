import { resolve } from "node:path";
import { EngineClient } from "../../src/extension/engine/engineClient";
import type { EngineSettings, EngineState } from "../../src/extension/engine/engineState";
import type { RestartPolicy } from "../../src/extension/engine/restartPolicy";
import type { LivenessOptions } from "../../src/extension/engine/sidecarProcess";

/** The sidecar bundle that the extension ships (built by `npm run build`). */
export const sidecarScript = resolve(__dirname, "../../../dist/sidecar.mjs");

export interface TestEngine {
    readonly client: EngineClient;
    readonly states: EngineState[];
    readonly logs: string[];
    waitFor(predicate: (state: EngineState) => boolean, what: string, timeoutMs?: number): Promise<EngineState>;
}

/** A real EngineClient on the real sidecar, recording every state and log line. */
export function createTestEngine(restartPolicy?: RestartPolicy, liveness?: Partial<LivenessOptions>): TestEngine {
    const states: EngineState[] = [];
    const logs: string[] = [];
    const client = new EngineClient({ sidecarScript, log: (level, message) => logs.push(`[${level}] ${message}`), restartPolicy, liveness });
    client.onDidChangeState((state) => states.push(state));
    const waitFor = (predicate: (state: EngineState) => boolean, what: string, timeoutMs = 60_000): Promise<EngineState> =>
        new Promise((resolvePromise, reject) => {
            if (predicate(client.state)) {
                resolvePromise(client.state);
                return;
            }
            const timer = setTimeout(() => {
                subscription.dispose();
                reject(new Error(`Timed out waiting for ${what}; last state ${JSON.stringify(client.state)}\n${logs.slice(-20).join("\n")}`));
            }, timeoutMs);
            const subscription = client.onDidChangeState((state) => {
                if (!predicate(state)) return;
                clearTimeout(timer);
                subscription.dispose();
                resolvePromise(state);
            });
        });
    return { client, states, logs, waitFor };
}

export function settingsFor(modelPath: string, overrides: Partial<EngineSettings> = {}): EngineSettings {
    return { modelPath, gpu: "cpu", threads: "auto", contextSize: 1024, ...overrides };
}

export const isSettled = (state: EngineState): boolean => state.kind === "ready" || state.kind === "error" || state.kind === "stopped";
