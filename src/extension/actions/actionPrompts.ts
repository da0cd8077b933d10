/**
 * What Hearth asks the model for each action on selected code, in one place. Each returns
 * the user message; the model's own chat template wraps it.
 */

export interface CodeContext {
    readonly languageId: string;
    readonly fileName: string;
    readonly code: string;
}

const fence = (context: CodeContext): string => {
    const ticks = "`".repeat(Math.max(3, ...(context.code.match(/`+/g) ?? []).map((run) => run.length + 1)));
    return `${ticks}${context.languageId}\n${context.code}\n${ticks}`;
};

export const actionSystemPrompt =
    "You are Hearth, a precise coding assistant inside VS Code. Follow the instruction exactly. When asked for code, reply with one fenced code block and nothing else.";

export const actionPrompts = {
    explain: (context: CodeContext): string =>
        `Explain what this ${context.languageId} code from ${context.fileName} does, step by step, and point out anything surprising.`,

    edit: (context: CodeContext, instruction: string): string =>
        `Rewrite this ${context.languageId} code from ${context.fileName} as instructed. Keep everything the instruction does not ask to change. Reply with only the rewritten code in one fenced block.\n\nInstruction: ${instruction}\n\n${fence(context)}`,

    document: (context: CodeContext, convention: string): string =>
        `Write the documentation comment for this ${context.languageId} code from ${context.fileName}, in the ${convention} convention: what it does, its parameters and what it returns. Reply with only the comment text, without the code.\n\n${fence(context)}`,

    tests: (context: CodeContext, testStyle: string): string =>
        `Write unit tests for this ${context.languageId} code from ${context.fileName}${testStyle === "" ? "" : ` in the project's test style (${testStyle})`}. Cover normal cases, edge cases and errors. Reply with only the test file's code in one fenced block.\n\n${fence(context)}`,

    fix: (context: CodeContext, problems: readonly string[]): string =>
        `Fix these problems in this ${context.languageId} code from ${context.fileName}. Change only what the fix needs. Reply with only the corrected code in one fenced block.\n\nProblems:\n${problems.map((p) => `- ${p}`).join("\n")}\n\n${fence(context)}`,
};
