// Proves the pure Raft core follows the rules of the Raft paper (Ongaro & Ousterhout, USENIX ATC
// 2014; Figure 2 and §5-§7) and of Ongaro's thesis (Pre-Vote, learners), one rule per test, in the
// manner of etcd's raft_paper_test.go: one core (no kernel), stepped by hand, judged by what its
// ready says it persists and sends.
import assert from "node:assert/strict";
import { KvStateMachine } from "../kv.ts";
import { raftConfigDefaults } from "../types.ts";
import { append, deliver, electedLeader, electionUs, newCore, sent, settle, step } from "./_harness_test.ts";
import { encodeSnapshot, type PeerMessage } from "./types.ts";

// ---------------------------------------------------------------- Rules for all servers (Figure 2)

Deno.test("a server that sees a higher term in any message adopts it and becomes a follower (§5.1)", () => {
  // "If RPC request or response contains term T > currentTerm: set currentTerm = T, convert to
  // follower (§5.1)."
  const { core } = electedLeader();
  const out = deliver(core, 2, {
    type: "appendResponse",
    term: 5,
    success: false,
    matchIndex: 0,
    conflictIndex: 0,
    round: 0,
  });
  assert.equal(core.role, "follower");
  assert.equal(core.term, 5);
  assert.equal(core.vote, -1);
  assert.deepEqual(out.records.at(-1), { kind: "hard", term: 5, vote: -1, commit: 0 });
  assert.deepEqual(out.roleChanges, [{ role: "follower", term: 5 }]);
});

Deno.test("a server answers a request of a stale term with its own term and changes nothing (§5.1)", () => {
  // "If a server receives a request with a stale term number, it rejects the request (§5.1)."
  const core = newCore(2);
  deliver(core, 1, append(3, 0, 0, [], 0));
  const out = deliver(core, 3, append(2, 0, 0, [{ term: 2, index: 1 }], 0, 3));
  assert.equal(core.term, 3);
  assert.equal(core.leader, 1);
  assert.equal(core.log.lastIndex, 0);
  assert.deepEqual(sent(out, "appendResponse").map((m) => [m.to, m.message.term, m.message.success]), [[3, 3, false]]);
});

Deno.test("a server applies committed entries to its state machine in log order (§5.3)", () => {
  // "If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied] to state machine (§5.3)."
  const core = newCore(2);
  const out = deliver(
    core,
    1,
    append(1, 0, 0, [{ term: 1, index: 1 }, { term: 1, index: 2 }, { term: 1, index: 3 }], 2),
  );
  assert.equal(core.commit, 2);
  assert.equal(core.applied, 2);
  assert.deepEqual(out.committed.map((e) => e.index), [1, 2]);
});

// ---------------------------------------------------------------- Followers (Figure 2)

Deno.test("a follower that receives no communication over an election timeout becomes a candidate (§5.2)", () => {
  // "If election timeout elapses without receiving AppendEntries RPC from current leader or
  // granting vote to candidate: convert to candidate (§5.2)."
  const core = newCore(1);
  assert.equal(core.nextDeadlineUs, electionUs);
  assert.equal(step(core, { type: "tick", nowUs: electionUs - 1 }).roleChanges.length, 0);
  const out = step(core, { type: "tick", nowUs: electionUs });
  assert.equal(core.role, "candidate");
  assert.deepEqual(out.roleChanges, [{ role: "candidate", term: 1 }]);
});

Deno.test("a follower that hears from the leader puts its election off by a new timeout (§5.2)", () => {
  // "A server remains in follower state as long as it receives valid RPCs from a leader or
  // candidate (§5.2)."
  const core = newCore(2);
  deliver(core, 1, append(1, 0, 0, [], 0), electionUs - 10);
  assert.equal(core.nextDeadlineUs, 2 * electionUs - 10);
  step(core, { type: "tick", nowUs: electionUs });
  assert.equal(core.role, "follower");
});

