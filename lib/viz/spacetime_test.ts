// Proves the space-time diagram of a real simulated run compiles and renders to SVG with the
// nodes' names and both kinds of message, and is bounded by messagesMax.
import assert from "node:assert/strict";
import { pairMessages } from "./message_pairing.ts";
import { toSvg } from "./render.ts";
import { spaceTimeDiagram } from "./spacetime.ts";
import { gossipRun } from "./_testing.ts";

Deno.test("spaceTimeDiagram() of a real run renders one named lifeline per node, delivered and dropped messages", async () => {
  const trace = gossipRun(11).trace.events;
  const spec = spaceTimeDiagram(trace, { nodeNames: ["alpha", "beta", "gamma"], messageKey: (detail) => detail });
  assert.equal(spec.layer[0].data.values.length, 3);
  const outcomes = new Set(spec.layer[1].data.values.map((m: { outcome: string }) => m.outcome));
  assert.deepEqual([...outcomes].sort(), ["delivered", "dropped"]);
  const svg = await toSvg(spec);
  for (const text of ["alpha", "beta", "gamma", "delivered", "dropped", "time (ms, virtual)"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("spaceTimeDiagram() draws at most messagesMax, the first by send time, and says so", async () => {
  const trace = gossipRun(12).trace.events;
  const spec = spaceTimeDiagram(trace, { messagesMax: 5 });
  const messages = spec.layer[1].data.values as { send_ms: number }[];
  assert.equal(messages.length, 5);
  const all = pairMessages(trace).messages;
  assert.deepEqual(messages.map((m) => m.send_ms), all.slice(0, 5).map((m) => m.sendUs / 1e3));
  assert.ok(spec.title.subtitle.includes(`first 5 of ${all.length} messages by send time`));
  const svg = await toSvg(spec);
  assert.ok(svg.includes("n0") && svg.includes("n2") && svg.includes(`first 5 of ${all.length} messages`));
  assert.equal(spaceTimeDiagram(trace).layer[1].data.values.length, Math.min(300, all.length));
});

Deno.test("spaceTimeDiagram() of a trace with no messages still renders the lifelines", async () => {
  const svg = await toSvg(spaceTimeDiagram([{ timeUs: 0, kind: "start", node: 1, peer: -1, detail: undefined }]));
  assert.ok(svg.includes("n0") && svg.includes("n1"));
  assert.throws(() => spaceTimeDiagram([], { messagesMax: 0 }), /messagesMax must be/);
});
