import type { ActionStats } from "./actions/selectionActions";
import type { ChatApi } from "./chat/chatFeature";
import type { CompletionApi } from "./completion/completionFeature";
import type { ModelsApi } from "./modelSetup/modelsFeature";
import type { EngineApi } from "./status/engineFeature";

/** What the extension exports: read by the integration tests, useful to other extensions. Each feature gives its part. */
export interface HearthApi extends EngineApi, CompletionApi {
    readonly models: ModelsApi;
    readonly chat: ChatApi & { readonly actionStats: Readonly<ActionStats> };
}

/** Joins parts whose properties are getters without reading them (a spread would read each once, now). */
export function joinParts<A extends object, B extends object>(a: A, b: B): A & B {
    return Object.defineProperties({} as A & B, { ...Object.getOwnPropertyDescriptors(a), ...Object.getOwnPropertyDescriptors(b) });
}
