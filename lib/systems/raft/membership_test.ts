// Proves the membership arithmetic: which changes apply, and that the configuration follows the
// log through appends, truncation, compaction and snapshot installs (§4.1 of Ongaro's thesis).
import assert from "node:assert/strict";
import { applyChange, MembershipLog } from "./membership.ts";
import type { Entry } from "./types.ts";

const config = (index: number, term: number, voters: number[], learners: number[] = []): Entry => ({
  index,
  term,
  command: { kind: "config", voters, learners },
});
const noop = (index: number, term: number): Entry => ({ index, term, command: { kind: "noop" } });

Deno.test("membership: a server joins as a learner, is promoted to voter, and can be removed", () => {
  const joined = applyChange({ voters: [0, 1, 2], learners: [] }, { change: "add", server: 3 });
  assert.deepEqual(joined, { voters: [0, 1, 2], learners: [3] });
  const promoted = applyChange(joined, { change: "promote", server: 3 });
  assert.deepEqual(promoted, { voters: [0, 1, 2, 3], learners: [] });
  assert.deepEqual(applyChange(promoted, { change: "remove", server: 0 }), { voters: [1, 2, 3], learners: [] });
});

Deno.test("membership: changes that do not apply are refused, naming the server and why", () => {
  const m = { voters: [0, 1], learners: [2] };
  assert.throws(() => applyChange(m, { change: "add", server: 1 }), /server 1 is already a voter/);
  assert.throws(() => applyChange(m, { change: "add", server: 2 }), /server 2 is already a learner/);
  assert.throws(() => applyChange(m, { change: "promote", server: 0 }), /server 0 is not a learner/);
  assert.throws(() => applyChange(m, { change: "remove", server: 7 }), /server 7 is not a member/);
  assert.throws(() => applyChange({ voters: [4], learners: [] }, { change: "remove", server: 4 }), /last voter/);
});

Deno.test("membership: the latest config entry is in force as soon as it is appended, committed or not", () => {
  const log = new MembershipLog({ voters: [0, 1, 2], learners: [] });
  log.appended([noop(1, 1), config(2, 1, [0, 1, 2], [3]), noop(3, 1)]);
  assert.deepEqual(log.current, { voters: [0, 1, 2], learners: [3] });
  assert.equal(log.latestIndex, 2);
  assert.deepEqual(log.at(1), { voters: [0, 1, 2], learners: [] });
});

Deno.test("membership: a config entry truncated by a new leader's log is undone", () => {
  const log = new MembershipLog({ voters: [0, 1, 2], learners: [] });
  log.appended([config(2, 1, [0, 1], [])]);
  const version = log.version;
  // A leader of term 2 overwrites index 2 on: the removal never happened.
  log.appended([noop(2, 2)]);
  assert.deepEqual(log.current, { voters: [0, 1, 2], learners: [] });
  assert.ok(log.version > version, "callers caching peers must see the change");
});

Deno.test("membership: compaction keeps the configuration in force at the snapshot as the base", () => {
  const log = new MembershipLog({ voters: [0, 1, 2], learners: [] });
  log.appended([config(5, 1, [0, 1, 2], [3]), config(9, 1, [0, 1, 2, 3], [])]);
  log.compacted(7);
  assert.deepEqual(log.at(7), { voters: [0, 1, 2], learners: [3] });
  assert.deepEqual(log.current, { voters: [0, 1, 2, 3], learners: [] });
  log.compacted(20);
  assert.equal(log.latestIndex, 20);
  assert.deepEqual(log.current, { voters: [0, 1, 2, 3], learners: [] });
});

Deno.test("membership: an installed snapshot replaces the configuration, keeping later entries only if the log agreed", () => {
  const log = new MembershipLog({ voters: [0, 1, 2], learners: [] });
  log.appended([config(12, 2, [0, 1], [])]);
  log.installed(10, { voters: [0, 1, 2, 3], learners: [] }, true);
  assert.deepEqual(log.current, { voters: [0, 1], learners: [] }, "the entry after the snapshot still holds");
  log.installed(15, { voters: [1, 2, 3], learners: [] }, false);
  assert.deepEqual(log.current, { voters: [1, 2, 3], learners: [] });
});
