// Proves the sibling policies' pure parts: what a read returns under each, and that a merge
// coordinator's write keeps every element of the siblings it replaces.
import assert from "node:assert/strict";
import { mergedWriteValue, readValue, resolverFor } from "./siblings.ts";
import type { Sibling } from "./versions.ts";

const sibling = (node: number, counter: number, value: string | null, wallUs = 1): Sibling => ({
  dot: { node, counter },
  context: {},
  value,
  timestamp: { wallUs, logical: 0 },
});

Deno.test("siblings: lww reads the newest, keep reads every live sibling joined by |, merge the union of elements", () => {
  const siblings = [sibling(0, 1, "a b", 5), sibling(1, 1, "c a", 3), sibling(2, 1, null, 1)];
  assert.equal(readValue(siblings, "lww", 0), "a b");
  assert.equal(readValue(siblings, "keep", 0), "a b|c a");
  assert.equal(readValue(siblings, "merge", 0), "a b c");
  assert.equal(readValue([sibling(0, 1, null)], "merge", 0), null, "a tombstone alone reads as nothing");
});

Deno.test("siblings: only last-writer-wins collapses siblings when they meet", () => {
  const siblings = [sibling(0, 1, "a", 5), sibling(1, 1, "b", 3)];
  assert.equal(resolverFor("lww")(siblings).length, 1);
  assert.equal(resolverFor("keep")(siblings).length, 2);
  assert.equal(resolverFor("merge")(siblings).length, 2);
});

Deno.test("siblings: a merge write takes in the elements of the siblings its context covers, not the others", () => {
  const siblings = [sibling(0, 1, "a"), sibling(1, 1, "b")];
  assert.equal(mergedWriteValue(siblings, { context: { 0: 1 }, value: "c" }), "a c");
  assert.equal(mergedWriteValue(siblings, { context: { 0: 1, 1: 1 }, value: "c" }), "a b c");
  assert.equal(mergedWriteValue(siblings, { context: { 0: 1 }, value: null }), null, "a delete stays a delete");
});
