/**
 * The key-value store as the harness runs it: `servers` nodes on one consistent-hash ring, clients
 * that are sessions of the chosen mode, replicas of a key as its fault targets, convergence of the
 * home replicas after the heal, and what the nodes' disks hold at the end.
 *
 * @example
 * ```ts
 * import { kvSystem } from "./system.ts";
 * Object.keys(kvSystem.bugs).length; // 5 planted bugs
 * ```
 * @module
 */
import { exponentialMessageServiceTime, type Invariant, type SystemDefinition } from "../../../harness/mod.ts";
import {
  compareWriters,
  type Dot,
  HashRing,
  kvBugDocs,
  kvBugsFor,
  kvClient,
  type KvMessage,
  type KvMode,
  kvNode,
  type KvNodeState,
  type KvSettings,
  newest,
  sameSiblings,
  type Sibling,
  sync,
  type Timestamp,
  type WriteCopy,
} from "../mod.ts";
import type { ClusterHandle } from "../../../harness/mod.ts";

/** How to build the store. */
export interface KvOptions {
  servers: number;
  settings: KvSettings;
  mode: KvMode;
  /** Ring tokens per node. */
  virtualNodes: number;
  /** Mean node CPU time per message (exponential). */
  serviceTimeUsMean: number;
  clientTimeoutUs: number;
  attemptsMax: number;
  bug: "none" | keyof typeof kvBugDocs;
  /** What the clients' puts do: replace the value (default) or add an element to the key's set. */
  puts?: "assign" | "add";
}

/** Acknowledged writes the invariant remembers; past this a run judges its first ones only. */
export const acknowledgedKeptMax = 1_000_000;

/** The running store. */
export interface KvCluster extends ClusterHandle {
  ring: () => HashRing;
  /** Node id to its current incarnation's state (white-box). */
  states: ReadonlyMap<number, KvNodeState>;
  /**
   * The acknowledged writes the invariant remembers, and those of them lost: no node's disk holds
   * the write, nor a write newer in last-writer-wins order that replaced it (versions or hints).
   */
  acknowledgedWrites: () => { acknowledged: number; lost: number };
  /** What the nodes' disks hold now, against the data they hold for the users. */
  storage: () => KvStorage;
}

/** What the store's disks hold, summed over the servers. */
export interface KvStorage {
  /** Bytes of every file on every server (logs of versions and hints, whatever they have grown to). */
  diskBytes: number;
  /** Bytes of the users' data: each key held anywhere, with its newest value, once. */
  userBytes: number;
  /** Keys held anywhere with a value (a deleted key's tombstone is not one). */
  keys: number;
  /** Durable copies of those keys across the servers' versions. */
  copies: number;
}

