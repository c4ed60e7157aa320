// Proves the protocol features beyond the paper's Figure 2 on one core stepped by hand: CheckQuorum,
// ReadIndex with shared rounds, leases (their drift allowance, no lease after TimeoutNow, and
// restart vote refusal), leadership transfer, flow control, heartbeat repair of a dropped append,
// and the operator's beat.
import assert from "node:assert/strict";
import { raftConfigDefaults } from "../types.ts";
import { deliver, electedLeader, electionUs, newCore, sent, step } from "./_harness_test.ts";
import type { RaftCore } from "./raw_node.ts";

const heartbeatUs = raftConfigDefaults.heartbeatIntervalUs;

function put(core: RaftCore, seq: number, nowUs?: number) {
  return step(core, {
    type: "propose",
    from: 9,
    request: { type: "request", clientId: 7, seq, f: "put", key: "x", value: String(seq) },
    nowUs,
  });
}

function get(core: RaftCore, seq: number, nowUs?: number) {
  return step(core, {
    type: "read",
    from: 9,
    request: { type: "request", clientId: 8, seq, f: "get", key: "x", value: null },
    nowUs,
  });
}

function ack(core: RaftCore, from: number, matchIndex: number, round = 0, nowUs?: number) {
  return deliver(core, from, {
    type: "appendResponse",
    term: core.term,
    success: true,
    matchIndex,
    conflictIndex: 0,
    round,
  }, nowUs);
}

Deno.test("a leader that hears from no majority over an election timeout steps down (thesis §6.2, CheckQuorum)", () => {
  // Thesis §6.2: "a leader steps down if an election timeout elapses without a successful round of
  // heartbeats to a majority of its cluster."
  const { core } = electedLeader([1, 2, 3], { checkQuorum: true });
  const checkUs = electionUs + electionUs;
  for (let t = electionUs + heartbeatUs; t <= checkUs; t += heartbeatUs) step(core, { type: "tick", nowUs: t });
  assert.equal(core.role, "follower");
  assert.equal(core.term, 1);
});

Deno.test("a leader that hears from a majority over an election timeout keeps leading (thesis §6.2, CheckQuorum)", () => {
  const { core } = electedLeader([1, 2, 3], { checkQuorum: true });
  ack(core, 2, 1, 0, electionUs + 10);
  step(core, { type: "tick", nowUs: electionUs + electionUs });
  assert.equal(core.role, "leader");
});

Deno.test("a ReadIndex read waits for a round begun after it arrived, and a burst shares one round (thesis §6.4)", () => {
  // Thesis §6.4: the leader "records its current commit index", "sends a new round of heartbeats,
  // and waits for their acknowledgments from a majority", then answers once applied that far.
  const { core } = electedLeader();
  ack(core, 2, 1);
  assert.equal(core.commit, 1);
  const first = get(core, 1);
  assert.equal(first.readStates.length, 0, "no answer before the round is confirmed");
  const rounds = sent(first, "append").map((m) => m.message.round);
  assert.deepEqual(rounds, [1, 1]);
  const second = get(core, 2);
  assert.equal(sent(second, "append").length, 0, "a second read waits for the next round, not a new one each");
  const confirmed = ack(core, 3, 1, 1);
  assert.deepEqual(confirmed.readStates.map((r) => r.seq), [1]);
  assert.deepEqual(sent(confirmed, "append").map((m) => m.message.round), [2, 2], "the next round starts at once");
  assert.deepEqual(ack(core, 2, 1, 2).readStates.map((r) => r.seq), [2]);
});

Deno.test("a lease leader answers reads locally while its lease holds, cut short by the drift allowance (thesis §6.4.1)", () => {
  const config = { readMode: "lease" as const, checkQuorum: true, leaseClockDriftMax: 0.1 };
  const { core } = electedLeader([1, 2, 3], config);
  ack(core, 2, 1);
  const beatUs = electionUs + heartbeatUs;
  step(core, { type: "tick", nowUs: beatUs });
  ack(core, 2, 1, 1, beatUs + 100);
  const leaseUs = beatUs + Math.floor(electionUs * 0.9 / 1.1);
  assert.equal(core.leaseUntilUs, leaseUs);
  assert.equal(get(core, 1, leaseUs - 1).readStates.length, 1, "answered locally");
  assert.equal(get(core, 2, leaseUs).readStates.length, 0, "the lease has run out: ReadIndex instead");
});

Deno.test("a leader that sent TimeoutNow holds no lease for the rest of its term (thesis §3.10)", () => {
  const config = { readMode: "lease" as const, checkQuorum: true };
  const { core } = electedLeader([1, 2, 3], config);
  ack(core, 2, 1);
  ack(core, 3, 1);
  const out = step(core, { type: "transfer", target: 2 });
  assert.equal(sent(out, "timeoutNow").length, 1);
  assert.equal(core.leaseUntilUs, -Infinity);
  // The transfer is abandoned after an election timeout; beats then renew no lease in this term.
  for (let t = electionUs + heartbeatUs; t <= 3 * electionUs; t += heartbeatUs) {
    step(core, { type: "tick", nowUs: t });
    ack(core, 2, 1, 0, t);
    ack(core, 3, 1, 0, t);
  }
  assert.equal(core.role, "leader");
  assert.equal(core.leaseUntilUs, -Infinity);
});

