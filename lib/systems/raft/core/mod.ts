/**
 * The pure Raft core: a deterministic state machine that takes inputs through
 * {@linkcode RaftCore.step} and says what to do through {@linkcode RaftCore.ready} (persist, then
 * send, then apply, then answer), acknowledged by {@linkcode RaftCore.advance}. It imports nothing
 * of the kernel; `../node.ts` adapts it to the simulator's node API.
 *
 * Files, one concern each: `raw_node.ts` (step, ready, advance, the common rules), `roles.ts`
 * (the only place roles change), `election.ts`, `replication.ts`, `snapshot.ts`, `read.ts`,
 * `membership_change.ts`, `transfer.ts`, `proposal.ts`; `state.ts` holds what they share,
 * `limits.ts` every bound, `types.ts` the inputs, the Ready and the StateMachine interface.
 *
 * @example
 * ```ts
 * import { RaftCore } from "./mod.ts";
 * import { noBugs } from "../bugs.ts";
 * import { KvStateMachine } from "../kv.ts";
 * import { raftConfigDefaults } from "../types.ts";
 *
 * const core = new RaftCore({
 *   id: 1,
 *   config: { ...raftConfigDefaults, servers: [1, 2, 3] },
 *   bugs: noBugs,
 *   stateMachine: new KvStateMachine(),
 *   rng: { next: () => 0.5 },
 *   storage: { walBytes: () => 0 },
 *   nowUs: 0,
 * });
 * core.step({ type: "tick", nowUs: core.nextDeadlineUs });
 * const ready = core.ready(); // pre-vote requests to 2 and 3
 * core.advance();
 * ```
 * @module
 */
export { RaftCore, type RaftCoreOptions } from "./raw_node.ts";
export * from "./limits.ts";
export * from "./types.ts";