/** The store on the harness. */
export const kvSystem: SystemDefinition<KvMessage, KvOptions, KvCluster> = {
  name: "kv",
  bugs: kvBugDocs,
  build(sim, options) {
    const bugs = kvBugsFor(options.bug);
    const serviceTimeUs = exponentialMessageServiceTime(options.serviceTimeUsMean);
    const states = new Map<number, KvNodeState>();
    const acknowledged: Acknowledged[] = [];
    const heldByKey = new Map<string, KeyHeld>();
    const collected: Collected = new Map();
    const observer = {
      acknowledged(write: Omit<Acknowledged, "atUs" | "held">) {
        if (acknowledged.length >= acknowledgedKeptMax) return;
        let held = heldByKey.get(write.key);
        if (held === undefined) {
          heldByKey.set(write.key, held = { key: write.key, refs: [], newest: [], last: 0, regressed: true });
        }
        held.last = acknowledged.length;
        acknowledged.push({ ...write, atUs: sim.nowUs, held });
      },
      collected({ node, key, siblings }: { node: number; key: string; siblings: readonly Sibling[] }) {
        if (!collected.has(node)) collected.set(node, new Map());
        // A replica back from a long outage can hand over an older tombstone after a newer one was
        // collected; its collection must not hide that the newer one was kept until gc_grace.
        const before = collected.get(node)!.get(key);
        const [was, is] = [newest(before ?? []), newest(siblings)];
        if (was === undefined || is === undefined || compareWriters(is, was) > 0) {
          collected.get(node)!.set(key, siblings);
        }
      },
    };
    const servers: number[] = [];
    // Nodes start after every id is known, so the ring is built once, on first use.
    let ring: HashRing | undefined;
    const ringOf = () => (ring ??= new HashRing({ nodes: servers, virtualNodes: options.virtualNodes }));
    for (let i = 0; i < options.servers; i++) {
      servers.push(sim.addNode<KvMessage>({
        name: `kv${i}`,
        serviceTimeUs,
        create: (api) => {
          const node = kvNode(api, { ring: ringOf(), settings: options.settings, bugs, observer });
          states.set(api.id, node);
          return node;
        },
      }));
    }
    const upStates = () => servers.filter((s) => sim.isUp(s)).map((s) => states.get(s)).filter((s) => s !== undefined);
    const keys = () => {
      const all = new Set<string>();
      for (const state of upStates()) for (const key of state.versions.keys()) all.add(key);
      return all;
    };
    // The ring never changes: convergence, polled every few milliseconds, looks each key's homes up once.
    const homesByKey = new Map<string, readonly number[]>();
    const homesOf = (key: string) => {
      let homes = homesByKey.get(key);
      if (homes === undefined) homesByKey.set(key, homes = ringOf().preferenceList(key, options.settings.n));
      return homes;
    };
    return {
      servers,
      ring: ringOf,
      states,
      nodesForKey: (key) => [...ringOf().preferenceList(key, options.settings.n)],
      roles: { replicas: () => servers.filter((s) => sim.isUp(s)) },
      invariants: [acknowledgedCopies(acknowledged, heldByKey, states, collected, {
        nowUs: () => sim.nowUs,
        diskReplacedUs: (node) => sim.nodeStats(node).diskReplacedUs,
        writeWindowUs: options.settings.requestTimeoutUs,
      })],
      acknowledgedWrites: () => ({
        acknowledged: acknowledged.length,
        lost: acknowledged.filter((write) => !heldAnywhere(states, collected, write)).length,
      }),
      storage: () => storageOf(states, servers.map((s) => sim.files(s).totalBytes())),
      // Converged: every key's home replicas that are up hold the same versions, and no hint waits.
      converged: () => {
        for (const key of keys()) {
          let first: readonly Sibling[] | undefined;
          for (const node of homesOf(key)) {
            if (!sim.isUp(node)) continue;
            const held = states.get(node)?.versions.get(key) ?? none;
            first ??= held;
            if (!sameSiblings(held, first)) return false;
          }
        }
        return upStates().every((s) => s.hints.size === 0);
      },
      durableValues: () => {
        const merged = new Map<string, Sibling[]>();
        for (const state of states.values()) {
          for (const [key, siblings] of state.durable) merged.set(key, sync(merged.get(key) ?? [], siblings));
        }
        return new Map([...merged].map(([key, siblings]) => [key, newest(siblings)?.value ?? ""]));
      },
      figures: () => ({
        hintsPendingFinal: upStates().reduce((n, s) => n + [...s.hints.values()].reduce((m, k) => m + k.size, 0), 0),
        nodesStoppedFinal: upStates().filter((s) => s.stopped() !== undefined).length,
        ...storageFigures(upStates()),
        keysCollected: [...collected.values()].reduce((n, keys) => n + keys.size, 0),
      }),
    };
  },
  client: (context, cluster, options) =>
    kvClient(context, {
      ring: cluster.ring(),
      settings: options.settings,
      mode: options.mode,
      timeoutUs: options.clientTimeoutUs,
      attemptsMax: options.attemptsMax,
      puts: options.puts,
    }),
};

/** An acknowledged write, as the observer saw it. */
interface Acknowledged {
  key: string;
  dot: Dot;
  timestamp: Timestamp;
  copies: WriteCopy[];
  atUs: number;
  /** Where the invariant last found its key's copies (shared by the key's writes). */
  held: KeyHeld;
}

/**
 * Every place the invariant looks for a key's copies, as it was at a judging: each node and its
 * state, the node's durable versions and durable hints of the key, and what its compaction
 * collected. A place keeps a write when its newest sibling is the write or newer (last-writer-wins
 * order), so while no place's newest sibling goes back, every write judged kept is still kept.
 * Sibling sets are replaced, never changed in place (messages share them between nodes), so an
 * unchanged reference has an unchanged newest sibling.
 */
interface KeyHeld {
  key: string;
  /** The nodes, states and hint targets met, in order, and the sibling sets found at each place. */
  refs: unknown[];
  /** For each sibling set of `refs`, its newest sibling (undefined: none, or not a sibling set). */
  newest: (Sibling | undefined)[];
  /** The index of the key's last acknowledged write. */
  last: number;
  /** Whether, since the judging before, a place's newest sibling went back or the places changed. */
  regressed: boolean;
}

/** The tombstones (and expired values) each node's compaction collected, by node, then key: the newest. */
type Collected = Map<number, Map<string, readonly Sibling[]>>;

