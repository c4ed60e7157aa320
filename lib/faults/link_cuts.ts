/**
 * Reference-counted link cuts, so overlapping partitions compose: a link cut by two faults stays
 * cut until both have healed. Link degradations are layered the same way: each fault's settings
 * sit on top of the link's own, and a heal removes only its layer, whatever the order of heals.
 *
 * @module
 */
import type { LinkOptions, Network } from "../sim/mod.ts";

/** The link settings a degradation may change. */
export const degradableFields = [
  "extraLatencyUs",
  "lossProbability",
  "duplicateProbability",
  "reorderProbability",
  "reorderDelayUsMax",
] as const;

/** A change to a link's degradable settings. */
export type LinkDegradation = Partial<Pick<LinkOptions, (typeof degradableFields)[number]>>;

interface DegradedLink {
  /** The link's settings before the first active degradation. */
  base: LinkDegradation;
  /** Active degradations in the order they started; a later one wins on a field both set. */
  layers: { owner: number; change: LinkDegradation }[];
}

/** Directed links cut by active faults, with how many faults cut each. */
export class LinkCuts {
  #counts = new Map<string, number>();
  #degraded = new Map<string, DegradedLink>();

  constructor(private readonly network: Network) {}

  /** Cuts `from -> to` for one more fault. */
  cut(from: number, to: number): void {
    if (from === to) return;
    const key = `${from}>${to}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    this.network.block(from, to);
  }

  /** Releases one fault's cut of `from -> to`; the link works again when no fault holds it. */
  release(from: number, to: number): void {
    if (from === to) return;
    const key = `${from}>${to}`;
    const count = (this.#counts.get(key) ?? 0) - 1;
    if (count > 0) {
      this.#counts.set(key, count);
      return;
    }
    this.#counts.delete(key);
    this.network.unblock(from, to);
  }

  /** Cuts every link between different groups, both ways; returns the links cut, to release later. */
  cutBetween(groups: number[][]): [number, number][] {
    const links: [number, number][] = [];
    groups.forEach((a, i) =>
      groups.forEach((b, j) => {
        if (i === j) return;
        for (const from of a) for (const to of b) if (from !== to) links.push([from, to]);
      })
    );
    for (const [from, to] of links) this.cut(from, to);
    return links;
  }

  /** Releases a list of links cut earlier. */
  releaseAll(links: [number, number][]): void {
    for (const [from, to] of links) this.release(from, to);
  }

  /** Adds `owner`'s degradation of `from -> to` on top of any already active. */
  degrade(from: number, to: number, owner: number, change: LinkDegradation): void {
    if (from === to) return;
    const key = `${from}>${to}`;
    let entry = this.#degraded.get(key);
    if (entry === undefined) {
      const link = this.network.link(from, to);
      const base: LinkDegradation = {};
      for (const field of degradableFields) base[field] = link[field];
      entry = { base, layers: [] };
      this.#degraded.set(key, entry);
    }
    entry.layers.push({ owner, change });
    this.network.configureLink(from, to, Object.assign({}, entry.base, ...entry.layers.map((l) => l.change)));
  }

  /** Removes `owner`'s degradation of `from -> to`; the link returns to its own settings when none is left. */
  restore(from: number, to: number, owner: number): void {
    if (from === to) return;
    const key = `${from}>${to}`;
    const entry = this.#degraded.get(key);
    if (entry === undefined) return;
    entry.layers = entry.layers.filter((layer) => layer.owner !== owner);
    if (entry.layers.length === 0) this.#degraded.delete(key);
    this.network.configureLink(from, to, Object.assign({}, entry.base, ...entry.layers.map((l) => l.change)));
  }
}
