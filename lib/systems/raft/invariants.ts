/**
 * Raft's safety properties (Figure 3 of the paper) as checks over the servers' state, seen from
 * outside the cluster, as TigerBeetle's checkers observe replicas:
 *
 * - **Election Safety**: at most one leader can be elected in a given term (§5.2).
 * - **Leader Append-Only**: a leader never overwrites or deletes entries in its log (§5.3).
 * - **Log Matching**: if two logs contain an entry with the same index and term, the logs are
 *   identical in all entries up through that index (§5.3).
 * - **Leader Completeness**: if an entry is committed in a term, it is present in the logs of the
 *   leaders of all higher terms (§5.4).
 * - **State Machine Safety**: if a server has applied an entry at an index, no other server ever
 *   applies a different entry at that index (§5.4.3); checked on a ledger of every entry any
 *   server applied (fed as each is applied, so one applied for an instant before a crash counts),
 *   and as agreement of committed entries at checkpoints.
 *
 * Each is incremental or bounded per checkpoint (STYLE 17): Election Safety is fed every role
 * change; Log Matching and State Machine Safety compare the newest `checkpointWindowEntries`
 * entries two logs share at each checkpoint and everything they share at the final check;
 * Leader Completeness and Leader Append-Only remember only the last committed entry seen and
 * each leader's last entry. A check returns undefined when the property holds, else what broke,
 * naming the servers.
 *
 * @example
 * ```ts
 * import { RaftInvariants } from "./invariants.ts";
 * const invariants = new RaftInvariants({ servers: () => [], name: (s) => `n${s}` });
 * invariants.list().map((i) => i.name); // ["election-safety", "leader-append-only", ...]
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { ReadonlyRaftLog } from "./log.ts";
import { AppliedLedger } from "./applied_ledger.ts";
import type { Entry } from "./types.ts";

/** What the invariants read of one server (the public fields of a Raft server). */
export interface ObservedServer {
  readonly id: number;
  readonly role: string;
  readonly term: number;
  readonly commit: number;
  readonly log: ReadonlyRaftLog;
}

/** Where the invariants find the servers. */
export interface InvariantSources {
  /** The servers up now. */
  servers: () => readonly ObservedServer[];
  name: (server: number) => string;
}

/** An invariant, as the harness takes it. */
export interface NamedInvariant {
  name: string;
  check(final: boolean): string | undefined;
}

/** The properties, in the order they are checked and reported. */
export const raftInvariantNames = [
  "election-safety",
  "leader-append-only",
  "log-matching",
  "leader-completeness",
  "state-machine-safety",
] as const;

/** Entries per pair of logs compared at a checkpoint (the final check compares all they share). */
export const checkpointWindowEntries = 32;

/** Most leaders one term may record before the run is plainly broken (bounds the map). */
const leadersPerTermMax = 64;

/** The invariants of one run (they keep a little state between checkpoints). */
export class RaftInvariants {
  readonly #sources: InvariantSources;
  /** Leaders elected per term, fed by role changes. */
  readonly #leadersByTerm = new Map<number, number[]>();
  /** Each leader's (server, term) last entry seen: an append-only log keeps it. */
  readonly #leaderTail = new Map<number, { term: number; index: number; entryTerm: number }>();
  /** The first time a term had two leaders, found as the second was elected. */
  #twoLeaders: string | undefined;
  /** The highest committed entry seen on any server. */
  #committed = { index: 0, term: 0, server: -1 };
  readonly #applied = new AppliedLedger();
  /** The first index two servers applied different entries at. */
  #appliedConflict: string | undefined;

  constructor(sources: InvariantSources) {
    this.#sources = sources;
  }

