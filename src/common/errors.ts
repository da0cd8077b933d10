// What a caught error says: the one place that reads Node's system errors for everyone.

/** The `code` of a Node system error (ENOENT, ENOSPC, EACCES…), if it is one. */
export function errorCode(error: unknown): string | undefined {
    return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

/** An error's message, or the thrown value in words when it is not an Error. */
export function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
