import assert from "node:assert/strict";
import { DownloadError, type DownloadErrorKind } from "../../../src/extension/models/modelDownloader";

/** Awaits `promise`, asserts it failed with a DownloadError of `kind`, and returns that error. */
export async function downloadError(promise: Promise<unknown>, kind: DownloadErrorKind): Promise<DownloadError> {
    let caught: unknown;
    try {
        await promise;
    } catch (error) {
        caught = error;
    }
    assert.ok(caught instanceof DownloadError, `expected a DownloadError (${kind}), got ${String(caught)}`);
    assert.equal(caught.kind, kind, caught.message);
    return caught;
}
