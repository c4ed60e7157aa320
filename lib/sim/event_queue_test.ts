// Proves the event queue pops events in (time, insertion order) order, at any size.
import assert from "node:assert/strict";
import { EventQueue } from "./event_queue.ts";
import { Rng } from "./rng.ts";

/** Pops everything and returns the payloads in pop order. */
function drain(queue: EventQueue): unknown[] {
  const popped: unknown[] = [];
  while (queue.size > 0) {
    const slot = queue.pop();
    popped.push(queue.payload[slot]);
    queue.release(slot);
  }
  return popped;
}

Deno.test("events pop in time order, and events at the same time pop in insertion order", () => {
  const queue = new EventQueue();
  queue.push(30, 1, 0, 0, 0, "c");
  queue.push(10, 1, 0, 0, 0, "a1");
  queue.push(20, 1, 0, 0, 0, "b");
  queue.push(10, 1, 0, 0, 0, "a2");
  queue.push(10, 1, 0, 0, 0, "a3");
  assert.equal(queue.peekTimeUs(), 10);
  assert.deepEqual(drain(queue), ["a1", "a2", "a3", "b", "c"]);
  assert.equal(queue.peekTimeUs(), Infinity);
});

Deno.test("a popped slot keeps its fields readable until it is released", () => {
  const queue = new EventQueue();
  queue.push(7, 3, 5, 42, 2, "payload");
  const slot = queue.pop();
  assert.equal(queue.timeUs[slot], 7);
  assert.equal(queue.kind[slot], 3);
  assert.equal(queue.node[slot], 5);
  assert.equal(queue.arg[slot], 42);
  assert.equal(queue.incarnation[slot], 2);
  assert.equal(queue.payload[slot], "payload");
  queue.release(slot);
  assert.equal(queue.payload[slot], undefined);
});

Deno.test("popping an empty queue fails loudly", () => {
  assert.throws(() => new EventQueue().pop(), /empty event queue/);
});

Deno.test("many random interleaved pushes and pops come out sorted by (time, insertion order)", () => {
  const rng = Rng.fromSeed(3).fork("queue-test");
  const queue = new EventQueue();
  let sequence = 0;
  let last = { timeUs: -1, sequence: -1 };
  let nowUs = 0;
  let popped = 0;
  const check = () => {
    const slot = queue.pop();
    const item = queue.payload[slot] as { timeUs: number; sequence: number };
    assert.equal(queue.timeUs[slot], item.timeUs);
    const inOrder = item.timeUs > last.timeUs || (item.timeUs === last.timeUs && item.sequence > last.sequence);
    assert.ok(inOrder, `popped ${JSON.stringify(item)} after ${JSON.stringify(last)}`);
    last = item;
    nowUs = item.timeUs;
    popped++;
    queue.release(slot);
  };
  for (let i = 0; i < 20_000; i++) {
    // Events are never scheduled in the past, as in the kernel; small ranges force many ties.
    const timeUs = nowUs + rng.int(0, 50);
    queue.push(timeUs, 1, 0, 0, 0, { timeUs, sequence: sequence++ });
    if (rng.bernoulli(0.45)) check();
  }
  while (queue.size > 0) check();
  assert.equal(popped, 20_000);
});

Deno.test("the queue grows past its initial capacity and keeps every event and its fields", () => {
  const queue = new EventQueue();
  const count = 5000; // well past the initial 1024 slots
  for (let i = 0; i < count; i++) queue.push(count - i, 1, i, i * 2, 0, i);
  assert.equal(queue.size, count);
  for (let i = count - 1; i >= 0; i--) {
    const slot = queue.pop();
    assert.equal(queue.payload[slot], i);
    assert.equal(queue.node[slot], i);
    assert.equal(queue.arg[slot], i * 2);
    assert.equal(queue.timeUs[slot], count - i);
    queue.release(slot);
  }
  assert.equal(queue.size, 0);
});

Deno.test("released slots are reused, so a steady queue does not keep allocating slots", () => {
  const queue = new EventQueue();
  const slots = new Set<number>();
  for (let i = 0; i < 3000; i++) {
    queue.push(i, 1, 0, 0, 0, i);
    const slot = queue.pop();
    slots.add(slot);
    queue.release(slot);
  }
  assert.equal(slots.size, 1);
  assert.equal(queue.kind.length, 1024);
});
