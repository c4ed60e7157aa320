// Proves the Raft paper's Figure 8 (§5.4.2): a leader must not commit an entry of an earlier term by
// counting its replicas. A script steers five servers through the figure with link cuts and
// crashes; with the planted bug commitPreviousTerm the leader of term 3 commits a term-1 entry a
// majority holds, a later leader overwrites it, and two checkers see it: State Machine Safety
// (§5.4.3, no two servers commit different entries at one index) and linearizability of the
// client's history (one server's state machine kept the lost write, so reads disagree). The
// correct server runs the same script without either violation, on every seed.
import assert from "node:assert/strict";
import { checkLinearizable, type LinearizabilityResult } from "../../check/linearizability.ts";
import { kv } from "../../check/models.ts";
import { pairOperations } from "../../check/operations.ts";
import type { Op } from "../../history/history.ts";
import { Simulation } from "../../sim/mod.ts";
import type { NodeApi } from "../../sim/types.ts";
import { bugsFor } from "./bugs.ts";
import { type RaftServer, raftServer, type Role } from "./node.ts";
import { type RaftConfig, raftConfigDefaults, type RaftMessage } from "./types.ts";

/** The seeds every run of the script uses; the bug must be caught on each. */
const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
/** The most election timeouts one step of the script may take to happen: a bound, not a guess. */
const roundsMax = 20;
/** How long a leader keeps going before the script crashes it: two heartbeats, so commits spread. */
const leaderLingerUs = 120_000;

/**
 * State Machine Safety (§5.4.3) observed from outside the servers: an index, once committed
 * anywhere, holds an entry of the same term on every server that commits it (a term and an index
 * name one entry, by the Log Matching Property). Checked after every event of the run.
 */
class CommittedTerms {
  readonly #byIndex = new Map<number, { term: number; server: string }>();
  readonly #conflicting = new Set<number>();
  /** One line per index committed with two different terms. */
  readonly conflicts: string[] = [];

  observe(server: string, raft: RaftServer): void {
    for (let index = raft.log.firstIndex; index <= raft.commit; index++) {
      const term = raft.log.termAt(index);
      if (term === undefined) continue;
      const first = this.#byIndex.get(index);
      if (first === undefined) this.#byIndex.set(index, { term, server });
      else if (first.term !== term && !this.#conflicting.has(index)) {
        this.#conflicting.add(index);
        this.conflicts.push(`index ${index}: ${first.server} committed term ${first.term}, ${server} term ${term}`);
      }
    }
  }
}

/** What one run of the script produced, for the tests to judge. */
interface Figure8Run {
  linearizability: LinearizabilityResult;
  safetyConflicts: string[];
  /** Leaders' names by term, as the servers reported their role changes. */
  leadersByTerm: Map<number, string[]>;
  /** The figure's moments, observed. */
  facts: {
    /** The term of s1's first leadership, whose entry at index 2 is the write. */
    termWrite: number;
    termS5First: number;
    termS1Second: number;
    /** Servers holding the write (index 2 of termWrite) while s1 led termS1Second. */
    writeHolders: string[];
    /** The last index s1 held then, and its term (s1's no-op of termS1Second). */
    s1LastIndex: number;
    s1LastTerm: number;
    /** Servers holding an entry of termS1Second (s1's no-op) when s1 crashed. */
    noopHolders: string[];
    /** s1's commit index just before its second crash. */
    s1CommitAtCrash: number;
    termS5Second: number;
    /** The term of s5's entry at index 2 on every server after s5's second term. */
    index2TermsAfter: number[];
  };
  /** The client's completed reads, in order, as "server=value". */
  reads: string[];
  /** Whether the write was ever answered ok. */
  writeAcknowledged: boolean;
}

/**
 * The script, after the paper's figure (terms are one lower here: our first leader's no-op fills
 * index 1, so the figure's term 2 is our term 1, and so on). Links are set so that only the
 * intended server can gather a majority: it is the center of a star and its spokes reach no one
 * else (a spoke can gather two votes, never three).
 *
 * (a) s1 leads term 1 and replicates the client's write k=v1 (index 2) to s2 only; s1 crashes.
 * (b) s5 is elected in term 2 by s3 and s4 and writes its no-op at index 2 locally only (its links
 *     are cut the moment it wins); s5 crashes.
 * (c) s1 restarts and is elected in term 3 by s2 and s3; it replicates index 2 to s3, whose link
 *     from s1 is cut as soon as it holds it, so s1's own no-op (index 3) reaches s2 only: index 2
 *     is on a majority, no entry of term 3 is. The bug commits index 2 here, and s2 hears of it.
 *     s1 crashes.
 * (d) s5 restarts and is elected in term 4 by s3 and s4 (its last term, 2, beats their 1; s2's 3
 *     beats s5's, so s2 refuses) and overwrites index 2 on s2, s3 and s4.
 * Then the reads: s2 is elected and asked for k; then s2 crashes, s4 is elected and asked for k.
 */
