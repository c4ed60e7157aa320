/**
 * The simulated network: per-link latency, loss, duplication, reordering, bandwidth and
 * partitions of any shape (including one-way), with counts of messages and bytes per link.
 *
 * Links are directed. Each link's settings are resolved once, when the link is first used, from
 * the defaults by placement (same zone, cross zone, cross region, or a named region pair), and can
 * then be changed per link or per node by the kernel's fault hooks. A blocked link drops what is
 * sent on it and what was in flight on it when it was cut, as a real partition does.
 *
 * @example
 * ```ts
 * import { Network } from "./network.ts";
 * import { Rng } from "./rng.ts";
 * const network = new Network({ lossProbability: 0.01 }, Rng.fromSeed(7).fork("network"));
 * const a = network.addEndpoint({ region: "eu", zone: "eu-1" });
 * const b = network.addEndpoint({ region: "us", zone: "us-1" });
 * network.block(a, b); // one-way: b can still reach a
 * ```
 * @module
 */
import { checkNumber, InputError } from "../assert.ts";
import { type Distribution, distribution, type DistributionSpec } from "./distributions.ts";
import type { Rng } from "../base/mod.ts";

/** Settings that can be changed on a link at run time. */
export interface LinkOptions {
  /** One-way latency in microseconds. */
  latencyUs: DistributionSpec;
  /** Probability that a message is lost. Default 0. */
  lossProbability: number;
  /** Probability that a message is delivered twice. Default 0. */
  duplicateProbability: number;
  /** Probability that a message is held back by an extra delay, overtaking its successors. Default 0. */
  reorderProbability: number;
  /** The largest extra delay of a reordered message. Default 10 000 us. */
  reorderDelayUsMax: number;
  /** Serialisation bandwidth; 0 means unlimited (size adds no delay). Default 0. */
  bandwidthBytesPerSecond: number;
  /** Extra latency added to every message, for degraded links. Default 0. */
  extraLatencyUs: number;
}

/** Network-wide defaults. */
export interface NetworkOptions extends Partial<Omit<LinkOptions, "latencyUs">> {
  /** Latency within a zone (and between nodes with no placement). Default uniform 200-400 us. */
  latencyUs?: DistributionSpec;
  /** Latency between zones of one region. Default lognormal, median 1 ms. */
  latencyUsCrossZone?: DistributionSpec;
  /** Latency between regions, unless a pair is named in `latencyUsByRegionPair`. Default lognormal, median 40 ms. */
  latencyUsCrossRegion?: DistributionSpec;
  /** Latency for named region pairs, keyed `"a|b"` (either order). */
  latencyUsByRegionPair?: Record<string, DistributionSpec>;
  /**
   * A one-way latency for a message by what it carries, drawn from `rng`, replacing the link's
   * latency draw (loss, bandwidth, reordering and extra latency still apply); undefined: the link's
   * draw. For models whose delays differ by message kind, as PBS's WARS gives a write, its
   * acknowledgement, a read and its response each their own distribution. Default none.
   */
  latencyUsOfMessage?: (message: unknown, rng: Rng) => number | undefined;
}

/** Where an endpoint sits; nodes without placement share one anonymous zone. */
export interface Placement {
  region?: string;
  zone?: string;
}

/** A directed link's live settings and counters. */
export class LinkState {
  latency: Distribution;
  lossProbability: number;
  duplicateProbability: number;
  reorderProbability: number;
  reorderDelayUsMax: number;
  bandwidthBytesPerSecond: number;
  extraLatencyUs: number;
  blocked = false;
  /** How many times the link has been cut; messages sent before a cut are dropped on arrival. */
  cuts = 0;
  /** When the link finishes sending what it already accepted (bandwidth model). */
  busyUntilUs = 0;
  sent = 0;
  delivered = 0;
  dropped = 0;
  duplicated = 0;
  bytesSent = 0;
  bytesDelivered = 0;

  constructor(latency: Distribution, options: Omit<LinkOptions, "latencyUs">) {
    this.latency = latency;
    this.lossProbability = options.lossProbability;
    this.duplicateProbability = options.duplicateProbability;
    this.reorderProbability = options.reorderProbability;
    this.reorderDelayUsMax = options.reorderDelayUsMax;
    this.bandwidthBytesPerSecond = options.bandwidthBytesPerSecond;
    this.extraLatencyUs = options.extraLatencyUs;
  }
}

/** Counters of one directed link, as reported by {@linkcode Network.linkStats}. */
export interface LinkStats {
  from: number;
  to: number;
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  bytesSent: number;
  bytesDelivered: number;
}

const linkDefaults: Omit<LinkOptions, "latencyUs"> = {
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayUsMax: 10_000,
  bandwidthBytesPerSecond: 0,
  extraLatencyUs: 0,
};

