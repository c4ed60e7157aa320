/**
 * Reference-counted link cuts, so overlapping partitions compose: a link cut by two faults stays
 * cut until both have healed.
 *
 * @module
 */
import type { Network } from "../sim/network.ts";

/** Directed links cut by active faults, with how many faults cut each. */
export class LinkCuts {
  #counts = new Map<string, number>();

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
}
