/**
 * The simulation kernel: one event queue, virtual time, and everything non-deterministic
 * (randomness, network, disks, clocks, CPU) owned here so that systems stay pure state machines.
 *
 * A run is a function of its seed. Time is an integer of microseconds that only this kernel
 * advances; events at the same microsecond run in the order they were queued.
 *
 * @example
 * ```ts
 * import { Simulation } from "./simulation.ts";
 * const sim = new Simulation({ seed: 1 });
 * const echo = sim.addNode({ create: (api) => ({ onMessage: (from, m) => api.send(from, m) }) });
 * const client = sim.addNode({
 *   create: (api) => ({ onStart: () => api.send(echo, "ping"), onMessage: () => api.record("pong", 1) }),
 * });
 * sim.run({ untilUs: 1_000_000 });
 * ```
 * @module
 */
import { assert, checkNumber, InputError } from "../assert.ts";
import { Clock } from "./clock.ts";
import type { DiskCompletion, DiskQuota, UnsyncedOnCrash } from "./disk.ts";
import { NodeFiles } from "./disk.ts";
import { EventQueue } from "./event_queue.ts";
import { cpuPeriodUs, Host, type HostOptions } from "./host.ts";
import { Network, type NetworkOptions } from "./network.ts";
import { History, type HistoryOptions, type Op } from "../history/mod.ts";
import { Recorder, type RecorderOptions } from "./recorder.ts";
import { ByteSlab, Rng } from "../base/mod.ts";
import { RunHash } from "./run_hash.ts";
import { type TraceEvent, TraceLog } from "./trace.ts";
import type { NodeApi, NodeDiskApi, NodeEventKind, NodeFactory, NodeLogic, ServiceTimeModel } from "./types.ts";

// Event kinds in the queue: small integers, so the hot loop switches on constants.
const kindCancelled = 0;
const kindDeliver = 1;
const kindTimer = 2;
const kindDisk = 3;
const kindServiceDone = 4;
const kindCallback = 5;
const kindWake = 6;
const kindStart = 7;
// Kinds mixed into the run hash for actions that are not queued events.
const hashDrop = 100;
const hashCrash = 101;
const hashRestart = 102;
const hashPause = 103;
const hashResume = 104;
const hashCorrupt = 105;
const hashWork = 106;
const hashReplaceDisk = 107;

/** Options of a simulation. */
export interface SimulationOptions {
  /** The run seed: every random draw derives from it. */
  seed: number;
  network?: NetworkOptions;
  /** Defaults for hosts made implicitly (one per node without a host). */
  host?: Omit<HostOptions, "name" | "region" | "zone">;
  /** Hard cap on events processed by one simulation; exceeding it throws. Default 200 million. */
  eventsMax?: number;
  /** Record a structured trace of every event (off by default: it costs time and memory). */
  trace?: boolean;
  /** The most trace events kept; later ones are counted but dropped. Default 1 million. */
  traceEventsMax?: number;
  /**
   * What the history keeps and where its events go. Default: every event, in memory. A long run
   * that needs no history afterwards keeps only faults (`{ retain: "faults" }`), optionally with
   * a sink that streams every event to a file.
   */
  history?: HistoryOptions;
  /** How metrics are kept. Default: every observation, as series. See {@linkcode RecorderOptions}. */
  metrics?: RecorderOptions;
}

const simulationOptionNames = [
  "seed",
  "network",
  "host",
  "eventsMax",
  "trace",
  "traceEventsMax",
  "history",
  "metrics",
];

/** Options of one node. */
export interface NodeOptions<M = unknown> {
  /** Builds the node's logic for each incarnation. */
  create: NodeFactory<M>;
  name?: string;
  /** The host to place it on; by default a host of its own (with `region` and `zone`). */
  host?: number;
  region?: string;
  zone?: string;
  /** Prices each event in CPU time. Absent: events cost nothing and never queue. */
  serviceTimeUs?: ServiceTimeModel;
  /** Weight in the host's fair share of CPU. Default 1. */
  cpuShares?: number;
  /** Hard cap in cores (0 < cap <= 1; a node is single-threaded). Default: none. */
  cpuCapCores?: number;
  /** Cap on this node's disk throughput, on top of the shared device. Default: none. */
  diskBytesPerSecondMax?: number;
}

const nodeOptionNames = [
  "create",
  "name",
  "host",
  "region",
  "zone",
  "serviceTimeUs",
  "cpuShares",
  "cpuCapCores",
  "diskBytesPerSecondMax",
];

/** Why {@linkcode Simulation.run} returned. */
export type StopReason = "time" | "quiescent" | "predicate" | "events";

/** Thrown when a run exceeds its event cap: almost always a livelocked system. */
export class SimulationLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimulationLimitError";
  }
}

/** A node's observable state. */
export interface NodeStats {
  id: number;
  name: string;
  host: number;
  up: boolean;
  paused: boolean;
  incarnation: number;
  /** Events waiting for the node (paused, or queued behind CPU). */
  inboxLength: number;
  inboxLengthMax: number;
  eventsHandled: number;
  cpuUsedUs: number;
  /** Disk operations completed for this node. */
  diskOperations: number;
  /** Clock readings taken while its clock was offset or drifting. */
  clockReadsSkewed: number;
  /** Messages that arrived while the node was down and were dropped. */
  messagesDroppedWhileDown: number;
  /** When its disk was last replaced by an empty one (see `replaceDisk`); undefined: never. */
  diskReplacedUs: number | undefined;
}

/** A host's observable state. */
export interface HostStats {
  id: number;
  name: string;
  cores: number;
  /** CPU time served divided by cores times elapsed time. */
  cpuUtilisation: number;
  cpuBusyUs: number;
  diskBusyUs: number;
  diskUtilisation: number;
  diskOperations: number;
  diskUsedBytes: number;
}

/**
 * An event waiting for the node, or (`work`) CPU work a handler reported through `api.work`, whose
 * `arg` is its length in microseconds: it holds the CPU like a service time and runs no handler.
 */
interface InboxItem {
  kind: NodeEventKind | "work";
  arg: number;
  payload: unknown;
}