const optionNames = [
  "latencyUs",
  "latencyUsCrossZone",
  "latencyUsCrossRegion",
  "latencyUsByRegionPair",
  "latencyUsOfMessage",
  ...Object.keys(linkDefaults),
];

/** The network between all endpoints of one simulation. */
export class Network {
  readonly rng: Rng;
  #placements: Placement[] = [];
  #links: (LinkState | undefined)[][] = [];
  #defaults: Omit<LinkOptions, "latencyUs">;
  #latencySameZone: Distribution;
  #latencyCrossZone: Distribution;
  #latencyCrossRegion: Distribution;
  #latencyByRegionPair = new Map<string, Distribution>();
  readonly #latencyUsOfMessage: ((message: unknown, rng: Rng) => number | undefined) | undefined;

  constructor(options: NetworkOptions, rng: Rng) {
    for (const name of Object.keys(options)) {
      if (!optionNames.includes(name)) {
        throw new InputError(`unknown network option ${JSON.stringify(name)}; allowed: ${optionNames.join(", ")}`);
      }
    }
    this.rng = rng;
    const { latencyUsOfMessage, ...linkOptions } = options;
    if (latencyUsOfMessage !== undefined && typeof latencyUsOfMessage !== "function") {
      throw new InputError("network.latencyUsOfMessage must be a function of (message, rng)");
    }
    this.#latencyUsOfMessage = latencyUsOfMessage;
    this.#defaults = checkLinkOptions({ ...linkDefaults, ...linkOptions }, "network");
    this.#latencySameZone = distribution(options.latencyUs ?? { kind: "uniform", min: 200, max: 400 });
    this.#latencyCrossZone = distribution(
      options.latencyUsCrossZone ?? { kind: "lognormal", median: 1000, sigma: 0.2 },
    );
    this.#latencyCrossRegion = distribution(
      options.latencyUsCrossRegion ?? { kind: "lognormal", median: 40_000, sigma: 0.1 },
    );
    for (const [pair, spec] of Object.entries(options.latencyUsByRegionPair ?? {})) {
      const regions = pair.split("|");
      if (regions.length !== 2) {
        throw new InputError(`latencyUsByRegionPair key ${JSON.stringify(pair)} must look like "a|b"`);
      }
      const latency = distribution(spec);
      this.#latencyByRegionPair.set(`${regions[0]}|${regions[1]}`, latency);
      this.#latencyByRegionPair.set(`${regions[1]}|${regions[0]}`, latency);
    }
  }

  /** Number of endpoints. */
  get size(): number {
    return this.#placements.length;
  }

  /** Adds an endpoint and returns its index (the node id). */
  addEndpoint(placement: Placement): number {
    this.#placements.push({ ...placement });
    for (const row of this.#links) row.push(undefined);
    this.#links.push(new Array(this.#placements.length).fill(undefined));
    return this.#placements.length - 1;
  }

  /** The placement of an endpoint. */
  placement(node: number): Readonly<Placement> {
    this.#checkEndpoint(node);
    return this.#placements[node];
  }

  /** The live state of the directed link `from -> to`, created on first use. */
  link(from: number, to: number): LinkState {
    return this.#links[from][to] ?? this.#createLink(from, to);
  }

  /**
   * The arrival time of a message of `sizeBytes` put on `link` at `nowUs`: latency, plus queueing
   * behind earlier messages when bandwidth is limited, plus a reordering delay when drawn. The
   * latency is the message's own when `latencyUsOfMessage` gives one.
   */
  arrivalUs(link: LinkState, nowUs: number, sizeBytes: number, message?: unknown): number {
    let departUs = nowUs;
    if (link.bandwidthBytesPerSecond > 0) {
      const startUs = link.busyUntilUs > nowUs ? link.busyUntilUs : nowUs;
      departUs = startUs + Math.ceil((sizeBytes * 1e6) / link.bandwidthBytesPerSecond);
      link.busyUntilUs = departUs;
    }
    const ownUs = this.#latencyUsOfMessage?.(message, this.rng);
    if (ownUs !== undefined && !(ownUs >= 0)) {
      throw new InputError(`network.latencyUsOfMessage gave ${ownUs}; a latency is a non-negative number of us`);
    }
    let delayUs = (ownUs ?? link.latency.sample(this.rng)) + link.extraLatencyUs;
    if (link.reorderProbability > 0 && this.rng.next() < link.reorderProbability) {
      delayUs += this.rng.next() * link.reorderDelayUsMax;
    }
    return departUs + Math.max(0, Math.round(delayUs));
  }

  /** Changes settings of the directed link `from -> to`. */
  configureLink(from: number, to: number, options: Partial<LinkOptions>): void {
    this.#checkEndpoint(from);
    this.#checkEndpoint(to);
    const link = this.link(from, to);
    const checked = checkLinkOptions({ ...link, ...options } as unknown as Omit<LinkOptions, "latencyUs">, "link");
    if (options.latencyUs !== undefined) link.latency = distribution(options.latencyUs);
    link.lossProbability = checked.lossProbability;
    link.duplicateProbability = checked.duplicateProbability;
    link.reorderProbability = checked.reorderProbability;
    link.reorderDelayUsMax = checked.reorderDelayUsMax;
    link.bandwidthBytesPerSecond = checked.bandwidthBytesPerSecond;
    link.extraLatencyUs = checked.extraLatencyUs;
  }

  /** Restores a link's settings to the defaults for its placement (keeps counters and blocks). */
  resetLink(from: number, to: number): void {
    const fresh = this.#createDetached(from, to);
    const link = this.link(from, to);
    link.latency = fresh.latency;
    link.lossProbability = fresh.lossProbability;
    link.duplicateProbability = fresh.duplicateProbability;
    link.reorderProbability = fresh.reorderProbability;
    link.reorderDelayUsMax = fresh.reorderDelayUsMax;
    link.bandwidthBytesPerSecond = fresh.bandwidthBytesPerSecond;
    link.extraLatencyUs = fresh.extraLatencyUs;
  }

  /** Cuts the directed link `from -> to` (one-way: `to -> from` still works). */
  block(from: number, to: number): void {
    this.#checkEndpoint(from);
    this.#checkEndpoint(to);
    const link = this.link(from, to);
    if (!link.blocked) link.cuts++;
    link.blocked = true;
  }

  /** Restores the directed link `from -> to`. */
  unblock(from: number, to: number): void {
    this.#checkEndpoint(from);
    this.#checkEndpoint(to);
    this.link(from, to).blocked = false;
  }

  /** Whether `from -> to` is cut. */
  isBlocked(from: number, to: number): boolean {
    return this.#links[from]?.[to]?.blocked ?? false;
  }

  /**
   * Cuts every link between different groups, both ways. Nodes in no group keep all their links.
   *
   * @example `partition([[0, 1], [2, 3, 4]])` separates a minority from a majority.
   */
  partition(groups: number[][]): void {
    const groupOf = new Map<number, number>();
    groups.forEach((group, g) =>
      group.forEach((node) => {
        this.#checkEndpoint(node);
        if (groupOf.has(node)) throw new InputError(`node ${node} is in two partition groups`);
        groupOf.set(node, g);
      })
    );
    for (const [a, ga] of groupOf) {
      for (const [b, gb] of groupOf) if (ga !== gb) this.block(a, b);
    }
  }

  /** Unblocks every link. */
  healAll(): void {
    for (const row of this.#links) for (const link of row) if (link) link.blocked = false;
  }

  /** Counters of every link that carried traffic, ordered by (from, to). */
  linkStats(): LinkStats[] {
    const stats: LinkStats[] = [];
    this.#links.forEach((row, from) =>
      row.forEach((link, to) => {
        if (link === undefined || link.sent === 0) return;
        const { sent, delivered, dropped, duplicated, bytesSent, bytesDelivered } = link;
        stats.push({ from, to, sent, delivered, dropped, duplicated, bytesSent, bytesDelivered });
      })
    );
    return stats;
  }

  #createLink(from: number, to: number): LinkState {
    this.#checkEndpoint(from);
    this.#checkEndpoint(to);
    const link = this.#createDetached(from, to);
    this.#links[from][to] = link;
    return link;
  }

  #createDetached(from: number, to: number): LinkState {
    return new LinkState(this.#latencyFor(this.#placements[from], this.#placements[to]), this.#defaults);
  }

  #latencyFor(a: Placement, b: Placement): Distribution {
    if ((a.region ?? "") !== (b.region ?? "")) {
      return this.#latencyByRegionPair.get(`${a.region}|${b.region}`) ?? this.#latencyCrossRegion;
    }
    return (a.zone ?? "") === (b.zone ?? "") ? this.#latencySameZone : this.#latencyCrossZone;
  }

  #checkEndpoint(node: number): void {
    if (!Number.isInteger(node) || node < 0 || node >= this.#placements.length) {
      throw new InputError(`no node ${node}: node ids run from 0 to ${this.#placements.length - 1}`);
    }
  }
}

function checkLinkOptions(
  options: Omit<LinkOptions, "latencyUs">,
  where: string,
): Omit<LinkOptions, "latencyUs"> {
  const probability = { min: 0, max: 1 };
  checkNumber(`${where}.lossProbability`, options.lossProbability, probability);
  checkNumber(`${where}.duplicateProbability`, options.duplicateProbability, probability);
  checkNumber(`${where}.reorderProbability`, options.reorderProbability, probability);
  checkNumber(`${where}.reorderDelayUsMax`, options.reorderDelayUsMax, { min: 0 });
  checkNumber(`${where}.bandwidthBytesPerSecond`, options.bandwidthBytesPerSecond, { min: 0 });
  checkNumber(`${where}.extraLatencyUs`, options.extraLatencyUs, { min: 0 });
  return options;
}
