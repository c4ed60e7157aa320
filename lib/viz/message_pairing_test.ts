// Proves how a trace's sends pair with deliveries and drops: in order per link by default
// (approximate under reordering and loss at sending, with every event still accounted for), exactly
// with a message key, on hand-written traces and on a real simulated run.
import assert from "node:assert/strict";
import type { TraceEvent } from "../sim/trace.ts";
import { pairMessages } from "./message_pairing.ts";
import { gossipRun } from "./_testing.ts";

const send = (timeUs: number, from: number, to: number, detail: unknown = null): TraceEvent => ({
  timeUs,
  kind: "send",
  node: from,
  peer: to,
  detail,
});
const deliver = (timeUs: number, from: number, to: number, detail: unknown = null): TraceEvent => ({
  timeUs,
  kind: "deliver",
  node: to,
  peer: from,
  detail,
});
const drop = (timeUs: number, from: number, to: number, detail: unknown = null): TraceEvent => ({
  timeUs,
  kind: "drop",
  node: from,
  peer: to,
  detail,
});

Deno.test("pairMessages() pairs sends with deliveries in order per link", () => {
  const paired = pairMessages([
    send(0, 0, 1),
    send(0, 0, 2),
    send(10, 0, 1),
    deliver(100, 0, 2),
    deliver(120, 0, 1),
    deliver(130, 0, 1),
    { timeUs: 140, kind: "timer", node: 1, peer: -1, detail: "tick" },
  ]);
  assert.deepEqual(paired, {
    messages: [
      { fromNode: 0, toNode: 1, sendUs: 0, endUs: 120, outcome: "delivered" },
      { fromNode: 0, toNode: 2, sendUs: 0, endUs: 100, outcome: "delivered" },
      { fromNode: 0, toNode: 1, sendUs: 10, endUs: 130, outcome: "delivered" },
    ],
    unmatchedDeliveries: 0,
    inFlight: 0,
  });
});

Deno.test("pairMessages() draws a drop with nothing in flight as lost at sending, and counts the unpaired", () => {
  const paired = pairMessages([
    drop(5, 1, 0),
    send(10, 0, 1),
    drop(50, 0, 1),
    send(60, 0, 1),
    deliver(90, 0, 1),
    deliver(95, 0, 1), // a duplicate: its send is already paired
    send(99, 1, 0), // still in flight when the trace ends
  ]);
  assert.deepEqual(paired.messages, [
    { fromNode: 1, toNode: 0, sendUs: 5, endUs: 5, outcome: "dropped" },
    { fromNode: 0, toNode: 1, sendUs: 10, endUs: 50, outcome: "dropped" },
    { fromNode: 0, toNode: 1, sendUs: 60, endUs: 90, outcome: "delivered" },
  ]);
  assert.equal(paired.unmatchedDeliveries, 1);
  assert.equal(paired.inFlight, 1);
});

Deno.test("pairMessages() in order is approximate under reordering; a message key pairs exactly", () => {
  const trace = [
    send(0, 0, 1, { id: "a" }),
    send(10, 0, 1, { id: "b" }),
    deliver(50, 0, 1, { id: "b" }),
    deliver(90, 0, 1, { id: "a" }),
  ];
  const inOrder = pairMessages(trace).messages.map((m) => [m.sendUs, m.endUs]);
  assert.deepEqual(inOrder, [[0, 50], [10, 90]], "in order, the lines cross the wrong way");
  const keyed = pairMessages(trace, { messageKey: (detail) => (detail as { id: string }).id }).messages;
  assert.deepEqual(keyed.map((m) => [m.sendUs, m.endUs]), [[0, 90], [10, 50]]);
});

Deno.test("pairMessages() refuses a trace out of time order", () => {
  assert.throws(() => pairMessages([send(10, 0, 1), deliver(5, 0, 1)]), /trace event 1 at 5 us is out of time order/);
});

Deno.test("pairMessages() with the message object as key pairs a real run exactly: no delivery beats the latency", () => {
  const trace = gossipRun(11).trace.events;
  const exact = pairMessages(trace, { messageKey: (detail) => detail });
  const byId = pairMessages(trace, { messageKey: (detail) => (detail as { id: number }).id });
  assert.deepEqual(exact, byId);
  const sends = trace.filter((e) => e.kind === "send").length;
  const sendTimeDrops = exact.messages.filter((m) => m.outcome === "dropped" && m.sendUs === m.endUs).length;
  assert.equal(exact.messages.length + exact.inFlight, sends + sendTimeDrops);
  assert.equal(exact.unmatchedDeliveries, 0);
  for (const m of exact.messages.filter((m) => m.outcome === "delivered")) assert.ok(m.endUs - m.sendUs >= 300);
  assert.ok(exact.messages.some((m) => m.outcome === "dropped"), "the run lost some messages");
});

Deno.test("pairMessages() in order on a lossy run lets drops at sending take in-flight sends, yet accounts for every event", () => {
  const trace = gossipRun(11).trace.events;
  const exact = pairMessages(trace, { messageKey: (detail) => detail });
  const inOrder = pairMessages(trace);
  const count = (paired: typeof exact, outcome: string) => paired.messages.filter((m) => m.outcome === outcome).length;
  const deliveries = trace.filter((e) => e.kind === "deliver").length;
  assert.equal(count(exact, "delivered"), deliveries);
  assert.equal(count(inOrder, "delivered") + inOrder.unmatchedDeliveries, deliveries);
  assert.equal(count(inOrder, "dropped"), count(exact, "dropped"), "every drop is drawn either way");
  assert.ok(inOrder.unmatchedDeliveries > 0, "the approximation shows on this run: why messageKey exists");
});
