/**
 * Peers: cases modelled on the post-processing tests of Tabby, Continue and llama.vscode (see the
 * data files under ./peers for which test each comes from). Each case is tagged `peer: test — …`;
 * "ideal" marks a peer's own known-bad case (its test states the right document and that the peer
 * misses it), "setting" a result that needs a non-default peer option, "arguable" a peer choice a
 * good tool could reasonably make differently.
 */
import { runTable, type TableCase } from "./caseTable";
import { continueCases } from "./peers/continue";
import { llamaCases } from "./peers/llamaVscode";
import { tabbyCases } from "./peers/tabby";

export const cases: TableCase[] = [...tabbyCases, ...continueCases, ...llamaCases];

runTable("quality P: peers — Tabby", tabbyCases);
runTable("quality P: peers — Continue", continueCases);
runTable("quality P: peers — llama.vscode", llamaCases);