/** Whether `siblings` hold `write`, or a write newer in last-writer-wins order that replaced it. */
function keeps(siblings: readonly Sibling[] | undefined, write: Acknowledged): boolean {
  return siblings !== undefined && siblings.some((s) => compareWriters(s, write) >= 0);
}

/**
 * Whether any node's disk keeps `write` (or a newer write), in its versions or its hints, or its
 * compaction collected a tombstone that replaced it.
 */
function heldAnywhere(states: ReadonlyMap<number, KvNodeState>, collected: Collected, write: Acknowledged): boolean {
  for (const gone of collected.values()) if (keeps(gone.get(write.key), write)) return true;
  for (const state of states.values()) {
    if (keeps(state.durable.get(write.key), write)) return true;
    for (const keys of state.durableHints.values()) if (keeps(keys.get(write.key), write)) return true;
  }
  return false;
}

const utf8 = new TextEncoder();
/** An absent sibling set, as the invariant's places record it. */
const none: readonly Sibling[] = [];

/** The users' data the durable versions hold, against `diskBytes` (one total per server). */
function storageOf(states: ReadonlyMap<number, KvNodeState>, diskBytes: readonly number[]): KvStorage {
  const merged = new Map<string, Sibling[]>();
  let copies = 0;
  for (const state of states.values()) {
    for (const [key, siblings] of state.durable) {
      merged.set(key, sync(merged.get(key) ?? [], siblings));
      if (typeof newest(siblings)?.value === "string") copies++;
    }
  }
  let userBytes = 0;
  let keys = 0;
  for (const [key, siblings] of merged) {
    const value = newest(siblings)?.value;
    if (typeof value !== "string") continue;
    keys++;
    userBytes += utf8.encode(key).length + utf8.encode(value).length;
  }
  return { diskBytes: diskBytes.reduce((sum, bytes) => sum + bytes, 0), userBytes, keys, copies };
}

/** During the run, writes acknowledged this long ago or less are judged (the end judges all). */
export const acknowledgedWindowUs = 2_000_000;
/** During the run, the judging happens at most this often (the checkpoints come every 10 ms). */
const acknowledgedEveryUs = 50_000;

/**
 * Every acknowledged write keeps the copies it was acknowledged on: each node that counted toward
 * W holds it durably, or a write newer in last-writer-wins order that replaced it. A stand-in's copy may have moved: to its
 * durable hints, then to the home replica's disk once handed off. Judged against what the disks
 * hold (a power loss would keep that), whether the node is up or down: during the run for the
 * writes of the last {@linkcode acknowledgedWindowUs}, and at the end for every write. A tombstone
 * the node's compaction collected (past gc_grace) counts as kept: forgetting it is the design.
 */