// ---------------------------------------------------------------- Candidates (Figure 2)

Deno.test("a candidate increments its term, votes for itself and asks every other server for its vote (§5.2)", () => {
  // "On conversion to candidate, start election: increment currentTerm, vote for self, reset
  // election timer, send RequestVote RPCs to all other servers (§5.2)."
  const core = newCore(1);
  const out = step(core, { type: "tick", nowUs: electionUs });
  assert.equal(core.term, 1);
  assert.equal(core.vote, 1);
  assert.deepEqual(out.records, [{ kind: "hard", term: 1, vote: 1, commit: 0 }]);
  assert.deepEqual(sent(out, "vote").map((m) => m.to), [2, 3]);
  assert.ok(sent(out, "vote").every((m) => m.message.term === 1 && !m.message.pre));
  assert.equal(core.nextDeadlineUs, 2 * electionUs);
});

Deno.test("a candidate that receives votes from a majority becomes leader and sends appends at once (§5.2)", () => {
  // "If votes received from majority of servers: become leader (§5.2)." "Upon election: send
  // initial empty AppendEntries RPCs (heartbeat) to each server (§5.2)."
  const { core, out } = electedLeader();
  assert.equal(core.leader, 1);
  assert.deepEqual(out.roleChanges, [{ role: "leader", term: 1 }]);
  assert.deepEqual(sent(out, "append").map((m) => m.to), [2, 3]);
});

Deno.test("a candidate that receives an append from a leader of its term becomes its follower (§5.2)", () => {
  // "If AppendEntries RPC received from new leader: convert to follower (§5.2)."
  const core = newCore(1);
  step(core, { type: "tick", nowUs: electionUs });
  const out = deliver(core, 2, append(1, 0, 0, [], 0, 2));
  assert.equal(core.role, "follower");
  assert.equal(core.leader, 2);
  assert.deepEqual(out.roleChanges, [{ role: "follower", term: 1 }]);
});

Deno.test("a candidate whose election times out starts a new election in the next term (§5.2)", () => {
  // "If election timeout elapses: start new election (§5.2)."
  const core = newCore(1);
  step(core, { type: "tick", nowUs: electionUs });
  const out = step(core, { type: "tick", nowUs: 2 * electionUs });
  assert.equal(core.role, "candidate");
  assert.equal(core.term, 2);
  assert.deepEqual(sent(out, "vote").map((m) => m.message.term), [2, 2]);
});

// ---------------------------------------------------------------- Leaders (Figure 2)

Deno.test("a leader sends heartbeats during idle periods to prevent elections (§5.2)", () => {
  // "Upon election: send initial empty AppendEntries RPCs (heartbeat) to each server; repeat
  // during idle periods to prevent election timeouts (§5.2)."
  const { core } = electedLeader();
  const beatUs = electionUs + raftConfigDefaults.heartbeatIntervalUs;
  assert.equal(core.nextDeadlineUs, beatUs);
  const out = step(core, { type: "tick", nowUs: beatUs });
  assert.deepEqual(sent(out, "append").map((m) => m.to), [2, 3]);
  assert.equal(core.role, "leader");
});

Deno.test("a leader appends a client's command to its log and sends it to the followers (§5.3)", () => {
  // "If command received from client: append entry to local log, respond after entry applied to
  // state machine (§5.3)."
  const { core } = electedLeader();
  const request = { type: "request" as const, clientId: 7, seq: 1, f: "put" as const, key: "x", value: "1" };
  const out = step(core, { type: "propose", from: 9, request });
  assert.equal(core.log.lastIndex, 2);
  assert.equal(out.records.at(-1)?.kind, "entry");
  assert.equal(out.responses.length, 0, "no answer before the entry is applied");
  assert.ok(sent(out, "append").every((m) => m.message.entries.some((e) => e.index === 2)));
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 2, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 2);
});

