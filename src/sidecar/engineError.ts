import type { EngineErrorData, EngineErrorKind, MemoryFit } from "../protocol/engineProtocol";

/** An error the engine reports to the extension as `EngineErrorData`. */
export class EngineError extends Error {
    constructor(
        readonly kind: EngineErrorKind,
        detail: string,
        readonly path?: string,
        readonly memory?: MemoryFit,
        /** For the `server*` kinds: which server, and what it answered. */
        readonly server?: EngineErrorData["server"],
    ) {
        super(detail);
        this.name = "EngineError";
    }

    toData(): EngineErrorData {
        return {
            kind: this.kind,
            detail: this.message,
            ...(this.path === undefined ? {} : { path: this.path }),
            ...(this.memory === undefined ? {} : { memory: this.memory }),
            ...(this.server === undefined ? {} : { server: this.server }),
        };
    }
}

export function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