function acknowledgedCopies(
  acknowledged: readonly Acknowledged[],
  keysHeld: ReadonlyMap<string, KeyHeld>,
  states: ReadonlyMap<number, KvNodeState>,
  collected: Collected,
  clocks: {
    nowUs: () => number;
    /** When the node's disk was last replaced by an empty one; undefined: never. */
    diskReplacedUs: (node: number) => number | undefined;
    /** How long before its acknowledgement a write's copies may have been made (the coordinator's deadline). */
    writeWindowUs: number;
  },
): Invariant {
  const { nowUs, writeWindowUs } = clocks;
  const holds = (node: number, write: Acknowledged) =>
    keeps(states.get(node)?.durable.get(write.key), write) || keeps(collected.get(node)?.get(write.key), write);
  const hinted = (node: number, home: number, write: Acknowledged) =>
    keeps(states.get(node)?.durableHints.get(home)?.get(write.key), write);
  // A copy on a disk replaced since it was made went with the disk: the store cannot keep it, so
  // its loss is measured (`acknowledgedWrites`), not judged; power losses keep the disk. A copy is
  // made after its write began, at most the coordinator's deadline before the acknowledgement
  // (which may come after the disk's loss, the replica's answer being in flight); a disk replaced
  // earlier than that is the one the copy was written to, and must keep it.
  const lostWithDisk = (node: number, write: Acknowledged) =>
    (clocks.diskReplacedUs(node) ?? -Infinity) >= write.atUs - writeWindowUs;
  let first = 0;
  let lastCheckedUs = -Infinity;
  /** Writes before this index were judged kept at an earlier judging. */
  let judgedEnd = 0;
  const scratch: unknown[] = [];
  /**
   * Whether a write of `key` judged kept at its last judging may not be kept now; records the
   * places as they are now.
   */
  const regressed = (key: string, held: KeyHeld): boolean => {
    let n = 0;
    for (const [node, state] of states) {
      scratch[n++] = node;
      scratch[n++] = state;
      scratch[n++] = state.durable.get(key) ?? none;
      for (const [home, keys] of state.durableHints) {
        scratch[n++] = home;
        scratch[n++] = keys.get(key) ?? none;
      }
    }
    for (const [node, keys] of collected) {
      scratch[n++] = node;
      scratch[n++] = keys.get(key) ?? none;
    }
    const { refs, newest: newestOf } = held;
    let back = refs.length !== n;
    for (let i = 0; i < n; i++) {
      const now = scratch[i];
      if (i < refs.length && refs[i] === now) continue;
      if (!Array.isArray(now)) {
        // A node, its state or a hint target differs: the places are not the same ones.
        back = true;
        newestOf[i] = undefined;
      } else {
        const latest = newest(now);
        const before = i < refs.length ? newestOf[i] : undefined;
        if (before !== undefined && (latest === undefined || compareWriters(latest, before) < 0)) back = true;
        newestOf[i] = latest;
      }
      refs[i] = now;
    }
    refs.length = n;
    newestOf.length = n;
    scratch.length = 0;
    return back;
  };
  const judge = (write: Acknowledged) => {
    for (const { node, home } of write.copies) {
      const { key, dot } = write;
      if (holds(node, write) || (node !== home && (hinted(node, home, write) || holds(home, write)))) continue;
      if (lostWithDisk(node, write) || (node !== home && lostWithDisk(home, write))) continue;
      const as = node === home ? "" : ` standing in for node ${home}`;
      return `write ${dot.node}.${dot.counter} to ${key}, acknowledged at ${write.atUs} us on node ${node}${as}: ` +
        `its disk holds neither it nor anything newer`;
    }
    return undefined;
  };
  return {
    name: "acknowledged-copies",
    check(final) {
      const now = nowUs();
      if (final) {
        for (let i = 0; i < acknowledged.length; i++) {
          const problem = judge(acknowledged[i]);
          if (problem !== undefined) return problem;
        }
        return undefined;
      }
      if (now - lastCheckedUs < acknowledgedEveryUs) return undefined;
      lastCheckedUs = now;
      while (first < acknowledged.length && acknowledged[first].atUs < now - acknowledgedWindowUs) first++;
      // A write judged kept stays kept while no place of its key goes back (and a disk replaced
      // later only excuses more): only new writes and the writes of keys that went back are
      // judged again, in the order of their acknowledgements, as a full pass would.
      let anyRegressed = false;
      for (const held of keysHeld.values()) {
        if (held.last < first) continue; // no write of the key left to judge during the run
        held.regressed = regressed(held.key, held);
        anyRegressed ||= held.regressed;
      }
      for (let i = anyRegressed ? first : Math.max(first, judgedEnd); i < acknowledged.length; i++) {
        const write = acknowledged[i];
        if (i < judgedEnd && !write.held.regressed) continue;
        const problem = judge(write);
        if (problem !== undefined) {
          judgedEnd = 0; // judge everything again, should it be asked again
          return problem;
        }
      }
      judgedEnd = acknowledged.length;
      return undefined;
    },
  };
}

/**
 * The nodes' storage, summed: write amplification (bytes written to disk per byte of records the
 * store was asked to keep, logs and runs together), compactions and their time, bytes reclaimed,
 * the tombstones still held, records collected and the live keys (held with a value that has not
 * expired) at the end. The counters are an incarnation's own: a restart starts them again.
 */
export function storageFigures(states: readonly KvNodeState[]): Record<string, number | null> {
  const sum = (f: (s: KvNodeState) => number) => states.reduce((n, s) => n + f(s), 0);
  const storage = states.map((s) => ({ state: s, figures: s.storage() }));
  const of = (name: keyof ReturnType<KvNodeState["storage"]>) => storage.reduce((n, s) => n + s.figures[name], 0);
  const logical = of("bytesWrittenLogical");
  return {
    writeAmplification: logical === 0 ? null : of("bytesWrittenDevice") / logical,
    compactions: of("compactions"),
    compactionUsTotal: of("compactionUsTotal"),
    bytesReclaimed: of("bytesReclaimed"),
    tombstonesFinal: of("tombstones"),
    recordsCollected: of("recordsCollected"),
    runsFinal: of("runs"),
    liveKeysFinal: sum((s) => [...s.versions.values()].filter((siblings) => liveValue(siblings)).length),
  };
}

/** Whether a key's versions hold a value that is neither deleted nor expired (by the end's reckoning). */
function liveValue(siblings: readonly Sibling[]): boolean {
  return siblings.some((s) => s.value !== null && s.expiresAtUs === undefined);
}
