// Proves the view service's policy, one rule at a time: a view changes only once its primary has
// acknowledged it, a failed primary's backup is promoted, a lone primary is waited for, and a
// restarted member that cannot take its old view again gets a new number.
import assert from "node:assert/strict";
import { type Health, nextView } from "./view_service.ts";
import type { View } from "./types.ts";

const servers = [1, 2, 3];
const view = (number: number, primary: number, backup: number, acknowledged = true): View => ({
  number,
  primary,
  backup,
  acknowledged,
});
const healthOf = (health: Record<number, Health>) => (server: number) => health[server] ?? "up";

Deno.test("nextView() makes the first live server primary of view 1, alone", () => {
  assert.deepEqual(nextView(view(0, -1, -1, false), servers, healthOf({ 1: "down" })), view(1, 2, -1, false));
});

Deno.test("nextView() adds a live spare as backup to a lone acknowledged primary", () => {
  assert.deepEqual(nextView(view(1, 1, -1), servers, healthOf({})), view(2, 1, 2, false));
});

Deno.test("nextView() keeps a healthy view", () => {
  assert.equal(nextView(view(4, 1, 2), servers, healthOf({})), undefined);
});

Deno.test("nextView() promotes the backup when the primary is down or rejoining, with a spare as backup", () => {
  assert.deepEqual(nextView(view(4, 1, 2), servers, healthOf({ 1: "down" })), view(5, 2, 3, false));
  assert.deepEqual(nextView(view(4, 1, 2), servers, healthOf({ 1: "rejoining" })), view(5, 2, 3, false));
});

Deno.test("nextView() promotes the backup even when no spare is left, serving alone", () => {
  assert.deepEqual(nextView(view(4, 1, 2), servers, healthOf({ 1: "down", 3: "down" })), view(5, 2, -1, false));
});

Deno.test("nextView() changes nothing before the primary acknowledges, even when the primary is down", () => {
  assert.equal(nextView(view(4, 1, 2, false), servers, healthOf({ 1: "down" })), undefined);
});

Deno.test("nextView() re-issues an unacknowledged view when a member rejoins, so it can take its role again", () => {
  assert.deepEqual(nextView(view(4, 1, 2, false), servers, healthOf({ 2: "rejoining" })), view(5, 1, 2, false));
});

Deno.test("nextView() waits for a lone primary that is down: it holds the only copy", () => {
  assert.equal(nextView(view(4, 1, -1), servers, healthOf({ 1: "down" })), undefined);
  assert.deepEqual(nextView(view(4, 1, -1), servers, healthOf({ 1: "rejoining" })), view(5, 1, 2, false));
});

Deno.test("nextView() replaces a failed backup with a spare", () => {
  assert.deepEqual(nextView(view(4, 1, 2), servers, healthOf({ 2: "down" })), view(5, 1, 3, false));
});