  /** Records that `server` became leader of `term` (call on every role change to leader). */
  leaderElected(server: number, term: number): void {
    const leaders = this.#leadersByTerm.get(term) ?? [];
    assert(leaders.length < leadersPerTermMax, `more than ${leadersPerTermMax} leaders in term ${term}`);
    if (this.#twoLeaders === undefined && leaders.some((leader) => leader !== server)) {
      const names = [...new Set([...leaders, server])].map(this.#sources.name);
      this.#twoLeaders = `two leaders in term ${term}: ${names.join(", ")}`;
    }
    leaders.push(server);
    this.#leadersByTerm.set(term, leaders);
  }

  /** Records that `server` applied `entry` (call for every entry applied, in order). */
  applied(server: number, entry: Entry): void {
    const conflict = this.#applied.apply(server, entry);
    if (conflict === undefined || this.#appliedConflict !== undefined) return;
    const { index, first, later } = conflict;
    this.#appliedConflict = `entry ${index} applied as term ${first.term} on ${this.#sources.name(first.server)} ` +
      `and as term ${later.term} on ${this.#sources.name(later.server)}`;
  }

  /** Leaders by term, as recorded. */
  get leadersByTerm(): ReadonlyMap<number, readonly number[]> {
    return this.#leadersByTerm;
  }

  /** The five properties, for the harness. */
  list(): NamedInvariant[] {
    const checks: Record<typeof raftInvariantNames[number], (final: boolean) => string | undefined> = {
      "election-safety": () => this.electionSafety(),
      "leader-append-only": () => this.leaderAppendOnly(),
      "log-matching": (final) => this.logMatching(final),
      "leader-completeness": () => this.leaderCompleteness(),
      "state-machine-safety": (final) => this.stateMachineSafety(final),
    };
    return raftInvariantNames.map((name) => ({ name, check: checks[name] }));
  }

  /** Judged as each leader is elected (see {@linkcode leaderElected}), so a checkpoint costs nothing. */
  electionSafety(): string | undefined {
    return this.#twoLeaders;
  }

  leaderAppendOnly(): string | undefined {
    for (const server of this.#sources.servers()) {
      if (server.role !== "leader") continue;
      const tail = this.#leaderTail.get(server.id);
      const log = server.log;
      if (tail !== undefined && tail.term === server.term && tail.index > log.snapshotIndex) {
        const entryTerm = log.termAt(tail.index);
        if (entryTerm !== tail.entryTerm) {
          return `leader ${this.#sources.name(server.id)} of term ${server.term} lost or overwrote entry ` +
            `${tail.index} (term ${tail.entryTerm}, now ${entryTerm ?? "absent"})`;
        }
      }
      this.#leaderTail.set(server.id, { term: server.term, index: log.lastIndex, entryTerm: log.lastTerm });
    }
    return undefined;
  }

  logMatching(final = true): string | undefined {
    const servers = this.#sources.servers();
    const window = final ? Infinity : checkpointWindowEntries;
    for (let a = 0; a < servers.length; a++) {
      for (let b = a + 1; b < servers.length; b++) {
        const broken = this.#logsMatch(servers[a], servers[b], window);
        if (broken !== undefined) return broken;
      }
    }
    return undefined;
  }

  leaderCompleteness(): string | undefined {
    const servers = this.#sources.servers();
    for (const server of servers) {
      const index = server.commit;
      const term = server.log.termAt(index);
      if (index > this.#committed.index && term !== undefined) this.#committed = { index, term, server: server.id };
    }
    const { index, term, server: holder } = this.#committed;
    for (const server of servers) {
      if (server.role !== "leader" || server.term <= term || index <= server.log.snapshotIndex) continue;
      const held = server.log.termAt(index);
      if (held !== term) {
        return `leader ${this.#sources.name(server.id)} of term ${server.term} lacks entry ${index} of term ${term}, ` +
          `committed on ${this.#sources.name(holder)} (it holds ${held === undefined ? "nothing" : `term ${held}`})`;
      }
    }
    return undefined;
  }

  stateMachineSafety(final = true): string | undefined {
    if (this.#appliedConflict !== undefined) return this.#appliedConflict;
    const servers = this.#sources.servers();
    for (let a = 0; a < servers.length; a++) {
      for (let b = a + 1; b < servers.length; b++) {
        const [x, y] = [servers[a], servers[b]];
        const upTo = Math.min(x.commit, y.commit, x.log.lastIndex, y.log.lastIndex);
        const oldest = Math.max(x.log.snapshotIndex, y.log.snapshotIndex) + 1;
        const from = final ? oldest : Math.max(oldest, upTo - checkpointWindowEntries + 1);
        for (let index = upTo; index >= from; index--) {
          if (x.log.termAt(index) !== y.log.termAt(index) || !sameCommand(x.log, y.log, index)) {
            return `committed entry ${index} differs: ${this.#sources.name(x.id)} has term ${x.log.termAt(index)}, ` +
              `${this.#sources.name(y.id)} term ${y.log.termAt(index)}`;
          }
        }
      }
    }
    return undefined;
  }

  /**
   * Log Matching for two servers: below the highest index where both hold an entry of the same
   * term, every entry both hold must agree.
   */
  #logsMatch(x: ObservedServer, y: ObservedServer, window: number): string | undefined {
    let index = Math.min(x.log.lastIndex, y.log.lastIndex);
    const from = Math.max(x.log.snapshotIndex + 1, y.log.snapshotIndex + 1, index - window + 1);
    while (index >= from && x.log.termAt(index) !== y.log.termAt(index)) index--;
    for (; index >= from; index--) {
      if (x.log.termAt(index) !== y.log.termAt(index) || !sameCommand(x.log, y.log, index)) {
        return `logs of ${this.#sources.name(x.id)} and ${this.#sources.name(y.id)} agree on a later entry but ` +
          `differ at ${index}`;
      }
    }
    return undefined;
  }
}

function sameCommand(x: ReadonlyRaftLog, y: ReadonlyRaftLog, index: number): boolean {
  const a = x.entry(index).command;
  const b = y.entry(index).command;
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind === "op" && b.kind === "op") return a.clientId === b.clientId && a.seq === b.seq;
  return true;
}
