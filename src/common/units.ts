/**
 * Sizes and durations in words, one convention wherever a user reads them: decimal units
 * (kB, MB, GB, as model pages, download tools and operating systems' file views give sizes).
 * The one exception is a machine's installed memory, named as it is sold and as system
 * information shows it ("16 GB" for 16 GiB): `formatMachineMemory`.
 * Pure functions: the extension, the sidecar and the webview may all use them.
 */

/** "900 bytes", "2 kB", "531 MB", "1.6 GB"; "an unknown amount" for what no number can say. */
export function formatBytes(bytes: number): string {
    if (!Number.isFinite(bytes) || bytes < 0) return "an unknown amount"; // never "NaN MB", whatever an estimate says
    if (bytes >= 999.5e9) return `${(bytes / 1e12).toFixed(1)} TB`;
    if (bytes >= 999.5e6) return `${(bytes / 1e9).toFixed(1)} GB`;
    if (bytes >= 999.5e3) return `${Math.round(bytes / 1e6)} MB`;
    if (bytes >= 999.5) return `${Math.round(bytes / 1e3)} kB`;
    return `${Math.round(bytes)} bytes`;
}

/** "250 ms", "45 s", "90 min", "2.5 h", "36 h": a deadline or a wait, in words. */
export function formatDuration(ms: number): string {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const seconds = ms / 1000;
    if (seconds < 120) return `${Math.round(seconds)} s`;
    const minutes = seconds / 60;
    if (minutes < 120) return `${Math.round(minutes)} min`;
    const hours = minutes / 60;
    return `${hours >= 10 ? Math.round(hours) : Math.round(hours * 10) / 10} h`;
}

/** A machine's memory as it is sold: the OS's binary gigabytes, rounded, called GB ("16 GB", "7.5 GB"). */
export function formatMachineMemory(bytes: number): string {
    const gib = bytes / 1024 ** 3;
    return `${gib >= 10 ? Math.round(gib) : Math.round(gib * 2) / 2} GB`;
}
