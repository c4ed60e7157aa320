/**
 * A node of the leaderless store, in the manner of Dynamo: every node is a replica of the keys
 * the ring gives it and coordinates the requests for them.
 *
 * - **Writes.** The coordinator, a home replica of the key, issues the write's dot, merges it into
 *   its versions, makes them durable, and sends its whole sibling set to the other home replicas;
 *   it answers once W nodes hold the write durably. A home replica silent past `replicaTimeoutUs`
 *   is stood in for by the next node of the ring's walk (sloppy quorum), which keeps the versions
 *   as a hint and hands them over once the home replica answers again.
 * - **Reads.** The coordinator asks every home replica and answers from the first R, merged; read
 *   repair sends the merged versions to the replicas that answered with less, before answering
 *   (blocking, so a later read quorum sees what this one returned) or after.
 * - **Anti-entropy.** Every `antiEntropyEveryUs` a node compares a hash tree of the keys it shares
 *   with the next peer (`merkle.ts`, kept up to date on every change) with the peer's: the two
 *   descend only into subtrees whose hashes differ and exchange the keys of the leaves that differ,
 *   so replicas converge even for keys nobody reads.
 * - **Durability.** Versions go to a log-structured store (`lsm_store.ts`: a write-ahead log with
 *   group commit, a memtable, sorted runs, size-tiered compaction), hints to an append-only log
 *   (`log_store.ts`); nothing is acknowledged before its fsync. A failed write or fsync stops the
 *   node (fail-stop): it answers every request with `stopped` until it restarts and recovers.
 * - **Deletes and expiry.** A delete is a write of a tombstone (value null); a put may carry a TTL,
 *   after which its value reads as absent. Compaction collects a tombstone or an expired value
 *   once `gcGraceUs` has passed since the delete (or the expiry) by this node's clock, and the key
 *   is then gone from the node: a replica that never saw the delete and rejoins after that brings
 *   the value back, so every replica must see a delete within gc_grace (Cassandra's rule).
 *
 * Conflicts are resolved as `settings.siblings` says (`siblings.ts`): last-writer-wins by hybrid
 * logical clock (a client's write carries the latest timestamp it has seen, so a write always
 * follows what its writer read or wrote before), or kept and returned to the client, or merged.
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { DiskCompletion, NodeApi, NodeLogic } from "../../sim/mod.ts";
import type { KvBugs } from "./bugs.ts";
import { Hlc, type Timestamp, timestampZero } from "./hlc.ts";
import { LogStore } from "./log_store.ts";
import { isTombstone, type LsmFigures, LsmStore } from "./lsm_store.ts";
import { childrenOf, merkleLeafLevel, MerkleTree } from "./merkle.ts";
import { hashFinish, hashNumber, type HashRing, hashStart, hashText } from "./ring.ts";
import type { KvMessage, KvPeerMessage, KvReply, KvRequest, KvSettings } from "./types.ts";
import { mergedWriteValue, readValue, resolverFor } from "./siblings.ts";
import { contextOf, type Dot, newest, sameSiblings, type Sibling, sync, write } from "./versions.ts";

/** Requests one node coordinates at once; more are answered `unavailable`. */
export const coordinatedMax = 10_000;
/** Dot counters one incarnation of a node may issue. */
export const countersPerIncarnation = 1_000_000_000;

/** The file of a node's hints (its versions are in the `lsm_store.ts` files). */
export const hintsFile = "hints.log";

/** A copy of an acknowledged write: on `node`, for home replica `home` (itself, unless a stand-in). */
export interface WriteCopy {
  node: number;
  home: number;
}

/** Sees what a node does, for checkers; it changes nothing the node does. */
export interface KvObserver {
  /** A write was acknowledged to its client: the copies that counted toward W. */
  acknowledged(write: { key: string; dot: Dot; timestamp: Timestamp; copies: WriteCopy[] }): void;
  /** Node `node`'s compaction collected the tombstone (or expired value) `siblings` of `key`. */
  collected?(event: { node: number; key: string; siblings: readonly Sibling[] }): void;
}

/** Options of a {@linkcode kvNode}. */
export interface KvNodeOptions {
  ring: HashRing;
  settings: KvSettings;
  bugs: KvBugs;
  observer?: KvObserver;
}