Deno.test("a leader commits an entry once a majority stores it, and answers the client then (§5.3)", () => {
  // "If there exists an N such that N > commitIndex, a majority of matchIndex[i] ≥ N, and
  // log[N].term == currentTerm: set commitIndex = N (§5.3, §5.4)."
  const { core } = electedLeader([1, 2, 3, 4, 5]);
  const request = { type: "request" as const, clientId: 7, seq: 1, f: "put" as const, key: "x", value: "1" };
  step(core, { type: "propose", from: 9, request });
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 2, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 0, "two of five hold it");
  const out = deliver(core, 3, {
    type: "appendResponse",
    term: 1,
    success: true,
    matchIndex: 2,
    conflictIndex: 0,
    round: 0,
  });
  assert.equal(core.commit, 2);
  assert.deepEqual(out.responses.map((r) => [r.node, r.response.ok, r.response.value]), [[9, true, "1"]]);
});

Deno.test("a leader that is refused an append retries from where the follower's log diverges (§5.3)", () => {
  // "If AppendEntries fails because of log inconsistency: decrement nextIndex and retry (§5.3)",
  // with the optimisation of §5.3: the follower names the first index of the conflicting term.
  const { core } = electedLeader();
  for (let i = 0; i < 5; i++) {
    step(core, {
      type: "propose",
      from: 9,
      request: { type: "request", clientId: 7, seq: i + 1, f: "put", key: "x", value: "v" },
    });
  }
  const out = deliver(core, 2, {
    type: "appendResponse",
    term: 1,
    success: false,
    matchIndex: 0,
    conflictIndex: 1,
    round: 0,
  });
  const retries = sent(out, "append").filter((m) => m.to === 2);
  assert.equal(retries.length, 1);
  assert.equal(retries[0].message.prevIndex, 0);
  assert.equal(retries[0].message.entries[0].index, 1);
});

Deno.test("a new leader appends a no-op entry of its term at once (§8)", () => {
  // "Raft handles this by having each leader commit a blank no-op entry into the log at the start
  // of its term (§8)."
  const { core, out } = electedLeader();
  assert.deepEqual(core.log.entry(1), { term: 1, index: 1, command: { kind: "noop" } });
  assert.ok(out.records.some((r) => r.kind === "entry" && r.index === 1));
});

// ---------------------------------------------------------------- RequestVote receiver (Figure 2)

Deno.test("a voter grants at most one vote per term, first come first served (§5.2)", () => {
  // "Each server will vote for at most one candidate in a given term, on a first-come-first-served
  // basis (§5.2)." "If votedFor is null or candidateId, and candidate's log is at least as
  // up-to-date as receiver's log, grant vote (§5.2, §5.4)."
  const core = newCore(3);
  const vote = (candidate: number) => ({
    type: "vote" as const,
    term: 1,
    candidate,
    lastIndex: 0,
    lastTerm: 0,
    pre: false,
  });
  const first = deliver(core, 1, vote(1));
  assert.deepEqual(first.records.at(-1), { kind: "hard", term: 1, vote: 1, commit: 0 });
  assert.equal(sent(first, "voteResponse")[0].message.granted, true);
  assert.equal(sent(deliver(core, 2, vote(2)), "voteResponse")[0].message.granted, false);
  assert.equal(sent(deliver(core, 1, vote(1)), "voteResponse")[0].message.granted, true, "the same candidate again");
});

Deno.test("a voter refuses a candidate whose log is less up to date than its own (§5.4.1)", () => {
  // "The voter denies its vote if its own log is more up-to-date than that of the candidate
  // (§5.4.1)": a later last term wins; with equal last terms, the longer log.
  const core = newCore(3);
  deliver(core, 1, append(2, 0, 0, [{ term: 1, index: 1 }, { term: 2, index: 2 }], 0));
  let term = 2;
  const ask = (lastIndex: number, lastTerm: number) =>
    sent(
      deliver(core, 2, { type: "vote", term: ++term, candidate: 2, lastIndex, lastTerm, pre: false }),
      "voteResponse",
    )[0]
      .message.granted;
  assert.equal(ask(5, 1), false, "an older last term, however long the log");
  assert.equal(ask(1, 2), false, "the same last term, a shorter log");
  assert.equal(ask(2, 2), true, "the same last term and length");
});

