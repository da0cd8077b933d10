/**
 * Held-out peers: a second set of cases modelled on Tabby's, Continue's and llama.vscode's
 * post-processing tests and fixtures (see ./peers/heldout.ts), written once the 120 peer cases
 * passed, from peer tests those do not use. 50 of its first 60 passed as written; five rules came
 * from the misses (closers past the budget, an entry's stray indent, a preamble line, a suggestion
 * that runs into the code after the cursor), and five cases Hearth answers differently on purpose
 * are listed in heldout.ts instead. Tags as in peers.test.ts.
 */
import { runTable } from "./caseTable";
import { heldoutCases } from "./peers/heldout";

export const cases = heldoutCases;

runTable("quality P: peers — held out", heldoutCases);
