// Helpers for tests that step a Raft core by hand (no kernel): build a core, feed it inputs, and
// collect what its readies ask for, acknowledging persistence at once.
import assert from "node:assert/strict";
import { noBugs } from "../bugs.ts";
import { KvStateMachine } from "../kv.ts";
import { type RaftConfig, raftConfigDefaults } from "../types.ts";
import { RaftCore, type RaftCoreOptions } from "./raw_node.ts";
import type { CoreInput, OutboundMessage, PeerMessage, Ready } from "./types.ts";

export const electionUs = raftConfigDefaults.electionTimeoutUsMin;

/** A core with the random source at 0, so its election deadline is exactly the minimum timeout. */
export function newCore(
  id: number,
  servers = [1, 2, 3],
  overrides: Partial<RaftConfig> = {},
  options: Partial<RaftCoreOptions> = {},
): RaftCore {
  const core = new RaftCore({
    id,
    config: {
      ...raftConfigDefaults,
      servers,
      preVote: false,
      checkQuorum: false,
      snapshotEveryEntries: 0,
      ...overrides,
    },
    bugs: noBugs,
    stateMachine: new KvStateMachine(),
    rng: { next: () => 0 },
    storage: { walBytes: () => 0 },
    nowUs: 0,
    ...options,
  });
  clocks.set(core, options.nowUs ?? 0);
  return core;
}

/** What a core asked for over one or more readies. */
export interface Output {
  records: Ready["persist"]["records"];
  messages: OutboundMessage[];
  responses: Ready["responses"];
  readStates: Ready["readStates"];
  roleChanges: Ready["roleChanges"];
  committed: Ready["committed"];
  snapshotReceived: Ready["persist"]["snapshotReceived"][];
  snapshotChunks: Ready["persist"]["snapshotChunks"];
}

/**
 * Takes readies until the core is quiet, acknowledging each one's records durable at once (a
 * storage whose fsync is instant), and returns everything they carried.
 */
export function settle(core: RaftCore, nowUs = lastNow(core)): Output {
  const out: Output = {
    records: [],
    messages: [],
    responses: [],
    readStates: [],
    roleChanges: [],
    committed: [],
    snapshotReceived: [],
    snapshotChunks: [],
  };
  for (let i = 0; i < 10; i++) {
    const ready = core.ready();
    core.advance();
    out.records.push(...ready.persist.records);
    out.messages.push(...ready.messages);
    out.responses.push(...ready.responses);
    out.readStates.push(...ready.readStates);
    out.roleChanges.push(...ready.roleChanges);
    out.committed.push(...ready.committed);
    out.snapshotReceived.push(ready.persist.snapshotReceived);
    out.snapshotChunks.push(...ready.persist.snapshotChunks);
    if (ready.persist.records.length === 0) break;
    core.step({ type: "persisted", readyId: ready.id, nowUs });
  }
  return out;
}

export const clocks = new WeakMap<RaftCore, number>();
export function lastNow(core: RaftCore): number {
  return clocks.get(core) ?? 0;
}

/** An input whose instant may be left out (then it is the core's last instant). */
export type InputAt = CoreInput extends infer I ? I extends CoreInput ? Omit<I, "nowUs"> & { nowUs?: number } : never
  : never;

/** Steps `input` at `nowUs` (default: the core's last instant) and settles. */
export function step(core: RaftCore, input: InputAt): Output {
  const nowUs = input.nowUs ?? lastNow(core);
  clocks.set(core, nowUs);
  core.step({ ...input, nowUs } as CoreInput);
  return settle(core, nowUs);
}

export function deliver(core: RaftCore, from: number, message: PeerMessage, nowUs?: number): Output {
  return step(core, { type: "message", from, message, nowUs });
}

export function sent<T extends PeerMessage["type"]>(
  out: Output,
  type: T,
): (OutboundMessage & { message: Extract<PeerMessage, { type: T }> })[] {
  return out.messages.filter((m) => m.message.type === type) as (OutboundMessage & {
    message: Extract<PeerMessage, { type: T }>;
  })[];
}

/**
 * Server 1 wins an election in term 1 (votes from the next servers, as many as a majority needs)
 * and settles: it has sent its no-op appends.
 */
export function electedLeader(
  servers = [1, 2, 3],
  overrides: Partial<RaftConfig> = {},
): { core: RaftCore; out: Output } {
  const core = newCore(1, servers, overrides);
  step(core, { type: "tick", nowUs: electionUs });
  const voters = servers.slice(1, Math.floor(servers.length / 2) + 1);
  let out = settle(core);
  for (const voter of voters) out = deliver(core, voter, { type: "voteResponse", term: 1, granted: true, pre: false });
  assert.equal(core.role, "leader");
  return { core, out };
}

export function append(
  term: number,
  prevIndex: number,
  prevTerm: number,
  entries: { term: number; index: number }[],
  commit: number,
  leader = 1,
): PeerMessage {
  return {
    type: "append",
    term,
    leader,
    prevIndex,
    prevTerm,
    entries: entries.map((e) => ({ ...e, command: { kind: "noop" as const } })),
    commit,
    round: 0,
  };
}