/** What a node holds, read white-box by invariants and figures. */
export interface KvNodeState {
  readonly id: number;
  /** The versions of each key it replicates, as in memory. */
  readonly versions: ReadonlyMap<string, readonly Sibling[]>;
  /** The versions of each key as its disk holds them (what a power loss keeps). */
  readonly durable: ReadonlyMap<string, readonly Sibling[]>;
  /** Hints it keeps for down replicas: target node, then key. */
  readonly hints: ReadonlyMap<number, ReadonlyMap<string, readonly Sibling[]>>;
  /** The hints as its disk holds them. */
  readonly durableHints: ReadonlyMap<number, ReadonlyMap<string, readonly Sibling[]>>;
  /** Why it stopped (a failed disk operation), or undefined. */
  readonly stopped: () => string | undefined;
  /** Its storage's counters (flushes, compactions, tombstones, bytes written and reclaimed). */
  readonly storage: () => LsmFigures;
}

type HintRecord = { target: number; key: string; siblings: Sibling[] | null };

interface WriteOp {
  kind: "put";
  request: Extract<KvRequest, { type: "put" }>;
  client: number;
  siblings: Sibling[];
  /** The dot the coordinator issued for the write. */
  dot: Dot;
  homes: readonly number[];
  /** Home replicas that hold the write durably, and the node holding each copy. */
  acks: Map<number, number>;
  asked: Set<number>;
  answered: boolean;
}

interface ReadOp {
  kind: "get";
  request: Extract<KvRequest, { type: "get" }>;
  client: number;
  homes: readonly number[];
  replies: Map<number, Sibling[]>;
  merged: Sibling[] | undefined;
  repairsWaiting: Set<number>;
  answered: boolean;
}

type Op = WriteOp | ReadOp;

/** What an outstanding peer request was for. */
type Outstanding =
  | { op: Op; node: number; holder: number }
  | { handoff: number; key: string; siblings: Sibling[] };

type TimerTag = { deadline: Op } | { standIns: WriteOp } | "handoff" | "antiEntropy" | "compaction";