interface DiskOp {
  op: "write" | "fsync";
  file: string;
  offset: number;
  bytes: Uint8Array | undefined;
  tag: unknown;
  /** Set when the operation failed at issue (a full disk). */
  error: string | undefined;
  /** Bytes of device capacity held for this write until it completes. */
  reservedBytes: number;
}

const messageSizeBytesDefault = 64;
/** Node ids stay below this, so a sender id and a count share one queue column exactly. */
const nodesMax = 1 << 20;
/** The largest message size: sizes ride in the event queue's 32-bit incarnation column. */
const messageSizeBytesMax = 2 ** 31 - 1;

/** The kernel's record of one node across incarnations. */
class NodeRecord {
  up = false;
  paused = false;
  incarnation = 0;
  logic: NodeLogic | undefined = undefined;
  api: NodeApi | undefined = undefined;
  busy = false;
  inbox: InboxItem[] = [];
  inboxHead = 0;
  inboxLengthMax = 0;
  /** CPU work the running handler reported through `api.work`, queued when the handler returns. */
  workPendingUs = 0;
  /** A served event held back because the node was paused when its service finished. */
  heldItem: InboxItem | undefined = undefined;
  eventsHandled = 0;
  messagesDroppedWhileDown = 0;
  diskOperations = 0;
  /** Crashed before its first start: the queued start is skipped. */
  startCancelled = false;
  /** Clock readings taken while the clock was offset or drifting. */
  clockReadsSkewed = 0;
  diskReplacedUs: number | undefined = undefined;
  timers = new Map<number, number>();
  /** Timers that fired while the node was busy or paused and wait in its inbox; still cancellable. */
  timersFired = new Set<number>();
  cpuShares: number;
  cpuCapCores: number;
  cpuUsedUs = 0;
  cpuVirtualUs = 0;
  cpuPeriodIndex = 0;
  cpuPeriodUsedUs = 0;
  readonly files = new NodeFiles();
  readonly clock = new Clock();
  diskQuota: DiskQuota | undefined;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly host: Host,
    readonly create: NodeFactory,
    readonly rng: Rng,
    readonly serviceTimeUs: ServiceTimeModel | undefined,
    options: NodeOptions,
  ) {
    this.cpuShares = checkNumber(`node ${name} cpuShares`, options.cpuShares ?? 1, { min: 1e-6 });
    this.cpuCapCores = checkNumber(`node ${name} cpuCapCores`, options.cpuCapCores ?? 0, { min: 0, max: 1 });
    const diskCap = options.diskBytesPerSecondMax;
    if (diskCap !== undefined) checkNumber(`node ${name} diskBytesPerSecondMax`, diskCap, { min: 1 });
    this.diskQuota = diskCap === undefined ? undefined : { bytesPerSecond: diskCap, busyUntilUs: 0, doneUs: 0 };
  }

  get inboxLength(): number {
    return this.inbox.length - this.inboxHead;
  }

  enqueue(item: InboxItem): void {
    this.inbox.push(item);
    if (this.inboxLength > this.inboxLengthMax) this.inboxLengthMax = this.inboxLength;
  }

  /** Puts `item` ahead of everything waiting: work a handler reported runs before later events. */
  enqueueFirst(item: InboxItem): void {
    if (this.inboxHead > 0) this.inbox[--this.inboxHead] = item;
    else this.inbox.unshift(item);
    if (this.inboxLength > this.inboxLengthMax) this.inboxLengthMax = this.inboxLength;
  }

  dequeue(): InboxItem {
    const item = this.inbox[this.inboxHead++];
    if (this.inboxHead === this.inbox.length) {
      this.inbox.length = 0;
      this.inboxHead = 0;
    }
    return item;
  }
}

/** A discrete-event simulation of nodes on hosts, joined by a network. */
export class Simulation {
  readonly seed: number;
  readonly rng: Rng;
  readonly network: Network;
  readonly metrics: Recorder;
  /** The run's history: client operations (through the node API) and nemesis events. */
  readonly history: History;
  readonly trace: TraceLog;
  readonly eventsMax: number;
  #nowUs = 0;
  #eventsProcessed = 0;
  #queue = new EventQueue();
  #nodes: NodeRecord[] = [];
  #hosts: Host[] = [];
  #hash = new RunHash();
  #timerIdNext = 1;
  #diskRng: Rng;
  /** The node whose handler is running (-1: none), so `api.work` outside a handler is refused. */
  #handlingNode = -1;
  #hostDefaults: Omit<HostOptions, "name" | "region" | "zone">;
  /** Where the bytes of writes are copied at issue: they are kept only until their fsync. */
  #writeCopies = new ByteSlab();

  constructor(options: SimulationOptions) {
    if (options === null || typeof options !== "object") throw new InputError("Simulation needs options with a seed");
    for (const name of Object.keys(options)) {
      if (!simulationOptionNames.includes(name)) {
        throw new InputError(
          `unknown simulation option ${JSON.stringify(name)}; allowed: ${simulationOptionNames.join(", ")}`,
        );
      }
    }
    this.rng = Rng.fromSeed(options.seed);
    this.seed = options.seed;
    this.network = new Network(options.network ?? {}, this.rng.fork("network"));
    this.#diskRng = this.rng.fork("disk");
    this.#hostDefaults = options.host ?? {};
    this.eventsMax = checkNumber("eventsMax", options.eventsMax ?? 200_000_000, { min: 1, integer: true });
    const traceMax = checkNumber("traceEventsMax", options.traceEventsMax ?? 1_000_000, { min: 0, integer: true });
    this.trace = new TraceLog(options.trace ?? false, traceMax);
    this.history = new History(options.history);
    this.metrics = new Recorder(options.metrics);
  }

  /** True time in microseconds. Nodes never see it; experiments and checkers do. */
  get nowUs(): number {
    return this.#nowUs;
  }

  /** Events processed so far. */
  get eventsProcessed(): number {
    return this.#eventsProcessed;
  }

  /** Events waiting in the queue (including cancelled timers not yet skipped). */
  get eventsQueued(): number {
    return this.#queue.size;
  }

  /** The running hash of every event so far, as 16 hex digits. */
  hash(): string {
    return this.#hash.hex();
  }

  /** Number of nodes. */
  get nodeCount(): number {
    return this.#nodes.length;
  }