// ---------------------------------------------------------------- AppendEntries receiver (Figure 2)

Deno.test("a follower refuses an append whose previous entry it does not hold, naming where to resume (§5.3)", () => {
  // "Reply false if log doesn't contain an entry at prevLogIndex whose term matches prevLogTerm (§5.3)."
  const core = newCore(2);
  deliver(core, 1, append(1, 0, 0, [{ term: 1, index: 1 }, { term: 1, index: 2 }], 0));
  const missing = sent(deliver(core, 1, append(1, 5, 1, [], 0)), "appendResponse")[0].message;
  assert.deepEqual([missing.success, missing.conflictIndex], [false, 3]);
  const mismatch = sent(deliver(core, 1, append(1, 2, 3, [], 0)), "appendResponse")[0].message;
  assert.deepEqual([mismatch.success, mismatch.conflictIndex], [false, 1], "the first index of the conflicting term");
});

Deno.test("a follower deletes a conflicting entry and all that follow it, then appends the new ones (§5.3)", () => {
  // "If an existing entry conflicts with a new one (same index but different terms), delete the
  // existing entry and all that follow it (§5.3). Append any new entries not already in the log."
  const core = newCore(2);
  deliver(core, 1, append(1, 0, 0, [{ term: 1, index: 1 }, { term: 1, index: 2 }, { term: 1, index: 3 }], 0));
  const out = deliver(core, 3, append(2, 1, 1, [{ term: 2, index: 2 }], 0, 3));
  assert.equal(core.log.lastIndex, 2);
  assert.equal(core.log.termAt(2), 2);
  assert.deepEqual(out.records.filter((r) => r.kind === "entry").map((r) => r.kind === "entry" && [r.index, r.term]), [[
    2,
    2,
  ]]);
});

Deno.test("a follower sets its commit index to the leader's, bounded by its last new entry (§5.3)", () => {
  // "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)."
  const core = newCore(2);
  deliver(core, 1, append(1, 0, 0, [{ term: 1, index: 1 }, { term: 1, index: 2 }], 9));
  assert.equal(core.commit, 2);
});

// ---------------------------------------------------------------- Safety (§5.4)