function figure8Scenario(bug: string, seed: number): Figure8Run {
  const sim = new Simulation({ seed });
  const servers: number[] = [];
  const instances = new Map<number, RaftServer>();
  const leadersByTerm = new Map<number, string[]>();
  const onRole = (server: number, role: Role, term: number) => {
    if (role === "leader") leadersByTerm.set(term, [...(leadersByTerm.get(term) ?? []), sim.nodeName(server)]);
  };
  // Pre-Vote and CheckQuorum stay on, as by default: the script's campaigns are TimeoutNow
  // campaigns, which skip Pre-Vote and leader stickiness as a leadership transfer does, and
  // CheckQuorum stepping down a leader cut off from its majority changes nothing here, since the
  // script crashes that leader anyway.
  const config: RaftConfig = {
    ...raftConfigDefaults,
    servers,
    // One entry per append, so s3 can receive index 2 without s1's no-op behind it, as in (c).
    entriesPerAppendMax: 1,
    snapshotEveryEntries: 0,
  };
  for (let i = 1; i <= 5; i++) {
    servers.push(sim.addNode<RaftMessage>({
      name: `s${i}`,
      create: (api) => {
        const server = raftServer(api, { config, bugs: bugsFor(bug), onRole }) as RaftServer;
        instances.set(api.id, server);
        return server;
      },
    }));
  }
  const [s1, s2, s3, s4, s5] = servers;
  const raft = (server: number) => instances.get(server)!;
  const committed = new CommittedTerms();
  const observe = () => {
    for (const server of servers) if (sim.isUp(server)) committed.observe(sim.nodeName(server), raft(server));
  };

  // A hand-driven client: one operation at a time; one given up on is recorded as info.
  let client: NodeApi<RaftMessage> | undefined;
  let open: { op: Op; seq: number; to: number } | undefined;
  let seq = 0;
  const reads: string[] = [];
  let writeAcknowledged = false;
  const clientId = sim.addNode<RaftMessage>({
    name: "client",
    create: (api) => {
      client = api;
      return {
        onMessage(_from, message) {
          if (message.type !== "response" || open === undefined || message.seq !== open.seq || !message.ok) return;
          api.complete(open.op, "ok", message.value);
          if (open.op.f === "get") reads.push(`${sim.nodeName(open.to)}=${message.value}`);
          else writeAcknowledged = true;
          open = undefined;
        },
      };
    },
  });
  const request = (to: number, f: "put" | "get", value: string | null) => {
    assert.equal(open, undefined, "the client has one operation at a time");
    seq++;
    open = { op: client!.invoke(f, value, { key: "k" }), seq, to };
    client!.send(to, { type: "request", clientId, seq, f, key: "k", value });
  };
  const giveUp = () => {
    if (open === undefined) return;
    client!.complete(open.op, "info");
    open = undefined;
  };

  /** Opens exactly the links between `center` and each of `spokes` (both ways); the client keeps its links. */
  const star = (center: number, spokes: number[]) => {
    for (const a of servers) {
      for (const b of servers) {
        if (a === b) continue;
        const open = (a === center && spokes.includes(b)) || (b === center && spokes.includes(a));
        if (open && sim.network.isBlocked(a, b)) sim.network.unblock(a, b);
        if (!open && !sim.network.isBlocked(a, b)) sim.network.block(a, b);
      }
    }
  };
  const leads = (server: number) => sim.isUp(server) && raft(server).role === "leader";
  /** Leads with an entry of its own term committed (a read can then be served, and the log is caught up). */
  const leadsCommitted = (server: number) =>
    leads(server) && raft(server).log.termAt(raft(server).commit) === raft(server).term;
  /**
   * Has `server` campaign now, as the `campaign` step of etcd's scenario scripts does: a TimeoutNow
   * (the message of a leadership transfer) at the highest term any live server holds, so that its
   * vote requests outrank every term. Left to their timers, spokes that can never win keep
   * campaigning, and each of their higher terms resets the center's timer: elections could stall.
   */
  const campaign = (server: number) => {
    const term = Math.max(...servers.filter((s) => sim.isUp(s)).map((s) => raft(s).term));
    client!.send(server, { type: "timeoutNow", term });
  };
  /**
   * Runs until `condition` holds (checked after every event), at most `roundsMax` election
   * timeouts; at each round `candidate`, if given and not leading, is told to campaign.
   */
  const waitFor = (what: string, condition: () => boolean, candidate?: number) => {
    for (let round = 0; round < roundsMax && !condition(); round++) {
      if (candidate !== undefined && !leads(candidate)) campaign(candidate);
      sim.run({ until: () => (observe(), condition()), untilUs: sim.nowUs + config.electionTimeoutUsMax });
    }
    assert.ok(condition(), `seed ${seed}, bug ${bug}: ${what} did not happen within ${roundsMax} election timeouts`);
  };
  const linger = (durationUs: number) => {
    sim.run({ until: () => (observe(), false), untilUs: sim.nowUs + durationUs });
  };

  sim.run({ untilUs: 0 }); // every node starts

  // (a) s1 leads; the write reaches s2 only; s1 crashes.
  star(s1, [s2, s3, s4, s5]);
  waitFor("s1 leading with its no-op committed", () => leadsCommitted(s1), s1);
  const termWrite = raft(s1).term;
  star(s1, [s2]);
  request(s1, "put", "v1");
  waitFor("the write reaching s2", () => raft(s2).log.lastIndex >= 2);
  linger(leaderLingerUs);
  sim.crash(s1, { unsyncedOnCrash: "lose" });
  giveUp(); // s1 never answered: the write may or may not take effect

  // (b) s5 is elected by s3 and s4; its no-op stays local; s5 crashes.
  star(s5, [s3, s4]);
  waitFor("s5 leading", () => leads(s5), s5);
  star(s5, []); // at once: the no-op waits for its fsync before it is sent, and is now dropped
  const termS5First = raft(s5).term;
  linger(leaderLingerUs);
  sim.crash(s5, { unsyncedOnCrash: "lose" });

  // (c) s1 restarts and is elected by s2 and s3; index 2 reaches s3 alone of s1's entries.
  sim.restart(s1);
  star(s1, [s2, s3]);
  waitFor("s3 holding index 2", () => raft(s3).log.lastIndex >= 2, s1);
  sim.network.block(s1, s3); // s3's acknowledgement still reaches s1; nothing more from s1 reaches s3
  const termS1Second = raft(s1).term;
  const writeHolders = servers.filter((s) => sim.isUp(s) && raft(s).log.termAt(2) === termWrite)
    .map((s) => sim.nodeName(s));
  linger(leaderLingerUs);
  const s1LastIndex = raft(s1).log.lastIndex;
  const s1LastTerm = raft(s1).log.lastTerm;
  const noopHolders = servers.filter((s) => sim.isUp(s) && raft(s).log.lastTerm === termS1Second)
    .map((s) => sim.nodeName(s));
  const s1CommitAtCrash = raft(s1).commit;
  sim.crash(s1, { unsyncedOnCrash: "lose" });

  // (d) s5 restarts and is elected by s3 and s4 (s2's last term is newer than s5's: it refuses),
  // and overwrites index 2 on s2, s3 and s4.
  sim.restart(s5);
  star(s5, [s2, s3, s4]);
  waitFor(
    "s5 leading again with s2 caught up",
    () =>
      leadsCommitted(s5) && raft(s2).log.lastIndex === raft(s5).log.lastIndex &&
      raft(s2).log.lastTerm === raft(s5).log.lastTerm && raft(s2).commit === raft(s5).commit,
    s5,
  );
  const termS5Second = raft(s5).term;
  const index2TermsAfter = [s2, s3, s4, s5].map((s) => raft(s).log.termAt(2)!);

  // The reads: s2 leads and is asked; then s2 crashes, s4 leads and is asked.
  star(s2, [s3, s4]);
  waitFor("s2 leading", () => leadsCommitted(s2), s2);
  request(s2, "get", null);
  waitFor("s2 answering the read", () => open === undefined);
  sim.crash(s2, { unsyncedOnCrash: "lose" });
  star(s4, [s3, s5]);
  waitFor("s4 leading", () => leadsCommitted(s4), s4);
  request(s4, "get", null);
  waitFor("s4 answering the read", () => open === undefined);

  return {
    linearizability: checkLinearizable(pairOperations(sim.history.events), kv as never, { initial: "" }),
    safetyConflicts: committed.conflicts,
    leadersByTerm,
    facts: {
      termWrite,
      termS5First,
      termS1Second,
      writeHolders,
      s1LastIndex,
      s1LastTerm,
      noopHolders,
      s1CommitAtCrash,
      termS5Second,
      index2TermsAfter,
    },
    reads,
    writeAcknowledged,
  };
}

