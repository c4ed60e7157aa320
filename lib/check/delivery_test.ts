// Proves the delivery checker finds lost, duplicated, unexpected and reordered messages on small
// hand-written histories, respects the final-drain convention and unknown sends, rejects bad
// input naming the event, and on random runs of a simulated log accepts every correct run and
// catches every injected loss and duplicate.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import type { Op } from "../history/history.ts";
import { Rng } from "../sim/rng.ts";
import { checkDelivery, type Message } from "./delivery.ts";
import { ScriptedHistory } from "../history/_script.ts";

/** A scripted history with this checker's functions. */
class Script extends ScriptedHistory {
  send(process: number, key: string | undefined, message: Message, type: "ok" | "info" | "fail" = "ok") {
    return this.op(process, "send", key, message, type, message);
  }
  poll(process: number, key: string | undefined, messages: Message[]) {
    return this.op(process, "poll", key, null, "ok", messages);
  }
  drain(process: number, key: string | undefined, messages: Message[]) {
    return this.op(process, "drain", key, null, "ok", messages);
  }
}

Deno.test("acknowledged messages each delivered once and drained are exactly-once: valid", () => {
  const events = new Script()
    .send(0, "k", "a").send(0, "k", "b").send(1, "j", 7)
    .poll(2, "k", ["a"]).drain(2, "k", ["b"]).drain(3, "j", [7]).events;
  const result = checkDelivery(events);
  assert.equal(result.valid, true);
  assert.equal(result.details.exactlyOnce, true);
  assert.deepEqual(result.details.keys.map((k) => [k.key, k.sends.acknowledged, k.delivered, k.drained]), [
    ["j", 1, 1, true],
    ["k", 2, 2, true],
  ]);
  assert.match(result.message, /exactly-once delivery of 3 acknowledged message\(s\) on 2 keys/);
});

Deno.test("an acknowledged message never delivered before the final drain is lost: invalid", () => {
  const events = new Script().send(0, "k", "a").send(0, "k", "b").drain(1, "k", ["a"]).events;
  const result = checkDelivery(events);
  assert.equal(result.valid, false);
  assert.deepEqual(result.details.keys[0].lost, [
    { message: "b", send: { process: 0, callIndex: 2, acknowledged: true } },
  ]);
  assert.match(result.message, /1 lost message\(s\) on key\(s\) k/);
});

Deno.test("without a final drain an undelivered acknowledged message is undrained and the verdict unknown", () => {
  const events = new Script().send(0, "k", "a").send(0, "k", "b").poll(1, "k", ["a"]).events;
  const result = checkDelivery(events);
  assert.equal(result.valid, "unknown");
  assert.equal(result.details.counts.lost, 0);
  assert.deepEqual(result.details.keys[0].undrained.map((u) => u.message), ["b"]);
  assert.match(result.message, /not delivered on key\(s\) k with no final drain/);
});

Deno.test("a send acknowledged after the drain began is undrained, not lost", () => {
  const events: Op[] = [
    { process: 0, type: "invoke", f: "send", key: "k", value: "a", time: 0 },
    { process: 1, type: "invoke", f: "drain", key: "k", value: null, time: 1 },
    { process: 0, type: "ok", f: "send", key: "k", value: "a", time: 2 },
    { process: 1, type: "ok", f: "drain", key: "k", value: [], time: 3 },
  ];
  const result = checkDelivery(events);
  assert.equal(result.valid, "unknown");
  assert.equal(result.details.counts.undrained, 1);
});

Deno.test("a drain of another key does not judge this key's messages", () => {
  const events = new Script().send(0, "k", "a").drain(1, "j", []).events;
  assert.equal(checkDelivery(events).valid, "unknown");
});