Deno.test("a leader never commits an entry of an earlier term by counting replicas (§5.4.2)", () => {
  // "Raft never commits log entries from previous terms by counting replicas. Only log entries
  // from the leader's current term are committed by counting replicas (§5.4.2)."
  const core = newCore(1);
  deliver(core, 2, append(1, 0, 0, [{ term: 1, index: 1 }], 0, 2));
  step(core, { type: "tick", nowUs: 3 * electionUs });
  deliver(core, 3, { type: "voteResponse", term: 2, granted: true, pre: false });
  assert.equal(core.role, "leader");
  assert.equal(core.log.termAt(2), 2, "the no-op of term 2");
  deliver(core, 3, { type: "appendResponse", term: 2, success: true, matchIndex: 1, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 0, "entry 1 of term 1 is on a majority, yet not committed");
  deliver(core, 3, { type: "appendResponse", term: 2, success: true, matchIndex: 2, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 2, "committing the term-2 no-op commits entry 1 with it");
});

// ---------------------------------------------------------------- Durability (§5.1, Figure 2)

Deno.test("a message that depends on persisted state is never released before the ready's persistence is acknowledged (Figure 2)", () => {
  // "Persistent state on all servers (updated on stable storage before responding to RPCs)."
  const core = newCore(3);
  core.step({
    type: "message",
    from: 1,
    message: { type: "vote", term: 1, candidate: 1, lastIndex: 0, lastTerm: 0, pre: false },
    nowUs: 0,
  });
  const first = core.ready();
  core.advance();
  assert.deepEqual(first.persist.records.at(-1), { kind: "hard", term: 1, vote: 1, commit: 0 });
  assert.equal(first.messages.length, 0, "the vote waits for its record to be durable");
  // Another input meanwhile: its answer waits too, behind the vote.
  core.step({
    type: "message",
    from: 2,
    message: { type: "vote", term: 1, candidate: 2, lastIndex: 0, lastTerm: 0, pre: false },
    nowUs: 0,
  });
  const second = core.ready();
  core.advance();
  assert.equal(second.messages.length, 0);
  core.step({ type: "persisted", readyId: first.id, nowUs: 0 });
  const third = core.ready();
  core.advance();
  assert.deepEqual(third.messages.map((m) => [m.to, m.message.type === "voteResponse" && m.message.granted]), [[
    1,
    true,
  ], [2, false]]);
  assert.equal(third.releasedAfterReadyId, first.id);
});

// ---------------------------------------------------------------- Membership (§6; thesis §4)

Deno.test("a learner receives the log but its acknowledgement does not count toward a commit (§6)", () => {
  // Thesis §4.2.1: new servers join as non-voting members: "the leader replicates log entries to
  // them, but they are not considered for majorities."
  const { core } = electedLeader([1, 2]);
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 1, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 1);
  const out = step(core, { type: "changeMembership", change: "add", server: 4 });
  assert.deepEqual(core.membership, { voters: [1, 2], learners: [4] });
  assert.ok(sent(out, "append").some((m) => m.to === 4), "the learner is sent the log");
  deliver(core, 4, { type: "appendResponse", term: 1, success: true, matchIndex: 2, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 1, "the learner alone does not commit the configuration entry");
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 2, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 2);
  assert.ok(core.membershipCommitted);
});

Deno.test("a leader refuses a second membership change while one is uncommitted (§6)", () => {
  // Thesis §4.1: "the leader must wait for the previous change to be committed before starting a
  // new one."
  const { core } = electedLeader([1, 2]);
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 1, conflictIndex: 0, round: 0 });
  step(core, { type: "changeMembership", change: "add", server: 4 });
  step(core, { type: "changeMembership", change: "add", server: 5 });
  assert.deepEqual(core.membership, { voters: [1, 2], learners: [4] });
});

Deno.test("a leader removed by a committed configuration steps down (§6)", () => {
  // "The leader steps down (returns to follower state) once it has committed the C_new log entry
  // (§6)."
  const { core } = electedLeader([1, 2, 3]);
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 1, conflictIndex: 0, round: 0 });
  step(core, { type: "changeMembership", change: "remove", server: 1 });
  assert.equal(core.role, "leader", "it leads until the change commits");
  deliver(core, 2, { type: "appendResponse", term: 1, success: true, matchIndex: 2, conflictIndex: 0, round: 0 });
  assert.equal(core.commit, 1, "the leader does not count itself for its own removal");
  const out = deliver(core, 3, {
    type: "appendResponse",
    term: 1,
    success: true,
    matchIndex: 2,
    conflictIndex: 0,
    round: 0,
  });
  assert.equal(core.commit, 2);
  assert.equal(core.role, "follower");
  assert.deepEqual(out.roleChanges, [{ role: "follower", term: 1 }]);
});

// ---------------------------------------------------------------- Snapshots (§7)

