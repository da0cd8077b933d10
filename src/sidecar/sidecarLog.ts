import type { LogLevel } from "../protocol/engineProtocol";

/** The sidecar's only way to log: everything goes to the extension's "Hearth" channel. */
export interface SidecarLog {
    log(level: LogLevel, message: string): void;
}