Deno.test("an unknown send may be delivered once or never; a failed send never", () => {
  const events = new Script()
    .send(0, "k", "maybe", "info").send(0, "k", "lost-in-flight", "info").send(0, "k", "no", "fail")
    .drain(1, "k", ["maybe"]).events;
  const result = checkDelivery(events);
  assert.equal(result.valid, true);
  assert.deepEqual(result.details.keys[0].sends, { acknowledged: 0, unknown: 2 });
  const delivered = checkDelivery(new Script().send(0, "k", "no", "fail").drain(1, "k", ["no"]).events);
  assert.equal(delivered.valid, false);
  assert.deepEqual(delivered.details.keys[0].unexpected, [{ message: "no", poll: { process: 1, callIndex: 2 } }]);
});

Deno.test("a message delivered to two consumers of one group is duplicated overall, not per consumer", () => {
  const events = new Script().send(0, "k", "a").poll(1, "k", ["a"]).drain(2, "k", ["a"]).events;
  const overall = checkDelivery(events);
  assert.equal(overall.valid, false);
  assert.deepEqual(overall.details.keys[0].duplicated, [{
    message: "a",
    send: { process: 0, callIndex: 0, acknowledged: true },
    deliveries: 2,
    polls: [{ process: 1, callIndex: 2 }, { process: 2, callIndex: 4 }],
  }]);
  assert.equal(checkDelivery(events, { duplicates: "per-consumer" }).valid, true);
});

Deno.test("a message delivered twice to one consumer is duplicated in either scope, even if unacknowledged", () => {
  const events = new Script().send(0, "k", "a", "info").poll(1, "k", ["a"]).drain(1, "k", ["a"]).events;
  for (const duplicates of ["overall", "per-consumer"] as const) {
    const result = checkDelivery(events, { duplicates });
    assert.equal(result.valid, false, duplicates);
    assert.equal(result.details.keys[0].duplicated[0].send.acknowledged, false);
  }
  assert.equal(checkDelivery(events, { duplicates: "per-consumer" }).details.keys[0].duplicated[0].consumer, 1);
});

Deno.test("a producer's later message received before its earlier acknowledged one is reordered, failing only when ordered", () => {
  const events = new Script().send(0, "k", "a").send(0, "k", "b").send(0, "k", "c")
    .poll(1, "k", ["b"]).drain(1, "k", ["a", "c"]).events;
  const lenient = checkDelivery(events);
  assert.equal(lenient.valid, true);
  assert.match(lenient.message, /1 reordered \(order not required\)/);
  assert.deepEqual(lenient.details.keys[0].reordered, [{
    consumer: 1,
    producer: 0,
    sentFirst: {
      message: "a",
      send: { process: 0, callIndex: 0, acknowledged: true },
      poll: { process: 1, callIndex: 8 },
    },
    receivedFirst: {
      message: "b",
      send: { process: 0, callIndex: 2, acknowledged: true },
      poll: { process: 1, callIndex: 6 },
    },
  }]);
  const strict = checkDelivery(events, { ordered: true });
  assert.equal(strict.valid, false);
  assert.match(strict.message, /1 reordered message\(s\) on key\(s\) k/);
});

Deno.test("an unacknowledged send, other producers' order and other consumers' order impose no order", () => {
  const events = new Script()
    .send(0, "k", "a", "info").send(0, "k", "b").send(2, "k", "x")
    .poll(1, "k", ["x", "b", "a"]).events;
  const result = checkDelivery(events, { ordered: true });
  assert.equal(result.valid, true);
  // Two consumers of a group each see part of the stream: their own sequences are in order.
  const group = new Script().send(0, "k", "a").send(0, "k", "b").poll(2, "k", ["b"]).drain(1, "k", ["a"]).events;
  assert.equal(checkDelivery(group, { ordered: true }).valid, true);
});

Deno.test("a redelivered earlier message is a duplicate, not a reordering", () => {
  const events = new Script().send(0, "k", "a").send(0, "k", "b").drain(1, "k", ["a", "b", "a"]).events;
  const result = checkDelivery(events, { ordered: true });
  assert.deepEqual(result.details.counts, { lost: 0, duplicated: 1, unexpected: 0, reordered: 0, undrained: 0 });
});

Deno.test("a history without keys is one log, reported under an undefined key", () => {
  const result = checkDelivery(new Script().send(0, undefined, 1).drain(1, undefined, [1]).events);
  assert.equal(result.valid, true);
  assert.equal(result.details.keys[0].key, undefined);
});