/** The node's logic, with its state for white-box reading. */
export function kvNode(api: NodeApi<KvMessage>, options: KvNodeOptions): NodeLogic<KvMessage> & KvNodeState {
  const { ring, settings, bugs } = options;
  const id = api.id;
  const versions = new Map<string, Sibling[]>();
  const durable = new Map<string, Sibling[]>();
  /** The store's sequence number of each durable entry. */
  const durableSeq = new Map<string, number>();
  const hints = new Map<number, Map<string, Sibling[]>>();
  const durableHints = new Map<number, Map<string, Sibling[]>>();
  const hlc = new Hlc();
  const outstanding = new Map<number, Outstanding>();
  let coordinated = 0;
  // A replica's answer names the request by id alone, and it can arrive after this node restarted:
  // ids start above every earlier incarnation's, so a late answer to an old request never counts
  // toward a new one (it once counted a replica that had not yet made the new write durable).
  let nextRid = api.incarnation * countersPerIncarnation + 1;
  let store: LsmStore;
  let hintLog: LogStore<HintRecord> | undefined;
  let peerTurn = 0;

  const stopped = () => store?.failed ?? hintLog?.failed;
  const resolve = resolverFor(settings.siblings);
  /** The last dot counter issued; each incarnation starts above every earlier one's. */
  let lastCounter = api.incarnation * countersPerIncarnation;

  /** Makes `siblings` the key's versions; `onDurable` once they are on disk. */
  const setVersions = (key: string, siblings: Sibling[], onDurable: () => void) => {
    versions.set(key, siblings);
    updateTrees(key, siblings);
    const latest = newest(siblings);
    if (latest !== undefined) hlc.receive(latest.timestamp);
    const seq = store.put(key, siblings, () => {
      // A newer record may be durable first (in the next log while this one is flushed), and
      // compaction may have collected the key already (a flush takes records before their fsync).
      if (versions.has(key) && seq > (durableSeq.get(key) ?? 0)) {
        durable.set(key, siblings);
        durableSeq.set(key, seq);
      }
      onDurable();
    });
  };

  /**
   * Whether compaction may collect a key's versions now: a tombstone, or values that have all
   * expired, whose delete (or expiry) is gc_grace old by this node's clock.
   */
  const collectable = (siblings: readonly Sibling[]): boolean => {
    const goneSinceUs = goneSince(siblings, api.now());
    if (goneSinceUs === undefined) return false;
    return bugs.tombstonesBeforeSeen || api.now() - goneSinceUs >= settings.gcGraceUs;
  };

  const onCollected = (key: string, siblings: readonly Sibling[]) => {
    // The store collects only a key's newest record, which is what memory holds.
    if (!sameSiblings(versions.get(key) ?? [], siblings)) assert(false, `node ${id}: collected a stale ${key}`);
    versions.delete(key);
    updateTrees(key, undefined);
    durable.delete(key);
    durableSeq.delete(key);
    api.record("kv_keys_collected", 1);
    options.observer?.collected?.({ node: id, key, siblings });
  };

  const reply = (client: number, message: KvReply) => api.send(client, message);
  const ask = (node: number, message: KvPeerMessage, sizeBytes?: number) => api.send(node, message, sizeBytes);
  const track = (entry: Outstanding) => {
    const rid = nextRid++;
    outstanding.set(rid, entry);
    return rid;
  };

  const timestampFor = (): Timestamp => bugs.lwwWallClock ? { wallUs: api.now(), logical: 0 } : hlc.now(api.now());

  // ------------------------------------------------------------------ writes

  const onPut = (client: number, request: Extract<KvRequest, { type: "put" }>) => {
    const homes = ring.preferenceList(request.key, settings.n);
    hlc.receive(request.seen);
    const current = versions.get(request.key) ?? [];
    const written = write(current, {
      node: id,
      context: request.context,
      value: settings.siblings === "merge" ? mergedWriteValue(current, request) : request.value,
      timestamp: timestampFor(),
      counterFloor: lastCounter,
      expiresAtUs: request.ttlUs === undefined ? undefined : api.now() + request.ttlUs,
    });
    // The write left a sibling beside the new one: its client had not seen a concurrent write.
    if (written.length > 1) api.record("kv_write_conflicts", 1);
    api.record("kv_writes_coordinated", 1);
    const dot = written[written.length - 1].dot;
    const siblings = resolve(written);
    // The new dot is in the versions, or (beaten by a newer write) in the winner's context.
    const issued = contextOf(siblings)[id] ?? 0;
    if (!(issued > lastCounter)) assert(false, `node ${id}: dot ${issued} issued after ${lastCounter}`);
    lastCounter = issued;
    const op: WriteOp = {
      kind: "put",
      request,
      client,
      siblings,
      dot,
      homes,
      acks: new Map(),
      asked: new Set([id]),
      answered: false,
    };
    begin(op);
    setVersions(request.key, siblings, () => acknowledge(op, id, id));
    for (const node of homes) if (node !== id) replicateTo(op, node, -1);
    api.setTimer(settings.replicaTimeoutUs, { standIns: op } satisfies TimerTag);
  };

  const replicateTo = (op: WriteOp, node: number, hintFor: number) => {
    op.asked.add(node);
    const rid = track({ op, node: hintFor >= 0 ? hintFor : node, holder: node });
    ask(node, { type: "replicate", rid, key: op.request.key, siblings: op.siblings, hintFor, repair: false });
  };

  /** Home replicas still silent get a stand-in each: the next nodes of the key's walk. */
  const askStandIns = (op: WriteOp) => {
    if (!settings.sloppyQuorum || op.answered) return;
    const missing = op.homes.filter((node) => !op.acks.has(node));
    const standIns = ring.walk(op.request.key, ring.nodes.length).slice(settings.n).filter((n) => !op.asked.has(n));
    for (let i = 0; i < missing.length && i < standIns.length; i++) replicateTo(op, standIns[i], missing[i]);
  };

  /** `holder` holds the write durably for home replica `home` (itself, unless a stand-in). */
  const acknowledge = (op: WriteOp, home: number, holder: number) => {
    op.acks.set(home, holder);
    const counted = op.acks.size + (bugs.coordinatorCountsSelfTwice && home === id ? 1 : 0);
    if (op.answered || counted < op.request.w) return;
    op.answered = true;
    const written = op.siblings.find((s) => s.dot.node === op.dot.node && s.dot.counter === op.dot.counter);
    if (written !== undefined) {
      const copies = [...op.acks].map(([home, node]) => ({ node, home }));
      options.observer?.acknowledged({ key: op.request.key, dot: written.dot, timestamp: written.timestamp, copies });
    }
    // Where siblings are kept, the reply returns them all, as a read would: the context covers
    // every one (a dot's counter covers the node's earlier dots too), so the client must learn
    // their values, or its next write would replace values it never saw.
    reply(op.client, {
      type: "reply",
      id: op.request.id,
      ok: true,
      value: settings.siblings === "lww" ? op.request.value : readValue(op.siblings, settings.siblings, api.now()),
      context: contextOf(op.siblings),
      timestamp: written?.timestamp ?? newest(op.siblings)!.timestamp,
    });
  };

  // ------------------------------------------------------------------ reads

  const onGet = (client: number, request: Extract<KvRequest, { type: "get" }>) => {
    const homes = ring.preferenceList(request.key, settings.n);
    const op: ReadOp = {
      kind: "get",
      request,
      client,
      homes,
      replies: new Map([[id, versions.get(request.key) ?? []]]),
      merged: undefined,
      repairsWaiting: new Set(),
      answered: false,
    };
    begin(op);
    for (const node of homes) {
      if (node !== id) ask(node, { type: "fetch", rid: track({ op, node, holder: node }), key: request.key });
    }
    readProgress(op);
  };

  const readProgress = (op: ReadOp) => {
    if (op.merged === undefined) {
      if (op.replies.size < op.request.r) return;
      let merged: Sibling[] = [];
      for (const siblings of op.replies.values()) merged = sync(merged, siblings);
      op.merged = resolve(merged);
      api.record("kv_reads_coordinated", 1);
      if (merged.length > 1) {
        api.record("kv_conflicts_resolved", merged.length - 1);
        api.record("kv_read_conflicts", 1);
      }
      if (settings.readRepair !== "off") {
        for (const [node, siblings] of op.replies) if (!sameSiblings(siblings, op.merged)) repair(op, node);
      }
    }
    if (op.answered || (settings.readRepair === "blocking" && op.repairsWaiting.size > 0)) return;
    op.answered = true;
    const latest = newest(op.merged);
    reply(op.client, {
      type: "reply",
      id: op.request.id,
      ok: true,
      value: readValue(op.merged, settings.siblings, api.now()),
      context: contextOf(op.merged),
      timestamp: latest?.timestamp ?? timestampZero,
    });
  };

  /** Sends the read's merged versions to a replica that answered with less. */
  const repair = (op: ReadOp, node: number) => {
    api.record("kv_read_repairs", 1);
    op.repairsWaiting.add(node);
    const siblings = op.merged!;
    if (node === id) {
      const merged = resolve(sync(versions.get(op.request.key) ?? [], siblings));
      return setVersions(op.request.key, merged, () => repaired(op, id));
    }
    ask(node, {
      type: "replicate",
      rid: track({ op, node, holder: node }),
      key: op.request.key,
      siblings,
      hintFor: -1,
      repair: true,
    });
  };

  const repaired = (op: ReadOp, node: number) => {
    op.repairsWaiting.delete(node);
    readProgress(op);
  };

  // ------------------------------------------------------------------ coordination bookkeeping

  const begin = (op: Op) => {
    coordinated++;
    api.setTimer(settings.requestTimeoutUs, { deadline: op } satisfies TimerTag);
  };

  const onDeadline = (op: Op) => {
    coordinated--;
    if (op.answered) return;
    op.answered = true;
    reply(op.client, { type: "reply", id: op.request.id, ok: false, error: "unavailable" });
  };

  const onRequest = (client: number, request: KvRequest) => {
    const homes = ring.preferenceList(request.key, settings.n);
    const refuse = (error: "notHome" | "stopped" | "busy") =>
      reply(client, { type: "reply", id: request.id, ok: false, error, homes });
    if (stopped() !== undefined) return refuse("stopped");
    if (!homes.includes(id)) return refuse("notHome");
    if (coordinated >= coordinatedMax) return refuse("busy");
    if (request.type === "put") onPut(client, request);
    else onGet(client, request);
  };

  // ------------------------------------------------------------------ replica side

  const onReplicate = (from: number, m: Extract<KvPeerMessage, { type: "replicate" }>) => {
    if (stopped() !== undefined) return ask(from, { type: "replicated", rid: m.rid, ok: false });
    const done = () => ask(from, { type: "replicated", rid: m.rid, ok: true });
    if (m.hintFor >= 0 && m.hintFor !== id) return storeHint(m.hintFor, m.key, m.siblings, done);
    const merged = m.repair && bugs.readRepairOverwritesNewer
      ? m.siblings
      : resolve(sync(versions.get(m.key) ?? [], m.siblings));
    setVersions(m.key, merged, done);
  };

  const storeHint = (target: number, key: string, siblings: Sibling[], onDurable: () => void) => {
    const merged = resolve(sync(hints.get(target)?.get(key) ?? [], siblings));
    setHint(hints, target, key, merged);
    api.record("kv_hints_stored", 1);
    if (hintLog === undefined) return onDurable();
    hintLog.append({ target, key, siblings: merged }, () => {
      setHint(durableHints, target, key, merged);
      onDurable();
    });
  };

  const onReplicated = (rid: number, ok: boolean) => {
    const entry = outstanding.get(rid);
    outstanding.delete(rid);
    if (entry === undefined || !ok) return;
    if ("handoff" in entry) return handedOff(entry);
    if (entry.op.kind === "put") acknowledge(entry.op, entry.node, entry.holder);
    else repaired(entry.op, entry.node);
  };

  const onFetched = (from: number, rid: number, siblings: Sibling[]) => {
    const entry = outstanding.get(rid);
    outstanding.delete(rid);
    if (entry === undefined || "handoff" in entry || entry.op.kind !== "get") return;
    const op = entry.op;
    op.replies.set(from, siblings);
    // A late answer after the read was answered is still repaired (asynchronously).
    if (op.merged !== undefined) {
      if (settings.readRepair !== "off" && !sameSiblings(siblings, op.merged)) repair(op, from);
      return;
    }
    readProgress(op);
  };

  // ------------------------------------------------------------------ hinted handoff

  const handOff = () => {
    if (stopped() !== undefined) return;
    for (const [target, keys] of hints) {
      for (const [key, siblings] of keys) {
        const rid = track({ handoff: target, key, siblings });
        ask(target, { type: "replicate", rid, key, siblings, hintFor: -1, repair: false });
      }
    }
  };

  const handedOff = (entry: { handoff: number; key: string; siblings: Sibling[] }) => {
    const keys = hints.get(entry.handoff);
    const held = keys?.get(entry.key);
    // A newer hint for the key arrived meanwhile: it goes at the next round.
    if (held === undefined || !sameSiblings(held, entry.siblings)) return;
    setHint(hints, entry.handoff, entry.key, null);
    api.record("kv_hints_delivered", 1);
    hintLog?.append(
      { target: entry.handoff, key: entry.key, siblings: null },
      () => setHint(durableHints, entry.handoff, entry.key, null),
    );
  };

  // ------------------------------------------------------------------ anti-entropy

  /** A hash tree per peer over the keys both replicate, kept up to date on every change. */
  const trees = new Map<number, MerkleTree>();
  const treeWith = (peer: number) => {
    let tree = trees.get(peer);
    if (tree === undefined) trees.set(peer, tree = new MerkleTree());
    return tree;
  };
  /** Each key's home replicas other than this node, with their trees, and the key's leaf, computed once. */
  const placeOfKey = new Map<string, { trees: MerkleTree[]; leaf: number }>();

  /** Puts a key's versions (undefined: gone) into the tree of every peer replicating it. */
  const updateTrees = (key: string, siblings: readonly Sibling[] | undefined) => {
    let place = placeOfKey.get(key);
    if (place === undefined) {
      const peers = ring.preferenceList(key, settings.n).filter((node) => node !== id);
      place = { trees: peers.map(treeWith), leaf: MerkleTree.leafOf(key) };
      placeOfKey.set(key, place);
    }
    const hash = siblings === undefined ? undefined : versionsHash(key, siblings);
    for (const tree of place.trees) tree.setInLeaf(key, place.leaf, hash);
  };

  const sendAntiEntropy = (peer: number, message: KvPeerMessage, sizeBytes: number) => {
    api.record("kv_anti_entropy_bytes", sizeBytes);
    api.record("kv_anti_entropy_messages", 1);
    ask(peer, message, sizeBytes);
  };

  const sendLevel = (peer: number, level: number, nodes: number[]) => {
    const hashes = treeWith(peer).hashes(level, nodes);
    sendAntiEntropy(peer, { type: "merkle", level, nodes, hashes }, 8 + 8 * nodes.length);
  };

  const startAntiEntropy = () => {
    if (stopped() !== undefined) return;
    const peers = ring.nodes.filter((node) => node !== id);
    if (peers.length === 0) return;
    sendLevel(peers[peerTurn++ % peers.length], 0, [0]);
  };

  /** The peer's hashes of some nodes: descend into the children of those that differ, or exchange leaves. */
  const onMerkle = (from: number, m: Extract<KvPeerMessage, { type: "merkle" }>) => {
    if (stopped() !== undefined) return;
    if (!(m.level >= 0 && m.level <= merkleLeafLevel)) assert(false, `node ${id}: merkle level ${m.level}`);
    const differing = treeWith(from).differing(m.level, m.nodes, m.hashes);
    if (differing.length === 0) return;
    if (m.level < merkleLeafLevel) return sendLevel(from, m.level + 1, childrenOf(differing));
    sendExchange(from, entriesOf(from, differing), differing, true);
  };

  const entriesOf = (peer: number, leaves: number[]): [string, Sibling[]][] =>
    treeWith(peer).keysOf(leaves).map((key) => [key, versions.get(key)!] as [string, Sibling[]]);

  const sendExchange = (peer: number, entries: [string, Sibling[]][], leaves: number[], replyWanted: boolean) => {
    api.record("kv_anti_entropy_keys", entries.length);
    const sizeBytes = 16 + 4 * leaves.length + JSON.stringify(entries).length;
    sendAntiEntropy(peer, { type: "exchange", entries, leaves, reply: replyWanted }, sizeBytes);
  };

  const onExchange = (from: number, m: Extract<KvPeerMessage, { type: "exchange" }>) => {
    if (stopped() !== undefined) return;
    for (const [key, siblings] of m.entries) {
      const mine = versions.get(key) ?? [];
      const merged = resolve(sync(mine, siblings));
      if (!sameSiblings(merged, mine)) setVersions(key, merged, () => {});
    }
    if (m.reply) sendExchange(from, entriesOf(from, m.leaves), m.leaves, false);
  };

  // ------------------------------------------------------------------ life cycle

  const start = () => {
    const opened = LsmStore.open({
      disk: api.disk,
      settings,
      collectable,
      onCollected,
      nowUs: () => api.now(),
      record: (name, value) => api.record(name, value),
    });
    store = opened.store;
    if (opened.cut !== undefined) api.record("kv_log_cut", 1);
    for (const record of opened.records.values()) {
      versions.set(record.key, record.siblings);
      durable.set(record.key, record.siblings);
      durableSeq.set(record.key, record.seq);
      const latest = newest(record.siblings);
      if (latest !== undefined) hlc.receive(latest.timestamp);
    }
    if (!bugs.hintsDropOnRestart) {
      const openedHints = LogStore.open<HintRecord>(api.disk, hintsFile);
      hintLog = openedHints.log;
      for (const record of openedHints.records) {
        setHint(hints, record.target, record.key, record.siblings);
        setHint(durableHints, record.target, record.key, record.siblings);
      }
    }
    trees.clear();
    placeOfKey.clear(); // it holds the trees just dropped
    for (const [key, siblings] of versions) updateTrees(key, siblings);
    api.setTimer(settings.handoffEveryUs, "handoff" satisfies TimerTag);
    api.setTimer(settings.compactionEveryUs, "compaction" satisfies TimerTag);
    if (settings.antiEntropyEveryUs > 0) {
      api.setTimer(api.rng.next() * settings.antiEntropyEveryUs, "antiEntropy" satisfies TimerTag);
    }
  };

  return {
    id,
    versions,
    durable,
    hints,
    durableHints,
    stopped,
    storage: () => store.figures(),
    onStart: start,
    onRecover: start,
    onMessage(from, message) {
      switch (message.type) {
        case "get":
        case "put":
          return onRequest(from, message);
        case "replicate":
          return onReplicate(from, message);
        case "replicated":
          return onReplicated(message.rid, message.ok);
        case "fetch":
          if (stopped() !== undefined) return;
          return ask(from, { type: "fetched", rid: message.rid, siblings: versions.get(message.key) ?? [] });
        case "fetched":
          return onFetched(from, message.rid, message.siblings);
        case "merkle":
          return onMerkle(from, message);
        case "exchange":
          return onExchange(from, message);
        case "reply":
          return;
      }
    },
    onTimer(tag) {
      const t = tag as TimerTag;
      if (t === "handoff") {
        handOff();
        api.setTimer(settings.handoffEveryUs, "handoff" satisfies TimerTag);
      } else if (t === "antiEntropy") {
        startAntiEntropy();
        api.setTimer(settings.antiEntropyEveryUs, "antiEntropy" satisfies TimerTag);
      } else if (t === "compaction") {
        store.maintain();
        api.setTimer(settings.compactionEveryUs, "compaction" satisfies TimerTag);
      } else if ("deadline" in t) onDeadline(t.deadline);
      else askStandIns(t.standIns);
    },
    onDisk(completion: DiskCompletion) {
      if (store.onDisk(completion)) return;
      if (hintLog?.onDisk(completion)) return;
      assert(false, `node ${id}: a disk completion for ${completion.file}, which it did not write`);
    },
  };
}

