// Proves per-key time to live on Raft's key-value store, expired as etcd expires leases: the leader
// proposes an `expire` entry once a key's TTL has passed on its clock, and every server deletes the
// key when it applies that entry, at the same index. So a key disappears about its TTL after the
// write, every replica's state agrees, a leader change does not lose the expiry (the new leader
// starts the key's TTL again and expires it), and a key rewritten before its deadline stays.
import assert from "node:assert/strict";
import { ScriptedCluster } from "./experiments/mod.ts";
import { KvStateMachine } from "./kv.ts";

const ttlUs = 300_000;

/** The log indexes of the expire entries of `key` in each server's log. */
function expireIndexes(cluster: ScriptedCluster, key: string): number[][] {
  return cluster.servers.map((server) => {
    const log = cluster.raft(server).log;
    const found: number[] = [];
    for (let index = log.firstIndex; index <= log.lastIndex; index++) {
      const command = log.entry(index).command;
      if (command.kind === "expire" && command.key === key) found.push(index);
    }
    return found;
  });
}

const holds = (cluster: ScriptedCluster, server: number, key: string) => cluster.raft(server).kv.data.has(key);

Deno.test("raft ttl: a key written with a time to live disappears from every replica about its TTL later, at one log index", () => {
  for (const seed of [1, 2, 3]) {
    const cluster = new ScriptedCluster({ voters: 3, seed, config: { snapshotEveryEntries: 0 } });
    const client = cluster.addClient("client");
    const other = cluster.addClient("other");
    cluster.start();
    const leader = cluster.electLeader();
    cluster.request(client, leader, "put", "v1", "k", ttlUs);
    cluster.request(other, leader, "put", "forever", "other");
    cluster.runUntil("both answered", () => client.open === undefined && other.open === undefined, 200_000);
    const writtenUs = cluster.sim.nowUs;
    cluster.runFor(ttlUs - 60_000);
    for (const server of cluster.servers) assert.ok(holds(cluster, server, "k"), `seed ${seed}: k before its TTL`);
    const gone = () => cluster.servers.every((server) => !holds(cluster, server, "k"));
    cluster.runUntil("k expired everywhere", gone, 200_000);
    const expiredAfterUs = cluster.sim.nowUs - writtenUs;
    assert.ok(
      expiredAfterUs >= ttlUs - 60_000 && expiredAfterUs <= ttlUs + 150_000,
      `seed ${seed}: ${expiredAfterUs} µs`,
    );
    for (const server of cluster.servers) assert.equal(cluster.raft(server).kv.read("other"), "forever");
    const indexes = expireIndexes(cluster, "k");
    assert.equal(indexes[0].length, 1, `seed ${seed}: one expire entry`);
    for (const found of indexes) assert.deepEqual(found, indexes[0], `seed ${seed}: the same index on every server`);
    const states = cluster.servers.map((server) => cluster.raft(server).kv.snapshot());
    for (const state of states) assert.equal(state, states[0], `seed ${seed}: every replica's state is the same`);
  }
});

Deno.test("raft ttl: the leader that wrote a key is cut off before its TTL passes; the new leader expires it, the old one cannot", () => {
  for (const seed of [1, 2, 3]) {
    const cluster = new ScriptedCluster({ voters: 3, seed, config: { snapshotEveryEntries: 0 } });
    const client = cluster.addClient("client");
    cluster.start();
    const oldLeader = cluster.electLeader();
    cluster.request(client, oldLeader, "put", "v1", "k", ttlUs);
    cluster.runUntil("answered", () => client.open === undefined, 200_000);
    cluster.runFor(50_000); // the followers learn the commit index: they have applied the put
    cluster.isolate(oldLeader);
    const successor = () => cluster.servers.find((s) => s !== oldLeader && cluster.leadsCommitted(s));
    cluster.runUntil("a new leader", () => successor() !== undefined, 2_000_000);
    const newLeader = successor()!;
    const electedUs = cluster.sim.nowUs;
    const others = cluster.servers.filter((server) => server !== oldLeader);
    cluster.runUntil("k expired on the majority", () => others.every((s) => !holds(cluster, s, "k")), ttlUs + 200_000);
    // The new leader started the TTL again at its election: a key never expires early.
    assert.ok(
      cluster.sim.nowUs - electedUs >= ttlUs,
      `seed ${seed}: expired ${cluster.sim.nowUs - electedUs} µs after the election`,
    );
    assert.ok(holds(cluster, oldLeader, "k"), `seed ${seed}: the cut-off leader could not commit an expiry alone`);
    assert.equal(cluster.raft(newLeader).kv.read("k"), "");
    cluster.isolate(oldLeader, false);
    cluster.runUntil("the old leader caught up", () => !holds(cluster, oldLeader, "k"), 1_000_000);
    const applied = expireIndexes(cluster, "k").map((found) =>
      found.filter((i) => i <= cluster.raft(newLeader).commit)
    );
    for (const found of applied) {
      assert.deepEqual(found, applied[0], `seed ${seed}: the same committed expire everywhere`);
    }
  }
});

Deno.test("raft ttl: an expire of an older write does nothing to a key rewritten since, with or without a TTL", () => {
  const kv = new KvStateMachine();
  let seq = 0;
  const put = (value: string, ttl?: number) =>
    kv.apply({ kind: "op", clientId: 1, seq: ++seq, f: "put", key: "k", value, ...(ttl ? { ttlUs: ttl } : {}) });
  put("a", 1_000);
  const first = kv.leaseOf("k")!;
  put("b");
  assert.equal(kv.leaseOf("k"), undefined, "a write without a TTL clears the key's");
  kv.apply({ kind: "expire", key: "k", version: first.version });
  assert.equal(kv.read("k"), "b");
  put("c", 2_000);
  kv.apply({ kind: "expire", key: "k", version: first.version });
  assert.equal(kv.read("k"), "c");
  kv.apply({ kind: "expire", key: "k", version: kv.leaseOf("k")!.version });
  assert.equal(kv.read("k"), "");
  assert.deepEqual([...kv.leases()], []);
});