Deno.test("every anomaly is counted but only anomaliesPerKindMax are kept per kind and key", () => {
  const script = new Script();
  for (let i = 0; i < 5; i++) script.send(0, "k", i);
  const result = checkDelivery(script.drain(1, "k", []).events, { anomaliesPerKindMax: 2 });
  assert.equal(result.details.counts.lost, 5);
  assert.deepEqual(result.details.keys[0].lost.map((l) => l.message), [0, 1]);
});

Deno.test("bad input is rejected naming the event and what is allowed", () => {
  const bad = (events: Op[], pattern: RegExp) => assert.throws(() => checkDelivery(events), InputError, pattern.source);
  bad(
    new Script().send(0, "k", "a").events.map((e) => ({ ...e, f: "publish" })),
    /unknown f "publish"; allowed: send, poll, drain/,
  );
  bad(
    [{ process: 0, type: "invoke", f: "send", key: "k", value: { body: 1 }, time: 0 }],
    /event 1 \(process 0, invoke send\): a send's value must be a string or a finite number, got \{"body":1\}/,
  );
  bad(
    [
      { process: 0, type: "invoke", f: "poll", key: "k", value: null, time: 0 },
      { process: 0, type: "ok", f: "poll", key: "k", value: [["k", "a"]], time: 1 },
    ],
    /event 2 \(process 0, ok poll\): an ok poll's value must be a list of messages/,
  );
  bad(
    new Script().send(0, "k", "a").send(1, "k", "a").events,
    /event 3 .*message "a" was already sent to key "k" at event 1/,
  );
  assert.throws(() => checkDelivery([], { duplicates: "twice" as "overall" }), InputError);
  assert.throws(() => checkDelivery([], { anomaliesPerKindMax: 0 }), InputError);
});

Deno.test("a failed send's message may be sent again", () => {
  const events = new Script().send(0, "k", "a", "fail").send(0, "k", "a").drain(1, "k", ["a"]).events;
  assert.equal(checkDelivery(events).valid, true);
});

/** A run of a correct log: the history, and the acknowledged messages with where they were delivered. */
interface SimulatedRun {
  events: Op[];
  /** Each delivery: the event index of its ok poll or drain, and the message's index in its value. */
  deliveries: { message: string; key: string; eventIndex: number; acknowledged: boolean }[];
}

/**
 * Simulates producers and consumers on a correct log with a shared cursor per key (a consumer
 * group): a send is appended when it completes (ok), or maybe, maybe late (info), or never (fail);
 * a poll takes the next few messages at its completion, and an unknown poll takes nothing (its
 * consumer did not commit). Processes interleave their operations; drains end the run.
 */
