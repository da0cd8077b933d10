// Which link targets the chat view shows as links. Everything else is shown as plain text.

const allowedProtocols: ReadonlySet<string> = new Set(["http:", "https:", "mailto:"]);

/** True for an absolute http(s) or mailto URL; false for javascript:, data:, vbscript:, file:, relative paths, junk. */
export function isSafeHref(href: string): boolean {
    if (!/^(?:https?:\/\/|mailto:)/i.test(href)) return false;
    try {
        return allowedProtocols.has(new URL(href).protocol);
    } catch {
        return false;
    }
}

/**
 * markdown-it's `validateLink`: links with a scheme other than http, https or mailto are not links at all,
 * so their markdown stays visible as text. Scheme-less ones (e.g. `src/a.ts`) parse, and are then shown
 * as their label only (see `unwrapUnsafeLinks` in markdown.ts).
 */
export function validateLinkTarget(url: string): boolean {
    const target = url.trim().toLowerCase();
    if (/^[a-z][a-z0-9+.-]*:/.test(target)) return /^(?:https?|mailto):/.test(target) && isSafeHref(url.trim());
    return true;
}
