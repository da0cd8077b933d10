/**
 * Hearth's setting defaults, read from package.json, where they are declared once (VS Code shows
 * them in the Settings editor from there). Plain Node: the engine, the models folder, tests and
 * benchmarks read the same values as the extension's `Config`.
 */
import { contributes } from "../../../package.json";

interface SettingSchema {
    readonly default?: unknown;
    readonly minimum?: number;
    readonly maximum?: number;
    readonly enum?: readonly unknown[];
}

const properties: Readonly<Record<string, SettingSchema | undefined>> = contributes.configuration.properties;

function schemaOf(key: string): SettingSchema {
    const schema = properties[`hearth.${key}`];
    if (schema === undefined) throw new Error(`package.json declares no setting hearth.${key}`);
    return schema;
}

/** The declared default of `hearth.<key>`; throws when package.json declares no such setting or another type. */
export function defaultNumber(key: string): number {
    const value = schemaOf(key).default;
    if (typeof value !== "number") throw new Error(`package.json's default for hearth.${key} is not a number`);
    return value;
}

export function defaultString(key: string): string {
    const value = schemaOf(key).default;
    if (typeof value !== "string") throw new Error(`package.json's default for hearth.${key} is not a string`);
    return value;
}

/** The declared bounds of a numeric setting (what the Settings editor enforces). */
export function boundsOf(key: string): { readonly minimum: number; readonly maximum: number } {
    const { minimum, maximum } = schemaOf(key);
    return { minimum: minimum ?? -Infinity, maximum: maximum ?? Infinity };
}

/** The declared choices of an enumerated setting. */
export function choicesOf<T extends string>(key: string): readonly T[] {
    const values = schemaOf(key).enum;
    if (values === undefined || !values.every((value): value is string => typeof value === "string"))
        throw new Error(`package.json declares no choices for hearth.${key}`);
    return values as readonly T[];
}
