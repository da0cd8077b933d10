import type { CompleteParams } from "../../protocol/completionProtocol";
import { lineStartOf, type PromptPieces } from "./documentWindow";
import type { CompletionSite } from "./postProcess";

/** What post-processing needs to know about a request's cursor: its line, the code around it, the mode. */
export function siteOf(
    params: Pick<CompleteParams, "document" | "cursor" | "mode" | "budget" | "indentation" | "features">,
    pieces: Pick<PromptPieces, "windowStart">,
    specialTokenTexts: readonly string[],
): CompletionSite {
    const { text } = params.document;
    const lineStart = lineStartOf(text, params.cursor);
    const lineEndAt = text.indexOf("\n", params.cursor);
    const lineEnd = lineEndAt === -1 ? text.length : lineEndAt;
    const below = lineEndAt === -1 ? "" : text.slice(lineEnd + 1, lineEnd + 1 + 4000);
    return {
        linePrefix: text.slice(lineStart, params.cursor),
        lineSuffix: text.slice(params.cursor, lineEnd),
        nextLines: below === "" ? [] : below.split("\n").slice(0, 40),
        textBefore: text.slice(Math.max(pieces.windowStart, lineStart - 8000), lineStart),
        mode: params.mode,
        maxLines: params.budget.maxLines,
        specialTokenTexts,
        tabSize: params.indentation?.tabSize,
        insertSpaces: params.indentation?.insertSpaces,
        languageId: params.document.languageId,
        features: params.features,
    };
}