/** Asserts the figure's situation happened, so no verdict is vacuous. */
function assertFigure8Happened(run: Figure8Run, seed: number): void {
  const { facts } = run;
  const where = `seed ${seed}`;
  // The figure's terms 2, 3, 4 and 5, one lower, and their leaders; one leader per term throughout.
  assert.deepEqual([facts.termWrite, facts.termS5First, facts.termS1Second, facts.termS5Second], [1, 2, 3, 4], where);
  assert.deepEqual([1, 2, 3, 4].map((term) => run.leadersByTerm.get(term)), [["s1"], ["s5"], ["s1"], ["s5"]], where);
  for (const [term, leaders] of run.leadersByTerm) assert.equal(leaders.length, 1, `${where}: term ${term}`);
  // (c): the write is on a majority while s1 leads term 3, whose own entry (index 3) is not.
  assert.deepEqual(facts.writeHolders, ["s1", "s2", "s3"], `${where}: the write on a majority`);
  assert.deepEqual([facts.s1LastIndex, facts.s1LastTerm], [3, 3], `${where}: s1's no-op of term 3 at index 3`);
  assert.deepEqual(facts.noopHolders, ["s1", "s2"], `${where}: s1's no-op on a minority`);
  // (d): s5's entry of term 2 replaced index 2 everywhere.
  assert.deepEqual(facts.index2TermsAfter, [2, 2, 2, 2], `${where}: index 2 on s2, s3, s4, s5`);
}