function simulateLog(rng: Rng): SimulatedRun {
  const keys = ["p0", "p1", "p2"].slice(0, rng.int(1, 3));
  const processes = rng.int(2, 5);
  const log = new Map(keys.map((key) => [key, [] as string[]]));
  const cursor = new Map(keys.map((key) => [key, 0]));
  const late: { key: string; message: string }[] = [];
  const open = new Map<number, Op>();
  const events: Op[] = [];
  const acknowledged = new Set<string>();
  const add = (event: Omit<Op, "time">) => events.push({ ...event, time: events.length });
  let sent = 0;
  const steps = rng.int(5, 120);
  for (let step = 0; step < steps; step++) {
    if (late.length > 0 && rng.bernoulli(0.2)) {
      const { key, message } = late.splice(rng.int(0, late.length - 1), 1)[0];
      log.get(key)!.push(message);
    }
    const process = rng.int(0, processes - 1);
    const invocation = open.get(process);
    if (invocation === undefined) {
      const key = rng.pick(keys);
      const f = rng.bernoulli(0.5) ? "send" : "poll";
      const op: Op = { process, type: "invoke", f, key, value: f === "send" ? `m${sent++}` : null, time: 0 };
      open.set(process, op);
      add(op);
      continue;
    }
    open.delete(process);
    const key = invocation.key!;
    const roll = rng.next();
    if (invocation.f === "send") {
      const message = invocation.value as string;
      const type = roll < 0.7 ? "ok" : roll < 0.9 ? "info" : "fail";
      if (type === "ok") log.get(key)!.push(message), acknowledged.add(message);
      if (type === "info" && rng.bernoulli(0.5)) late.push({ key, message });
      add({ process, type, f: "send", key, value: message });
    } else if (roll < 0.85) {
      const start = cursor.get(key)!;
      const taken = log.get(key)!.slice(start, start + rng.int(0, 3));
      cursor.set(key, start + taken.length);
      add({ process, type: "ok", f: "poll", key, value: taken });
    } else add({ process, type: "info", f: "poll", key, value: null });
  }
  for (const [process, invocation] of [...open].sort((a, b) => a[0] - b[0])) {
    // A send left open is unknown; it may still land before the drains.
    if (invocation.f === "send" && rng.bernoulli(0.5)) {
      late.push({ key: invocation.key!, message: `${invocation.value}` });
    }
    open.delete(process);
  }
  for (const { key, message } of late) log.get(key)!.push(message);
  for (const key of keys) {
    const drainer = processes + keys.indexOf(key);
    add({ process: drainer, type: "invoke", f: "drain", key, value: null });
    add({ process: drainer, type: "ok", f: "drain", key, value: log.get(key)!.slice(cursor.get(key)!) });
  }
  const deliveries: SimulatedRun["deliveries"] = [];
  events.forEach((event, eventIndex) => {
    if (event.type !== "ok" || event.f === "send") return;
    for (const message of event.value as string[]) {
      deliveries.push({ message, key: event.key!, eventIndex, acknowledged: acknowledged.has(message) });
    }
  });
  return { events, deliveries };
}

Deno.test("random runs of a correct log are exactly-once and ordered; an injected loss or duplicate is caught", () => {
  let lossesInjected = 0;
  let duplicatesInjected = 0;
  for (let seed = 0; seed < 300; seed++) {
    const rng = Rng.fromSeed(seed).fork("delivery");
    const run = simulateLog(rng);
    const correct = checkDelivery(run.events, { ordered: true });
    assert.equal(correct.valid, true, `seed ${seed}: ${correct.message}`);
    const acknowledged = run.deliveries.filter((d) => d.acknowledged);
    if (acknowledged.length === 0) continue;
    // A loss: one acknowledged message vanishes from the poll or drain that delivered it.
    const victim = rng.pick(acknowledged);
    const lossy = run.events.map((event, i) =>
      i === victim.eventIndex
        ? { ...event, value: (event.value as string[]).filter((m) => m !== victim.message) }
        : event
    );
    const lost = checkDelivery(lossy);
    assert.equal(lost.valid, false, `seed ${seed}: loss of ${victim.message} not caught`);
    assert.deepEqual(lost.details.keys.flatMap((k) => k.lost.map((l) => l.message)), [victim.message], `seed ${seed}`);
    assert.equal(lost.details.counts.duplicated + lost.details.counts.unexpected, 0, `seed ${seed}`);
    lossesInjected++;
    // A duplicate: one delivered message is delivered again by its key's final drain.
    const repeated = rng.pick(run.deliveries);
    const drainIndex = run.events.findLastIndex((e) => e.f === "drain" && e.type === "ok" && e.key === repeated.key);
    const doubled = run.events.map((event, i) =>
      i === drainIndex ? { ...event, value: [...(event.value as string[]), repeated.message] } : event
    );
    const duplicated = checkDelivery(doubled);
    assert.equal(duplicated.valid, false, `seed ${seed}: duplicate of ${repeated.message} not caught`);
    assert.deepEqual(
      duplicated.details.keys.flatMap((k) => k.duplicated.map((d) => d.message)),
      [repeated.message],
      `seed ${seed}`,
    );
    duplicatesInjected++;
  }
  assert.ok(
    lossesInjected > 200 && duplicatesInjected > 200,
    `${lossesInjected} losses, ${duplicatesInjected} duplicates`,
  );
});