/** Sets (or with null, removes) the hint for `target` and `key`, dropping a target left with none. */
function setHint(
  hints: Map<number, Map<string, Sibling[]>>,
  target: number,
  key: string,
  siblings: Sibling[] | null,
): void {
  if (siblings === null) {
    hints.get(target)?.delete(key);
    if (hints.get(target)?.size === 0) hints.delete(target);
    return;
  }
  if (!hints.has(target)) hints.set(target, new Map());
  hints.get(target)!.set(key, siblings);
}

/**
 * Since when a key's versions have been gone: the newest delete's timestamp for a tombstone, the
 * last expiry when every value has expired by `nowUs`; undefined while any value is live.
 */
export function goneSince(siblings: readonly Sibling[], nowUs: number): number | undefined {
  if (isTombstone(siblings)) return Math.max(...siblings.map((s) => s.timestamp.wallUs));
  if (siblings.length === 0) return undefined;
  let since = -Infinity;
  for (const s of siblings) {
    const endUs = s.value === null ? s.timestamp.wallUs : s.expiresAtUs;
    if (endUs === undefined || endUs > nowUs) return undefined;
    since = Math.max(since, endUs);
  }
  return since;
}

/** A short stable text of a key's versions: their dots and values. */
export function digestOf(siblings: readonly Sibling[]): string {
  return siblings.map((s) => `${s.dot.node}.${s.dot.counter}=${s.value}`).join(",");
}

/**
 * The hash of a key's versions in the hash trees, `hash32(`${key}|${digestOf(siblings)}`)`, fed
 * piece by piece: every write of every replica computes one, and the text is never needed.
 */
export function versionsHash(key: string, siblings: readonly Sibling[]): number {
  let h = hashText(hashStart, key);
  h = hashText(h, "|");
  for (let i = 0; i < siblings.length; i++) {
    const s = siblings[i];
    if (i > 0) h = hashText(h, ",");
    h = hashNumber(h, s.dot.node);
    h = hashText(h, ".");
    h = hashNumber(h, s.dot.counter);
    h = hashText(h, "=");
    h = hashText(h, s.value === null ? "null" : s.value);
  }
  return hashFinish(h);
}