Deno.test("a follower installs a leader's snapshot only once it is whole and durable, then reports it (§7)", () => {
  // InstallSnapshot receiver: "Write data into snapshot file at given offset; reply and wait for
  // more data chunks if done is false; save snapshot file, discard any existing or partial
  // snapshot; reset state machine using snapshot contents (§7)."
  const core = newCore(2);
  const data = new KvStateMachine();
  data.apply({ kind: "op", clientId: 1, seq: 1, f: "put", key: "x", value: "7" });
  const bytes = encodeSnapshot({
    index: 10,
    term: 1,
    data: data.snapshot(),
    membership: { voters: [1, 2, 3], learners: [] },
  });
  const half = Math.floor(bytes.length / 2);
  const chunk = (offset: number, end: number): PeerMessage => ({
    type: "snapshot",
    term: 1,
    leader: 1,
    index: 10,
    snapshotTerm: 1,
    offset,
    chunk: bytes.subarray(offset, end),
    done: end === bytes.length,
  });
  const first = deliver(core, 1, chunk(0, half));
  assert.deepEqual(first.snapshotChunks.map((c) => [c.offset, c.bytes.length, c.done]), [[0, half, false]]);
  assert.equal(core.commit, 0, "nothing changes for a chunk");
  const acked = step(core, { type: "snapshotChunkWritten", index: 10, offset: 0, length: half, done: false, ok: true });
  assert.deepEqual(sent(acked, "snapshotAck").map((m) => m.message.nextOffset), [half]);
  core.step({ type: "message", from: 1, message: chunk(half, bytes.length), nowUs: 0 });
  settle(core);
  const written = step(core, {
    type: "snapshotChunkWritten",
    index: 10,
    offset: half,
    length: bytes.length - half,
    done: true,
    ok: true,
  });
  assert.deepEqual(written.snapshotReceived.filter((r) => r !== undefined), [{ index: 10, term: 1 }]);
  assert.equal(core.commit, 0, "not installed before it is durable");
  const installed = step(core, {
    type: "snapshotDurable",
    source: "received",
    index: 10,
    term: 1,
    ok: true,
    published: true,
    bytes,
  });
  assert.deepEqual([core.commit, core.applied, core.log.snapshotIndex], [10, 10, 10]);
  assert.deepEqual(installed.records, [{ kind: "snapshot", index: 10, term: 1 }]);
  assert.deepEqual(sent(installed, "appendResponse").map((m) => [m.message.success, m.message.matchIndex]), [[
    true,
    10,
  ]]);
});

// ---------------------------------------------------------------- Pre-Vote (thesis §9.6)

Deno.test("a pre-candidate asks for votes in the next term without raising its own (thesis §9.6)", () => {
  // Thesis §9.6: "a candidate would first ask other servers whether its log was up-to-date enough
  // to get their vote. Only if the candidate believed it could get votes from a majority of the
  // cluster would it increment its term and start a normal election."
  const core = newCore(1, [1, 2, 3], { preVote: true });
  const out = step(core, { type: "tick", nowUs: electionUs });
  assert.equal(core.role, "precandidate");
  assert.equal(core.term, 0);
  assert.deepEqual(out.records, [], "a pre-vote persists nothing");
  assert.deepEqual(sent(out, "vote").map((m) => [m.to, m.message.term, m.message.pre]), [[2, 1, true], [3, 1, true]]);
  deliver(core, 2, { type: "voteResponse", term: 1, granted: true, pre: true });
  assert.equal(core.role, "candidate");
  assert.equal(core.term, 1);
});

Deno.test("a server that hears from its leader refuses pre-votes and ignores disruptive candidates (thesis §9.6, CheckQuorum)", () => {
  // Thesis §9.6 with leader stickiness: "if a server receives a RequestVote request within the
  // minimum election timeout of hearing from a current leader, it does not update its term or
  // grant its vote."
  const core = newCore(3, [1, 2, 3], { preVote: true, checkQuorum: true });
  deliver(core, 1, append(1, 0, 0, [], 0), 1000);
  const pre = deliver(core, 2, { type: "vote", term: 2, candidate: 2, lastIndex: 0, lastTerm: 0, pre: true }, 2000);
  assert.equal(sent(pre, "voteResponse")[0].message.granted, false);
  const real = deliver(core, 2, { type: "vote", term: 2, candidate: 2, lastIndex: 0, lastTerm: 0, pre: false }, 3000);
  assert.equal(real.messages.length, 0, "ignored");
  assert.equal(core.term, 1);
});