  /** Adds a host and returns its id. */
  addHost(options: HostOptions = {}): number {
    const host = new Host(this.#hosts.length, { ...this.#hostDefaults, ...options });
    this.#hosts.push(host);
    return host.id;
  }

  /**
   * Adds a node and returns its id. It starts (its `onStart` runs) at the current instant, after
   * the events already queued for that instant, so nodes added together all exist when any starts.
   */
  addNode<M>(options: NodeOptions<M>): number {
    for (const name of Object.keys(options)) {
      if (!nodeOptionNames.includes(name)) {
        throw new InputError(`unknown node option ${JSON.stringify(name)}; allowed: ${nodeOptionNames.join(", ")}`);
      }
    }
    if (typeof options.create !== "function") throw new InputError("a node needs a create(api) function");
    const hostId = options.host ?? this.addHost({ region: options.region, zone: options.zone });
    const host = this.#host(hostId);
    if (this.#nodes.length >= nodesMax) throw new InputError(`a simulation holds at most ${nodesMax} nodes`);
    const id = this.network.addEndpoint(host.placement);
    const name = options.name ?? `n${id}`;
    const record = new NodeRecord(
      id,
      name,
      host,
      options.create as NodeFactory,
      this.rng.fork(`node/${name}`),
      options.serviceTimeUs,
      options as NodeOptions,
    );
    assert(this.#nodes.length === id, "node ids and network endpoints must stay aligned");
    this.#nodes.push(record);
    host.nodes.push(id);
    this.#queue.push(this.#nowUs, kindStart, id, 0, 0, undefined);
    return id;
  }

  /** The id of the node named `name`; throws naming the known nodes when there is none. */
  nodeId(name: string): number {
    const id = this.#nodes.findIndex((record) => record.name === name);
    if (id < 0) {
      throw new InputError(
        `no node named ${JSON.stringify(name)}; nodes: ${this.#nodes.map((r) => r.name).join(", ")}`,
      );
    }
    return id;
  }

  /** A node's name. */
  nodeName(node: number): string {
    return this.#node(node).name;
  }

  /** The host a node is placed on. */
  hostOf(node: number): number {
    return this.#node(node).host.id;
  }

  // ---------------------------------------------------------------- running

  /**
   * Processes events in order until the queue is empty, `untilUs` is reached (events at exactly
   * `untilUs` run), `until()` returns true after an event, or `untilEvents` events have been
   * processed in total. With `untilUs`, time then advances
   * to `untilUs` even if nothing happens.
   *
   * @throws SimulationLimitError when more than `eventsMax` events have been processed in total
   */
  run(options: { untilUs?: number; until?: () => boolean; untilEvents?: number } = {}): StopReason {
    const untilUs = options.untilUs ?? Infinity;
    if (untilUs !== Infinity) checkNumber("untilUs", untilUs, { min: this.#nowUs, integer: true });
    const untilEvents = options.untilEvents ?? Infinity;
    const until = options.until;
    const queue = this.#queue;
    if (this.#eventsProcessed >= untilEvents) return "events";
    while (queue.size > 0) {
      if (queue.peekTimeUs() > untilUs) {
        this.#nowUs = untilUs;
        return "time";
      }
      this.#step();
      if (until !== undefined && until()) return "predicate";
      if (this.#eventsProcessed >= untilEvents) return "events";
    }
    if (untilUs !== Infinity) {
      this.#nowUs = untilUs;
      return "time";
    }
    return "quiescent";
  }

  /** Runs for `durationUs` of virtual time from now. */
  runFor(durationUs: number): StopReason {
    checkNumber("durationUs", durationUs, { min: 0, integer: true });
    return this.run({ untilUs: this.#nowUs + durationUs });
  }

  /** Calls `action` at true time `timeUs` (kernel-side: faults, workloads, probes). */
  at(timeUs: number, action: (sim: Simulation) => void): void {
    checkNumber("at() timeUs", timeUs, { min: this.#nowUs, integer: true });
    this.#queue.push(timeUs, kindCallback, -1, 0, 0, action);
  }

  /** Calls `action` after `delayUs` of true time. */
  after(delayUs: number, action: (sim: Simulation) => void): void {
    checkNumber("after() delayUs", delayUs, { min: 0, integer: true });
    this.at(this.#nowUs + delayUs, action);
  }

  #step(): void {
    const queue = this.#queue;
    const slot = queue.pop();
    const kind = queue.kind[slot];
    if (kind === kindCancelled) {
      queue.release(slot);
      return;
    }
    if (++this.#eventsProcessed > this.eventsMax) {
      queue.release(slot);
      throw new SimulationLimitError(
        `simulation passed eventsMax (${this.eventsMax}) at ${this.#nowUs} us; a livelocked system or a run ` +
          `too long for its limit: raise eventsMax or shorten the run (seed ${this.seed})`,
      );
    }
    const timeUs = queue.timeUs[slot];
    this.#nowUs = timeUs;
    const node = queue.node[slot];
    const arg = queue.arg[slot];
    const incarnation = queue.incarnation[slot];
    const payload = queue.payload[slot];
    queue.release(slot);
    this.#hash.add4(timeUs, kind, node, arg);
    switch (kind) {
      case kindDeliver:
        return this.#deliver(node, arg, incarnation, payload);
      case kindTimer:
        return this.#fireTimer(node, arg, incarnation, payload);
      case kindDisk:
        return this.#completeDisk(node, incarnation, payload as DiskOp, timeUs);
      case kindServiceDone:
        return this.#finishService(node, incarnation, payload as InboxItem);
      case kindCallback:
        return (payload as (sim: Simulation) => void)(this);
      case kindWake:
        return this.#wakeHost(arg);
      case kindStart:
        return this.#start(node);
    }
    assert(false, `unknown event kind ${kind}`);
  }

  // ---------------------------------------------------------------- messages

  /** Kernel side of `api.send`. */
  nodeSend(from: number, to: number, message: unknown, sizeBytes: number): void {
    if (to >= this.#nodes.length || to < 0 || !Number.isInteger(to)) {
      throw new InputError(`node ${from} sent to node ${to}, which does not exist (ids 0-${this.#nodes.length - 1})`);
    }
    const network = this.network;
    const link = network.link(from, to);
    link.sent++;
    link.bytesSent += sizeBytes;
    if (link.blocked || (link.lossProbability > 0 && network.rng.next() < link.lossProbability)) {
      link.dropped++;
      this.#hash.add4(this.#nowUs, hashDrop, from, to);
      if (this.trace.enabled) this.#traceEvent("drop", from, to, message);
      return;
    }
    // A delivery has no incarnation (the network does not know them), so that column carries the
    // message size, which the link needs to count bytes delivered. The sender shares its column
    // with the link's cut count at sending time, so a cut that heals before arrival still drops it.
    const fromAndCuts = from + link.cuts * nodesMax;
    this.#queue.push(
      network.arrivalUs(link, this.#nowUs, sizeBytes, message),
      kindDeliver,
      to,
      fromAndCuts,
      sizeBytes,
      message,
    );
    if (link.duplicateProbability > 0 && network.rng.next() < link.duplicateProbability) {
      link.duplicated++;
      this.#queue.push(
        network.arrivalUs(link, this.#nowUs, sizeBytes, message),
        kindDeliver,
        to,
        fromAndCuts,
        sizeBytes,
        message,
      );
    }
    if (this.trace.enabled) this.#traceEvent("send", from, to, message);
  }

  #deliver(to: number, fromAndCuts: number, sizeBytes: number, message: unknown): void {
    const from = fromAndCuts % nodesMax;
    const link = this.network.link(from, to);
    if (link.blocked || link.cuts !== (fromAndCuts - from) / nodesMax) {
      // A partition also drops what was in flight on the link when it was cut, even if it healed since.
      link.dropped++;
      if (this.trace.enabled) this.#traceEvent("drop", from, to, message);
      return;
    }
    const record = this.#nodes[to];
    if (!record.up) {
      link.dropped++;
      record.messagesDroppedWhileDown++;
      if (this.trace.enabled) this.#traceEvent("drop", from, to, message);
      return;
    }
    link.delivered++;
    link.bytesDelivered += sizeBytes;
    if (this.trace.enabled) this.#traceEvent("deliver", to, from, message);
    if (record.serviceTimeUs === undefined && !record.paused && !record.busy && record.inboxLength === 0) {
      record.eventsHandled++;
      this.#handlingNode = to;
      record.logic!.onMessage(from, message);
      this.#handlingNode = -1;
      if (this.#queueWork(record)) this.#tryRun(record);
      return;
    }
    this.#arrive(record, { kind: "message", arg: from, payload: message });
  }

  // ---------------------------------------------------------------- timers

  /** Kernel side of `api.setTimer`. */
  nodeSetTimer(node: number, delayUs: number, tag: unknown): number {
    checkNumber("setTimer delayUs", delayUs, { min: 0 });
    const record = this.#nodes[node];
    const timerId = this.#timerIdNext++;
    const fireUs = this.#nowUs + record.clock.trueDelayUs(Math.round(delayUs));
    const slot = this.#queue.push(fireUs, kindTimer, node, timerId, record.incarnation, tag);
    record.timers.set(timerId, slot);
    return timerId;
  }

  /** Kernel side of `api.cancelTimer`. */
  nodeCancelTimer(node: number, timerId: number): boolean {
    const record = this.#nodes[node];
    const slot = record.timers.get(timerId);
    // A timer that fired but waits in the inbox has not reached the node yet: cancelling still works.
    if (slot === undefined) return record.timersFired.delete(timerId);
    record.timers.delete(timerId);
    if (!(this.#queue.arg[slot] === timerId)) assert(false, `timer ${timerId} lost its queue slot`);
    this.#queue.kind[slot] = kindCancelled;
    return true;
  }

  #fireTimer(node: number, timerId: number, incarnation: number, tag: unknown): void {
    const record = this.#nodes[node];
    if (incarnation !== record.incarnation || !record.up) return;
    record.timers.delete(timerId);
    if (this.trace.enabled) this.#traceEvent("timer", node, -1, tag);
    if (record.serviceTimeUs === undefined && !record.paused && !record.busy && record.inboxLength === 0) {
      record.eventsHandled++;
      this.#handlingNode = node;
      record.logic!.onTimer?.(tag, timerId);
      this.#handlingNode = -1;
      if (this.#queueWork(record)) this.#tryRun(record);
      return;
    }
    record.timersFired.add(timerId);
    this.#arrive(record, { kind: "timer", arg: timerId, payload: tag });
  }

  // ---------------------------------------------------------------- CPU and the inbox

  /** Queues work for a node that is paused, busy or CPU-priced, then lets it run if it can. */
  #arrive(record: NodeRecord, item: InboxItem): void {
    record.enqueue(item);
    this.#tryRun(record);
  }

  /**
   * Starts the node's next inbox item if the node is runnable and a core is free. `granted` means
   * the host's scheduler chose this node; otherwise a node joins the waiting nodes and the
   * scheduler picks, so a node that has just finished cannot take the core back ahead of them.
   */
  #tryRun(record: NodeRecord, granted = false): void {
    while (record.up && !record.paused && !record.busy && record.inboxLength > 0) {
      // Without a service-time model events are free, but reported work still needs a core.
      if (record.serviceTimeUs === undefined && record.inbox[record.inboxHead].kind !== "work") {
        this.#handle(record, record.dequeue());
        continue;
      }
      const host = record.host;
      if (!granted && host.waiting.length > 0) {
        host.enqueue(record);
        this.#dispatchHost(host);
        return;
      }
      const eligible = host.eligible(record, this.#nowUs);
      if (host.running >= host.cores || !eligible) {
        host.enqueue(record);
        // A busy core frees itself when its service ends; only a cap needs a wake-up at the period's end.
        if (!eligible) this.#queueWake(host);
        return;
      }
      this.#serve(record, record.dequeue());
    }
  }

  #serve(record: NodeRecord, item: InboxItem): void {
    const serviceUs = item.kind === "work"
      ? item.arg
      : Math.max(0, Math.round(record.serviceTimeUs!(item.kind, item.payload, record.rng)));
    if (serviceUs === 0) {
      this.#handle(record, item);
      return;
    }
    record.busy = true;
    record.host.running++;
    record.host.charge(record, serviceUs);
    this.#queue.push(this.#nowUs + serviceUs, kindServiceDone, record.id, 0, record.incarnation, item);
  }

  #finishService(node: number, incarnation: number, item: InboxItem): void {
    const record = this.#nodes[node];
    if (incarnation !== record.incarnation || !record.up) return; // the crash already released the core
    record.busy = false;
    record.host.running--;
    // Reported work has no handler to run: once it is done, the node is free for what queued behind it.
    if (item.kind !== "work") {
      if (record.paused) record.heldItem = item;
      else this.#handle(record, item);
    }
    this.#tryRun(record);
    this.#dispatchHost(record.host);
  }

  /** Gives free cores of `host` to waiting nodes, fairest first. */
  #dispatchHost(host: Host): void {
    while (host.running < host.cores && host.waiting.length > 0) {
      const next = host.takeNext(this.#nowUs);
      if (next === undefined) {
        this.#queueWake(host);
        return;
      }
      this.#tryRun(this.#nodes[next.id], true);
    }
  }

  /** Ensures the host is looked at again at the next CPU period boundary (for capped nodes). */
  #queueWake(host: Host): void {
    const boundaryUs = (Math.floor(this.#nowUs / cpuPeriodUs) + 1) * cpuPeriodUs;
    if (host.wakeQueuedForUs === boundaryUs) return;
    host.wakeQueuedForUs = boundaryUs;
    this.#queue.push(boundaryUs, kindWake, -1, host.id, 0, undefined);
  }

  #wakeHost(hostId: number): void {
    const host = this.#hosts[hostId];
    host.wakeQueuedForUs = -1;
    if (host.waiting.length > 0) this.#dispatchHost(host);
  }

  /** Runs the handler of `item`; work it reports goes first in the inbox (the caller then tries to run it). */
  #handle(record: NodeRecord, item: InboxItem): void {
    if (item.kind === "work") assert(false, `node ${record.name}: reported work reached a handler`);
    record.eventsHandled++;
    const logic = record.logic!;
    this.#handlingNode = record.id;
    if (item.kind === "message") logic.onMessage(item.arg, item.payload);
    else if (item.kind === "disk") logic.onDisk?.(item.payload as DiskCompletion);
    else if (record.timersFired.delete(item.arg)) logic.onTimer?.(item.payload, item.arg); // not cancelled meanwhile
    this.#handlingNode = -1;
    this.#queueWork(record);
  }

  /** Kernel side of `api.work`: adds to the work of the running handler. */
  nodeWork(node: number, cpuUs: number): void {
    const record = this.#nodes[node];
    if (this.#handlingNode !== node) {
      throw new InputError(
        `node ${record.name} reported work outside its handlers; call api.work from onStart, onRecover, ` +
          "onMessage, onTimer or onDisk",
      );
    }
    checkNumber(`node ${record.name} work cpuUs`, cpuUs, { min: 0 });
    record.workPendingUs += Math.round(cpuUs);
  }

  /**
   * Puts the work the handler just reported ahead of the node's inbox, as one item; returns whether
   * there was any. The item waits for a core like any priced event, so the host's fair share and caps
   * apply to it.
   */
  #queueWork(record: NodeRecord): boolean {
    const cpuUs = record.workPendingUs;
    if (cpuUs === 0) return false;
    record.workPendingUs = 0;
    this.#hash.add4(this.#nowUs, hashWork, record.id, cpuUs);
    record.enqueueFirst({ kind: "work", arg: cpuUs, payload: undefined });
    return true;
  }

  // ---------------------------------------------------------------- disk

  /** Kernel side of `api.disk.write` / `append` (`offset` -1 appends). */
  nodeDiskWrite(node: number, file: string, offset: number, bytes: Uint8Array, tag: unknown): void {
    const record = this.#nodes[node];
    const device = record.host.disk;
    const growth = record.files.growthBytes(file, offset, bytes.length);
    if (offset > record.files.size(file)) {
      throw new InputError(`write to ${file} at offset ${offset} is past its end (${record.files.size(file)} bytes)`);
    }
    // Writes in flight hold their growth, so concurrent writes cannot overshoot the capacity.
    const usedBytes = this.#hostUsedBytes(record.host) + device.reservedBytes;
    const op: DiskOp = {
      op: "write",
      file,
      offset,
      bytes: this.#writeCopies.copy(bytes),
      tag,
      error: undefined,
      reservedBytes: growth,
    };
    if (growth > 0 && usedBytes + growth > device.capacityBytes) {
      op.error = `disk full on ${record.host.name}: ${usedBytes} of ${device.capacityBytes} bytes used, ` +
        `write of ${bytes.length} bytes to ${file} needs ${growth} more`;
      op.bytes = undefined;
      op.reservedBytes = 0;
      this.#queue.push(this.#nowUs, kindDisk, node, 0, record.incarnation, op);
      return;
    }
    device.reservedBytes += growth;
    const doneUs = device.schedule(
      this.#nowUs,
      device.writeLatency.sample(this.#diskRng),
      bytes.length,
      record.diskQuota,
    );
    this.#queue.push(doneUs, kindDisk, node, bytes.length, record.incarnation, op);
    if (this.trace.enabled) this.#traceEvent("disk-write", node, -1, { file, sizeBytes: bytes.length });
  }

  /** Kernel side of `api.disk.fsync`. */
  nodeDiskFsync(node: number, file: string, tag: unknown): void {
    const record = this.#nodes[node];
    const device = record.host.disk;
    const serviceUs = device.fsyncLatency.sample(this.#diskRng) * device.fsyncSlowFactor;
    const doneUs = device.schedule(this.#nowUs, serviceUs, 0, record.diskQuota);
    const op: DiskOp = { op: "fsync", file, offset: 0, bytes: undefined, tag, error: undefined, reservedBytes: 0 };
    this.#queue.push(doneUs, kindDisk, node, 0, record.incarnation, op);
    if (this.trace.enabled) this.#traceEvent("disk-fsync", node, -1, { file });
  }

  #completeDisk(node: number, incarnation: number, op: DiskOp, timeUs: number): void {
    const record = this.#nodes[node];
    const device = record.host.disk;
    if (incarnation !== record.incarnation || !record.up) {
      device.reservedBytes -= op.reservedBytes; // issued before a crash: it never happened
      return;
    }
    if (device.stalledUntilUs > timeUs) {
      // The device is stalled: nothing completes before the stall ends.
      this.#queue.push(device.stalledUntilUs, kindDisk, node, 0, incarnation, op);
      return;
    }
    device.reservedBytes -= op.reservedBytes;
    record.diskOperations++;
    const completion = this.#applyDiskOp(record, op);
    if (this.trace.enabled) this.#traceEvent("disk-done", node, -1, { op: op.op, file: op.file, ok: completion.ok });
    this.#arrive(record, { kind: "disk", arg: 0, payload: completion });
  }

  #applyDiskOp(record: NodeRecord, op: DiskOp): DiskCompletion {
    if (op.error !== undefined) {
      return { op: op.op, file: op.file, tag: op.tag, ok: false, error: op.error, sizeBytes: 0 };
    }
    if (op.op === "write") {
      record.files.applyWrite(op.file, op.offset, op.bytes!);
      return { op: "write", file: op.file, tag: op.tag, ok: true, sizeBytes: op.bytes!.length };
    }
    record.files.applyFsync(op.file, record.host.disk.pageSizeBytes);
    return { op: "fsync", file: op.file, tag: op.tag, ok: true, sizeBytes: 0 };
  }

  #hostUsedBytes(host: Host): number {
    let used = 0;
    for (const id of host.nodes) used += this.#nodes[id].files.totalBytes();
    return used;
  }

  // ---------------------------------------------------------------- lifecycle

  #start(node: number): void {
    const record = this.#nodes[node];
    // A node crashed before its first start stays down until restarted.
    if (record.up || record.startCancelled) return;
    this.#bringUp(record, false);
  }

  #bringUp(record: NodeRecord, recovering: boolean): void {
    record.up = true;
    record.paused = false;
    record.incarnation++;
    record.api = new NodeContext(this, record);
    record.logic = record.create(record.api);
    if (this.trace.enabled) this.#traceEvent(recovering ? "restart" : "start", record.id, -1, undefined);
    const logic = record.logic;
    this.#handlingNode = record.id;
    if (recovering && logic.onRecover) logic.onRecover();
    else logic.onStart?.();
    this.#handlingNode = -1;
    if (this.#queueWork(record)) this.#tryRun(record);
  }

  /**
   * Crashes a node: volatile state, timers, queued work and in-flight disk operations are lost;
   * unsynced writes are resolved by the disk's policy. Returns the number of writes lost.
   */
  crash(node: number, options: { unsyncedOnCrash?: UnsyncedOnCrash } = {}): number {
    const record = this.#node(node);
    const override = options.unsyncedOnCrash;
    if (override !== undefined && !["random", "lose", "keep", "torn"].includes(override)) {
      // Unchecked, an unknown policy would keep every unsynced write: the kindest crash, silently.
      throw new InputError(
        `crash unsyncedOnCrash must be one of random, lose, keep, torn; got ${JSON.stringify(override)}`,
      );
    }
    if (!record.up) {
      if (record.incarnation === 0) record.startCancelled = true;
      return 0;
    }
    record.up = false;
    record.paused = false;
    // The incarnation is not bumped here: it counts starts (the API's contract). Work queued by this
    // incarnation is dropped when popped because the node is down, or because a restart bumped it.
    for (const slot of record.timers.values()) this.#queue.kind[slot] = kindCancelled;
    record.timers.clear();
    record.timersFired.clear();
    record.inbox = [];
    record.inboxHead = 0;
    record.heldItem = undefined;
    record.workPendingUs = 0;
    const host = record.host;
    if (record.busy) {
      record.busy = false;
      host.running--;
    }
    const waitingIndex = host.waiting.indexOf(record);
    if (waitingIndex >= 0) host.waiting.splice(waitingIndex, 1);
    record.logic = undefined;
    record.api = undefined;
    const policy = options.unsyncedOnCrash ?? host.disk.unsyncedOnCrash;
    const lost = record.files.crash(policy, host.disk.tornWriteProbability, this.#diskRng);
    this.#hash.add4(this.#nowUs, hashCrash, node, lost);
    if (this.trace.enabled) this.#traceEvent("crash", node, -1, { writesLost: lost });
    this.#dispatchHost(host);
    return lost;
  }

  /** Restarts a crashed node: a new incarnation recovers from what its disk holds. */
  restart(node: number): void {
    const record = this.#node(node);
    if (record.up) throw new InputError(`restart: node ${record.name} is running; crash it first`);
    this.#hash.add4(this.#nowUs, hashRestart, node, 0);
    this.#bringUp(record, record.incarnation > 0);
  }

  /** Freezes a node: nothing it would do happens; events pile up in its inbox. */
  pause(node: number): void {
    const record = this.#node(node);
    if (!record.up || record.paused) return;
    record.paused = true;
    this.#hash.add4(this.#nowUs, hashPause, node, 0);
    if (this.trace.enabled) this.#traceEvent("pause", node, -1, undefined);
  }

  /** Unfreezes a node: everything that piled up runs now, in arrival order. */
  resume(node: number): void {
    const record = this.#node(node);
    if (!record.up || !record.paused) return;
    record.paused = false;
    this.#hash.add4(this.#nowUs, hashResume, node, record.inboxLength);
    if (this.trace.enabled) this.#traceEvent("resume", node, -1, { queued: record.inboxLength });
    const held = record.heldItem;
    record.heldItem = undefined;
    if (held !== undefined) this.#handle(record, held);
    this.#tryRun(record);
    this.#dispatchHost(record.host);
  }

  // ---------------------------------------------------------------- fault hooks: disks and clocks

  /** Stalls a host's disk: no operation completes before `untilUs`. */
  stallDisk(host: number, untilUs: number): void {
    const disk = this.#host(host).disk;
    checkNumber("stallDisk untilUs", untilUs, { min: 0, integer: true });
    disk.stalledUntilUs = Math.max(disk.stalledUntilUs, untilUs);
  }

  /** Multiplies a host's disk service times (or only its fsyncs) by `factor`; 1 restores it. */
  slowDisk(host: number, factor: number, options: { fsyncOnly?: boolean } = {}): void {
    const disk = this.#host(host).disk;
    checkNumber("slowDisk factor", factor, { min: 1 });
    if (options.fsyncOnly) disk.fsyncSlowFactor = factor;
    else disk.slowFactor = factor;
  }

  /** Sets a host's disk budget: throughput and IOPS (0: unlimited). Omitted fields stay as they are. */
  setDiskBudget(host: number, budget: { bytesPerSecond?: number; iops?: number }): void {
    const disk = this.#host(host).disk;
    if (budget.bytesPerSecond !== undefined) {
      disk.bytesPerSecond = checkNumber("disk bytesPerSecond", budget.bytesPerSecond, { min: 0 });
    }
    if (budget.iops !== undefined) disk.iops = checkNumber("disk iops", budget.iops, { min: 0 });
  }

  /** The current disk budget of a host. */
  diskBudget(host: number): { bytesPerSecond: number; iops: number } {
    const disk = this.#host(host).disk;
    return { bytesPerSecond: disk.bytesPerSecond, iops: disk.iops };
  }

  /** Sets a node's CPU share weight and hard cap (0: uncapped). Omitted fields stay as they are. */
  setCpuQuota(node: number, quota: { cpuShares?: number; cpuCapCores?: number }): void {
    const record = this.#node(node);
    if (quota.cpuShares !== undefined) record.cpuShares = checkNumber("cpuShares", quota.cpuShares, { min: 1e-6 });
    if (quota.cpuCapCores !== undefined) {
      const cap = checkNumber("cpuCapCores", quota.cpuCapCores, { min: 0, max: 1 });
      if (record.cpuCapCores <= 0 && cap > 0) {
        // The period count ran on while uncapped; without a fresh start, all CPU used so far would be
        // debt against the new cap and the node would stall for many periods.
        record.cpuPeriodIndex = Math.floor(this.#nowUs / cpuPeriodUs);
        record.cpuPeriodUsedUs = 0;
      }
      record.cpuCapCores = cap;
    }
  }

  /** Sets or removes (undefined) a node's own cap on disk throughput. */
  setDiskQuota(node: number, bytesPerSecondMax: number | undefined): void {
    const record = this.#node(node);
    if (bytesPerSecondMax === undefined) {
      // No cap from now on, but operations the cap still holds back complete before later ones.
      if (record.diskQuota !== undefined) {
        record.diskQuota = { bytesPerSecond: 0, busyUntilUs: 0, doneUs: record.diskQuota.doneUs };
      }
      return;
    }
    checkNumber("diskBytesPerSecondMax", bytesPerSecondMax, { min: 1 });
    record.diskQuota = {
      bytesPerSecond: bytesPerSecondMax,
      busyUntilUs: record.diskQuota?.busyUntilUs ?? 0,
      doneUs: record.diskQuota?.doneUs ?? 0,
    };
  }

  /** Sets a host's disk capacity; a value at or below current use makes growing writes fail. */
  setDiskCapacity(host: number, capacityBytes: number): void {
    this.#host(host).disk.capacityBytes = checkNumber("setDiskCapacity capacityBytes", capacityBytes, { min: 0 });
  }

  /** A host's disk capacity in bytes. */
  diskCapacity(host: number): number {
    return this.#host(host).disk.capacityBytes;
  }

  /** Fills a host's disk: the capacity becomes what is used now. */
  fillDisk(host: number): void {
    const record = this.#host(host);
    record.disk.capacityBytes = this.#hostUsedBytes(record);
  }

  /** Flips `bitCount` random bits of `file` on `node` within [fromByte, toByte). Returns offsets hit. */
  corruptFile(node: number, file: string, range: { fromByte: number; toByte: number; bitCount?: number }): number[] {
    const record = this.#node(node);
    const offsets = record.files.flipBits(file, range.fromByte, range.toByte, range.bitCount ?? 1, this.#diskRng);
    this.#hash.add4(this.#nowUs, hashCorrupt, node, offsets[0]);
    if (this.trace.enabled) this.#traceEvent("corrupt", node, -1, { file, offsets });
    return offsets;
  }

  /**
   * Replaces the disk of a crashed node with an empty one: every file it held is gone, durable or
   * not, as when a failed drive is swapped or an instance's local disk is lost with its host. The
   * node restarts (`restart`) on the new disk. Returns the bytes lost.
   */
  replaceDisk(node: number): number {
    const record = this.#node(node);
    if (record.up) throw new InputError(`replaceDisk: node ${record.name} is running; crash it first`);
    const lostBytes = record.files.totalBytes();
    for (const file of record.files.list()) record.files.delete(file);
    assert(record.files.totalBytes() === 0, `replaceDisk: node ${record.name} still holds files`);
    record.diskReplacedUs = this.#nowUs;
    this.#hash.add4(this.#nowUs, hashReplaceDisk, node, lostBytes);
    if (this.trace.enabled) this.#traceEvent("disk-replaced", node, -1, { lostBytes });
    return lostBytes;
  }

  /** The clock of `node`, for skew, drift and jumps (true time is passed for you). */
  clock(node: number): {
    wallUs(): number;
    setOffset(offsetUs: number): void;
    setDriftPpm(driftPpm: number): void;
    jump(deltaUs: number): void;
    reset(): void;
  } {
    const clock = this.#node(node).clock;
    return {
      wallUs: () => clock.wallUs(this.#nowUs),
      setOffset: (offsetUs) => clock.setOffset(this.#nowUs, offsetUs),
      setDriftPpm: (driftPpm) => clock.setDriftPpm(this.#nowUs, driftPpm),
      jump: (deltaUs) => clock.jump(this.#nowUs, deltaUs),
      reset: () => clock.reset(this.#nowUs),
    };
  }

  /** Read access to a node's files (for checkers and tests), as the page cache holds them. */
  files(node: number): NodeFiles {
    return this.#node(node).files;
  }

  // ---------------------------------------------------------------- observation

  /** A node's queue, lifecycle and CPU figures. */
  nodeStats(node: number): NodeStats {
    const r = this.#node(node);
    return {
      id: r.id,
      name: r.name,
      host: r.host.id,
      up: r.up,
      paused: r.paused,
      incarnation: r.incarnation,
      inboxLength: r.inboxLength,
      inboxLengthMax: r.inboxLengthMax,
      eventsHandled: r.eventsHandled,
      cpuUsedUs: r.cpuUsedUs,
      diskOperations: r.diskOperations,
      clockReadsSkewed: r.clockReadsSkewed,
      messagesDroppedWhileDown: r.messagesDroppedWhileDown,
      diskReplacedUs: r.diskReplacedUs,
    };
  }

  /** A host's utilisation figures so far. */
  hostStats(host: number): HostStats {
    const h = this.#host(host);
    const elapsedUs = Math.max(1, this.#nowUs);
    return {
      id: h.id,
      name: h.name,
      cores: h.cores,
      cpuBusyUs: h.cpuBusyUs,
      cpuUtilisation: Math.min(1, h.cpuBusyUs / (h.cores * elapsedUs)),
      diskBusyUs: h.disk.busyUs,
      diskUtilisation: Math.min(1, h.disk.busyUs / elapsedUs),
      diskOperations: h.disk.operations,
      diskUsedBytes: this.#hostUsedBytes(h),
    };
  }

  /** Whether a node is up (started and not crashed). */
  isUp(node: number): boolean {
    return this.#node(node).up;
  }

  /** Kernel side of `api.record`. */
  nodeRecord(node: number, name: string, value: number): void {
    this.metrics.record(name, this.#nowUs, node, value);
  }

  /** The node's clock readings, for its API. */
  nodeWallUs(node: number): number {
    const record = this.#nodes[node];
    if (record.clock.skewed) record.clockReadsSkewed++;
    return record.clock.wallUs(this.#nowUs);
  }

  nodeMonotonicUs(node: number): number {
    const record = this.#nodes[node];
    if (record.clock.drifting) record.clockReadsSkewed++;
    return record.clock.monotonicUs(this.#nowUs);
  }

  #traceEvent(kind: TraceEvent["kind"], node: number, peer: number, detail: unknown): void {
    this.trace.add({ timeUs: this.#nowUs, kind, node, peer, detail });
  }

  #node(node: number): NodeRecord {
    const record = this.#nodes[node];
    if (record === undefined) {
      throw new InputError(`no node ${node}: node ids run from 0 to ${this.#nodes.length - 1}`);
    }
    return record;
  }

  #host(host: number): Host {
    const record = this.#hosts[host];
    if (record === undefined) {
      throw new InputError(`no host ${host}: host ids run from 0 to ${this.#hosts.length - 1}`);
    }
    return record;
  }
}

/** The API one incarnation of a node acts through. It refuses to act once the incarnation is gone. */
class NodeContext implements NodeApi {
  readonly id: number;
  readonly name: string;
  readonly incarnation: number;
  readonly rng: Rng;
  readonly disk: NodeDiskApi;
  readonly #sim: Simulation;
  readonly #record: NodeRecord;

  constructor(sim: Simulation, record: NodeRecord) {
    this.#sim = sim;
    this.#record = record;
    this.id = record.id;
    this.name = record.name;
    this.incarnation = record.incarnation;
    this.rng = record.rng;
    this.disk = this.#diskApi();
  }

  now(): number {
    return this.#sim.nodeWallUs(this.id);
  }

  monotonicUs(): number {
    return this.#sim.nodeMonotonicUs(this.id);
  }

  send(to: number, message: unknown, sizeBytes = messageSizeBytesDefault): void {
    this.#checkAlive();
    if (!Number.isInteger(sizeBytes) || sizeBytes < 0 || sizeBytes > messageSizeBytesMax) {
      throw new InputError(
        `node ${this.name} sent a message of ${sizeBytes} bytes; sizes are integers 0-${messageSizeBytesMax}`,
      );
    }
    this.#sim.nodeSend(this.id, to, message, sizeBytes);
  }

  setTimer(delayUs: number, tag?: unknown): number {
    this.#checkAlive();
    return this.#sim.nodeSetTimer(this.id, delayUs, tag);
  }

  cancelTimer(timerId: number): boolean {
    this.#checkAlive();
    return this.#sim.nodeCancelTimer(this.id, timerId);
  }

  record(name: string, value: number): void {
    this.#checkAlive();
    this.#sim.nodeRecord(this.id, name, value);
  }

  work(cpuUs: number): void {
    this.#checkAlive();
    this.#sim.nodeWork(this.id, cpuUs);
  }

  nodeCount(): number {
    return this.#sim.nodeCount;
  }

  invoke(f: string, value: unknown, options: { key?: string; process?: number } = {}): Op {
    this.#checkAlive();
    const op: Omit<Op, "type"> = { process: options.process ?? this.id, f, value, time: this.#sim.nowUs };
    if (options.key !== undefined) op.key = options.key;
    return this.#sim.history.invoke(op);
  }

  complete(invocation: Op, type: "ok" | "fail" | "info", value: unknown = invocation.value, version?: number): void {
    this.#checkAlive();
    this.#sim.history.complete(invocation, type, value, this.#sim.nowUs, version);
  }

  #checkAlive(): void {
    if (this.#record.incarnation !== this.incarnation || !this.#record.up) {
      throw new InputError(
        `node ${this.name} incarnation ${this.incarnation} acted after it crashed; ` +
          "a handler kept a reference past its lifetime",
      );
    }
  }

  #diskApi(): NodeDiskApi {
    const files = this.#record.files;
    const write = (file: string, offset: number, bytes: Uint8Array, tag?: unknown) => {
      this.#checkAlive();
      this.#sim.nodeDiskWrite(this.id, file, offset, bytes, tag);
    };
    return {
      append: (file, bytes, tag) => write(file, -1, bytes, tag),
      write,
      fsync: (file, tag) => {
        this.#checkAlive();
        this.#sim.nodeDiskFsync(this.id, file, tag);
      },
      read: (file, offset, length) => files.read(file, offset, length),
      size: (file) => files.size(file),
      exists: (file) => files.exists(file),
      list: () => files.list(),
      // Metadata operations change the disk at once, so a stale incarnation must not reach them either.
      truncate: (file, length) => {
        this.#checkAlive();
        files.truncate(file, length);
      },
      rename: (from, to) => {
        this.#checkAlive();
        files.rename(from, to);
      },
      delete: (file) => {
        this.#checkAlive();
        files.delete(file);
      },
    };
  }
}
