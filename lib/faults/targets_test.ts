// Proves every kind of target resolves, when its fault starts, to the nodes it describes (all,
// names and ids, roles as the system reports them then, random picks of the stated size drawn from
// the seed, placement, keys), and that targets naming nothing in the cluster are refused up front.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { probeCluster, type ProbeOptions, strike } from "./_probe_cluster.ts";
import { Nemesis } from "./nemesis.ts";
import { targetCountMax } from "./targets.ts";
import type { ScheduleNode, Target } from "./types.ts";

/** The node names each target resolved to, one short isolate per target, 10 ms apart. */
function resolved(targets: (Target | undefined)[], options: ProbeOptions = {}, before: ScheduleNode[] = []) {
  const probe = probeCluster(options);
  const faults: ScheduleNode[] = targets.map((target, i) => ({
    at: 100_000 + 10_000 * i,
    fault: { kind: "isolate", ...(target === undefined ? {} : { targets: target }), durationUs: 1_000 },
  }));
  const nemesis = strike(probe, [...before, ...faults], { recoveryUs: 0 });
  probe.sim.run({ untilUs: nemesis.endUs });
  return nemesis.coverage().faults.filter((f) => f.kind === "isolate").map((f) => f.targets);
}

Deno.test('"all" (and no target) names every cluster node', () => {
  assert.deepEqual(resolved(["all", undefined]), [["n0", "n1", "n2", "n3", "n4"], ["n0", "n1", "n2", "n3", "n4"]]);
});

Deno.test("nodes are named by name or by id, each once", () => {
  assert.deepEqual(resolved([{ nodes: ["n1", 3] }, { nodes: [4, "n0"] }, { nodes: ["n2", 2] }]), [
    ["n1", "n3"],
    ["n0", "n4"],
    ["n2"],
  ]);
});

Deno.test("a role names the nodes the system reports in it when the fault starts", () => {
  // The leader is the lowest running node: n0, then n1 once n0 has crashed.
  const crashN0 = { at: 105_000, fault: { kind: "crash", targets: { nodes: ["n0"] } } };
  assert.deepEqual(resolved([{ role: "leader" }, { role: "leader" }], {}, [crashN0]), [["n0"], ["n1"]]);
});

Deno.test("random one, minority and majority of five pick 1, 2 and 3 nodes; the same seed picks the same", () => {
  const targets: Target[] = [{ random: "one" }, { random: "minority" }, { random: "majority" }, { random: 4 }];
  const picks = (seed: number) => resolved(targets, { seed });
  const first = picks(1);
  assert.deepEqual(first.map((p) => p.length), [1, 2, 3, 4]);
  for (const pick of first) assert.ok(pick.every((name) => /^n[0-4]$/.test(name)), `${pick}`);
  assert.deepEqual(picks(1), first, "same seed, same picks");
  const seen = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => JSON.stringify(picks(seed))));
  assert.ok(seen.size > 3, `eight seeds gave only ${seen.size} different picks`);
});

Deno.test("a random pick `of` a target draws from that target alone, never more than it holds", () => {
  const regions = ["eu", "eu", "us", "us", "us"];
  for (const seed of [1, 2, 3, 4, 5]) {
    const [one, majority] = resolved([
      { random: "one", of: { region: "eu" } },
      { random: "majority", of: { nodes: ["n1", "n2"] } },
    ], { seed, regions });
    assert.equal(one.length, 1);
    assert.ok(["n0", "n1"].includes(one[0]), `seed ${seed} picked ${one}`);
    assert.deepEqual(majority, ["n1", "n2"], "a majority (3) of a pool of 2 is the whole pool");
  }
});

Deno.test("region and zone name the nodes placed there", () => {
  const regions = ["eu", "eu", "us", "us", "us"];
  const zones = ["eu-1", "eu-2", "us-1", "us-1", "us-2"];
  assert.deepEqual(resolved([{ region: "us" }, { region: "eu" }, { zone: "us-1" }], { regions, zones }), [
    ["n2", "n3", "n4"],
    ["n0", "n1"],
    ["n2", "n3"],
  ]);
});

Deno.test("a key names the nodes the system reports holding it", () => {
  // The probe places a key on node (key length mod 5).
  assert.deepEqual(resolved([{ key: "abc" }, { key: "abcdef" }]), [["n3"], ["n1"]]);
});

Deno.test("targets naming nothing in this cluster are refused before the run, each with what exists", () => {
  const probe = probeCluster({ regions: ["eu", "eu", "us", "us", "us"] });
  const refuse = (targets: unknown, pattern: RegExp) =>
    assert.throws(
      () => new Nemesis({ ...probe, schedule: { faults: [{ fault: { kind: "isolate", targets } as never }] } }),
      (e: Error) => e instanceof InputError && pattern.test(e.message),
      String(pattern),
    );
  refuse({ region: "ap" }, /targets\.region: no cluster node in region "ap"; regions: eu, us/);
  refuse({ zone: "eu-1" }, /targets\.zone: no cluster node in zone "eu-1"; zones: none/);
  refuse({ random: 6 }, /targets\.random: must be one, minority, majority or a count from 1 to 5; got 6/);
  refuse({ random: "one", of: { nodes: [] } }, /targets\.of\.nodes: must be a non-empty list/);
  refuse({ nodes: [7] }, /targets\.nodes\[0\]: no node 7/);
  refuse({ region: "eu", zone: "eu-1" }, /exactly one of nodes, role, random, region, zone, key; got region, zone/);
  refuse("most", /a target is "all" or an object/);
  const keyless = { ...probe, cluster: { nodes: probe.cluster.nodes } };
  assert.throws(
    () => new Nemesis({ ...keyless, schedule: { faults: [{ fault: { kind: "isolate", targets: { key: "x" } } }] } }),
    /targets\.key: this system does not report which nodes hold a key/,
  );
});

Deno.test("the most nodes a target can name is exact when fixed and the cluster's size when the run decides", () => {
  const { sim, cluster } = probeCluster({ regions: ["eu", "eu", "us", "us", "us"] });
  const count = (target: Target | undefined) => targetCountMax(target, sim, cluster);
  assert.equal(count(undefined), 5);
  assert.equal(count({ nodes: ["n1", 1, "n2"] }), 2);
  assert.equal(count({ region: "us" }), 3);
  assert.equal(count({ random: "minority" }), 2);
  assert.equal(count({ random: "majority", of: { region: "eu" } }), 2);
  assert.equal(count({ role: "leader" }), 5);
  assert.equal(count({ key: "x" }), 5);
});