Deno.test("raft §5.4.2 Figure 8: a leader never commits an earlier term's entry by counting replicas, so the overwrite loses nothing", () => {
  for (const seed of seeds) {
    const run = figure8Scenario("none", seed);
    assertFigure8Happened(run, seed);
    assert.equal(run.facts.s1CommitAtCrash, 0, `seed ${seed}: s1 committed nothing of its second term`);
    assert.deepEqual(run.safetyConflicts, [], `seed ${seed}: State Machine Safety`);
    assert.equal(run.writeAcknowledged, false, `seed ${seed}: the overwritten write was never acknowledged`);
    assert.deepEqual(run.reads, ["s2=", "s4="], `seed ${seed}: both leaders agree the write never happened`);
    assert.equal(run.linearizability.valid, true, `seed ${seed}: linearizable`);
  }
});

Deno.test("raft §5.4.2 Figure 8: planted bug commitPreviousTerm commits an earlier term's entry that a later leader overwrites", () => {
  for (const seed of seeds) {
    const run = figure8Scenario("commitPreviousTerm", seed);
    assertFigure8Happened(run, seed);
    assert.equal(run.facts.s1CommitAtCrash, 2, `seed ${seed}: s1 committed the write by counting replicas`);
    // Nor is it acknowledged here: a server answers a client only in the term it took the request in.
    assert.equal(run.writeAcknowledged, false, `seed ${seed}`);
    // Whoever reports it first (s2, whose committed entry was replaced, or s5 committing its own).
    assert.equal(run.safetyConflicts.length, 1, `seed ${seed}: ${run.safetyConflicts}`);
    assert.match(
      run.safetyConflicts[0],
      new RegExp(`^index 2: s1 committed term ${run.facts.termWrite}, s[25] term ${run.facts.termS5First}$`),
      `seed ${seed}: the committed write was overwritten`,
    );
    // s2 applied the write when s1 committed it and keeps it after its log was overwritten.
    assert.deepEqual(run.reads, ["s2=v1", "s4="], `seed ${seed}: two leaders disagree about the write`);
    assert.equal(run.linearizability.valid, false, `seed ${seed}: not linearizable`);
    assert.equal(run.linearizability.counterexample?.stuck.f, "get");
    assert.equal(run.linearizability.counterexample?.stuck.output, "");
  }
});