Deno.test("under leases a restarted voter refuses votes for an election timeout (thesis §6.4.1)", () => {
  // Its acknowledgements promised a leader no rival for an election timeout, and the promise did
  // not survive the restart in memory.
  const config = { readMode: "lease" as const, checkQuorum: true, preVote: true };
  const core = newCore(3, [1, 2, 3], config, { nowUs: 1_000_000 });
  const vote = { type: "vote" as const, term: 5, candidate: 2, lastIndex: 0, lastTerm: 0, pre: false };
  assert.equal(deliver(core, 2, vote, 1_000_000 + electionUs - 1).messages.length, 0, "ignored");
  assert.equal(core.term, 0);
  const later = deliver(core, 2, vote, 1_000_000 + electionUs);
  assert.equal(sent(later, "voteResponse")[0].message.granted, true);
});

Deno.test("a leader hands over with TimeoutNow once the target's log is up to date, taking no writes meanwhile (thesis §3.10)", () => {
  const { core } = electedLeader();
  ack(core, 2, 1);
  put(core, 1);
  const started = step(core, { type: "transfer", target: 3 });
  assert.equal(sent(started, "timeoutNow").length, 0, "the target lacks entries");
  const refused = put(core, 2);
  assert.deepEqual(refused.responses.map((r) => r.response.ok), [false]);
  const handed = ack(core, 3, 2);
  assert.deepEqual(sent(handed, "timeoutNow").map((m) => m.to), [3]);
});

Deno.test("a follower sent TimeoutNow campaigns at once, past Pre-Vote and its voters' stickiness (thesis §3.10)", () => {
  const core = newCore(2, [1, 2, 3], { preVote: true, checkQuorum: true });
  deliver(core, 1, { type: "append", term: 1, leader: 1, prevIndex: 0, prevTerm: 0, entries: [], commit: 0, round: 0 });
  const out = deliver(core, 1, { type: "timeoutNow", term: 1 });
  assert.equal(core.role, "candidate");
  assert.equal(core.term, 2);
  assert.ok(sent(out, "vote").every((m) => !m.message.pre && m.message.transfer));
});

Deno.test("a leader keeps at most four appends with entries in flight to a follower; an acknowledgement frees a slot (flow control)", () => {
  const { core } = electedLeader();
  ack(core, 2, 1);
  ack(core, 3, 1);
  const counts: number[] = [];
  for (let seq = 1; seq <= 6; seq++) counts.push(sent(put(core, seq), "append").filter((m) => m.to === 2).length);
  assert.deepEqual(counts, [1, 1, 1, 1, 0, 0]);
  const freed = ack(core, 2, 2);
  const resent = sent(freed, "append").filter((m) => m.to === 2);
  assert.equal(resent.length, 1);
  assert.deepEqual(resent[0].message.entries.map((e) => e.index), [6, 7], "what waited goes out together");
});

Deno.test("a heartbeat resends from the match point when a follower's progress stalled (repair of a dropped append)", () => {
  const { core } = electedLeader();
  ack(core, 2, 1);
  put(core, 1); // the append to 2 is lost
  const beatUs = electionUs + heartbeatUs;
  step(core, { type: "tick", nowUs: beatUs });
  const repaired = step(core, { type: "tick", nowUs: beatUs + heartbeatUs });
  const to2 = sent(repaired, "append").filter((m) => m.to === 2);
  assert.equal(to2.length, 1);
  assert.deepEqual([to2[0].message.prevIndex, to2[0].message.entries.map((e) => e.index)], [1, [2]]);
});

Deno.test("the beat input makes a leader heartbeat every follower at once; others ignore it (etcd's MsgBeat)", () => {
  const { core } = electedLeader();
  assert.deepEqual(sent(step(core, { type: "beat" }), "append").map((m) => m.to), [2, 3]);
  const follower = newCore(2);
  assert.equal(step(follower, { type: "beat" }).messages.length, 0);
});

Deno.test("a learner that keeps up within an election timeout is promoted to voter (thesis §4.2.1)", () => {
  const { core } = electedLeader([1, 2]);
  ack(core, 2, 1);
  step(core, { type: "changeMembership", change: "add", server: 4 });
  ack(core, 2, 2);
  ack(core, 4, 2, 0, electionUs + 10); // the round ends at once: the learner holds the log
  ack(core, 4, 2, 0, electionUs + 20);
  assert.deepEqual(core.membership, { voters: [1, 2, 4], learners: [] });
});
