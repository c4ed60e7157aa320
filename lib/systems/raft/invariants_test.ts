// Proves each of Raft's safety properties, as checked from outside the cluster, holds on logs that
// keep it and names the servers on logs built by hand to break it.
import assert from "node:assert/strict";
import { type ObservedServer, RaftInvariants } from "./invariants.ts";
import { RaftLog } from "./log.ts";

/**
 * A log holding entries of the given terms from index 1, each command unique to (term, index) and
 * to `writer`: two writers' entries at the same index and term are different commands.
 */
function logOf(terms: number[], writer = 0): RaftLog {
  const log = new RaftLog();
  terms.forEach((term, i) =>
    log.push({
      term,
      index: i + 1,
      command: { kind: "op", clientId: writer * 100 + term, seq: i + 1, f: "put", key: "k", value: "v" },
    })
  );
  return log;
}

function server(id: number, fields: Partial<ObservedServer> & { log: RaftLog }): ObservedServer {
  return { id, role: "follower", term: 1, commit: 0, ...fields };
}

function invariantsOver(servers: ObservedServer[]) {
  return new RaftInvariants({ servers: () => servers, name: (s) => `n${s}` });
}

Deno.test("election safety: a second leader in a term is named with the first (§5.2)", () => {
  const invariants = invariantsOver([]);
  invariants.leaderElected(0, 1);
  invariants.leaderElected(0, 1); // the same server again (a restart as leader of the same term cannot happen, but is not two)
  invariants.leaderElected(1, 2);
  assert.equal(invariants.electionSafety(), undefined);
  invariants.leaderElected(2, 2);
  assert.equal(invariants.electionSafety(), "two leaders in term 2: n1, n2");
});

Deno.test("log matching: logs agreeing on an entry must agree on every entry before it (§5.3)", () => {
  const a = server(0, { log: logOf([1, 1, 2, 2]) });
  const b = server(1, { log: logOf([1, 1, 2]) });
  assert.equal(invariantsOver([a, b]).logMatching(), undefined, "a prefix matches");
  const diverged = server(2, { log: logOf([1, 1, 3]) });
  assert.equal(invariantsOver([a, diverged]).logMatching(), undefined, "a diverged suffix is allowed");
  // The same terms, but entry 2 holds another command: the logs agree at 4 and differ below it.
  const other = logOf([1], 1);
  for (const entry of a.log.slice(2, 5, Infinity)) other.push(entry);
  const broken = server(3, { log: other });
  assert.match(invariantsOver([a, broken]).logMatching()!, /n0 and n3 agree on a later entry but differ at 1/);
});

Deno.test("state machine safety: committed entries agree on every server (§5.4.3)", () => {
  const a = server(0, { log: logOf([1, 1, 2]), commit: 3 });
  const b = server(1, { log: logOf([1, 1, 3]), commit: 2 });
  assert.equal(invariantsOver([a, b]).stateMachineSafety(), undefined, "they differ only past b's commit");
  const c = server(2, { log: logOf([1, 1, 3]), commit: 3 });
  assert.match(invariantsOver([a, c]).stateMachineSafety()!, /committed entry 3 differs: n0 has term 2, n2 term 3/);
});

Deno.test("state machine safety: an entry applied for a moment before a crash still counts against a different one applied later", () => {
  // No server is up at any checkpoint: n0 applied index 2 of term 1 and crashed; n1 later applied
  // term 2 at index 2. Only the ledger fed as entries are applied sees both.
  const invariants = invariantsOver([]);
  const [old, later] = [logOf([1, 1]), logOf([1, 2], 1)];
  invariants.applied(0, old.entry(1));
  invariants.applied(0, old.entry(2));
  invariants.applied(1, old.entry(1));
  assert.equal(invariants.stateMachineSafety(), undefined, "the same entry applied twice is no conflict");
  invariants.applied(1, later.entry(2));
  assert.equal(invariants.stateMachineSafety(), "entry 2 applied as term 1 on n0 and as term 2 on n1");
});

Deno.test("state machine safety: two different commands applied at one index and term are a conflict", () => {
  const invariants = invariantsOver([]);
  invariants.applied(0, logOf([1], 0).entry(1));
  invariants.applied(1, logOf([1], 1).entry(1));
  assert.equal(invariants.stateMachineSafety(), "entry 1 applied as term 1 on n0 and as term 1 on n1");
});

Deno.test("leader completeness: a leader of a later term holds every committed entry (§5.4)", () => {
  const committed = server(0, { log: logOf([1, 1, 2]), commit: 3 });
  const complete = server(1, { log: logOf([1, 1, 2, 3]), role: "leader", term: 3 });
  assert.equal(invariantsOver([committed, complete]).leaderCompleteness(), undefined);
  const lacking = server(2, { log: logOf([1, 1]), role: "leader", term: 3 });
  assert.match(
    invariantsOver([committed, lacking]).leaderCompleteness()!,
    /leader n2 of term 3 lacks entry 3 of term 2/,
  );
});

Deno.test("leader append-only: a leader never loses or overwrites an entry of its own log (§5.3)", () => {
  const log = logOf([1, 2, 2]);
  const leader = server(0, { log, role: "leader", term: 2 });
  const invariants = invariantsOver([leader]);
  assert.equal(invariants.leaderAppendOnly(), undefined, "first reading");
  log.push({ term: 2, index: 4, command: { kind: "noop" } });
  assert.equal(invariants.leaderAppendOnly(), undefined, "appending is fine");
  log.reset(2, 2); // the leader drops entries 3 and 4
  assert.match(invariants.leaderAppendOnly()!, /leader n0 of term 2 lost or overwrote entry 4/);
});
