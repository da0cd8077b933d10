import type { EngineErrorData, EngineErrorKind } from "../protocol/engineProtocol";

/** An error the engine reports to the extension as `EngineErrorData`. */
export class EngineError extends Error {
    constructor(readonly kind: EngineErrorKind, detail: string, readonly path?: string) {
        super(detail);
        this.name = "EngineError";
    }

    toData(): EngineErrorData {
        return this.path === undefined
            ? { kind: this.kind, detail: this.message }
            : { kind: this.kind, path: this.path, detail: this.message };
    }
}

export function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
