/**
 * The delivery checker for logs, queues and streams: per key (a partition, a topic, a queue), are
 * acknowledged messages delivered, delivered once, and delivered in each producer's order?
 *
 * ## History format
 *
 * One operation concerns one key, named by the event's `key` (omitted: the history is one log).
 *
 * - `send`: the invocation's `value` is the message, a string or a finite number, unique per key
 *   among sends that did not fail (a failed send may be retried with the same message). `ok` means
 *   acknowledged; `info` (or no completion) means it may or may not be in the log; `fail` means it
 *   is not. The completion's value is ignored.
 * - `poll`: the invocation's value is ignored; the `ok` completion's value is the list of messages
 *   the consumer received from the key, in the order received. A poll whose outcome is unknown
 *   delivered nothing the checker can see.
 * - `drain`: the final read, with a poll's format. After faults heal and sends stop, a consumer
 *   polls the key until nothing more arrives and records all it received as one `ok` drain.
 *
 * Messages are lists for one key rather than `[key, message]` pairs across keys: the history's
 * `key` field then groups operations the way every other checker groups them, and a harness that
 * polls several partitions at once records one operation per partition. Offsets and commits are
 * not modelled: a consumer's position is what its polls returned, and a redelivery after a
 * consumer restart or a rebalance shows up as a duplicate, which is what exactly-once forbids.
 *
 * ## Definitions
 *
 * - A message is *delivered* each time an `ok` poll or drain returns it. The *consumer* is the
 *   process that polled.
 * - *Lost*: an acknowledged send that no poll or drain ever returned, although an `ok` drain of its
 *   key began after its acknowledgement. This is the final-read convention: without such a drain a
 *   message may still be on its way, so it is *undrained*, not lost, and makes the verdict
 *   "unknown" rather than false. A message that only a poll of unknown outcome may have taken
 *   still counts as lost: a system that offers exactly-once redelivers what a consumer took
 *   without confirming.
 * - *Duplicated*: with `duplicates: "overall"` (the default, for consumers that share the stream
 *   as a consumer group or a queue's competing consumers), delivered more than once in all; with
 *   `"per-consumer"` (for independent subscribers that each read the whole stream), delivered more
 *   than once to one consumer. This applies to unacknowledged sends too: a send invoked once may
 *   take effect once or not at all, never twice.
 * - *Reordered*: a consumer first received a producer's message B before its message A, where
 *   the producer's send of A was acknowledged before it sent B. An unacknowledged send may land
 *   after the producer's later sends, so it orders nothing.
 * - *Unexpected*: delivered although no send of it was acknowledged or left unknown (never sent,
 *   or its send failed).
 *
 * Exactly-once holds when nothing is lost, duplicated or unexpected. The verdict is false then;
 * reordering is reported and fails the check only with `ordered: true`.
 *
 * @example
 * ```ts
 * import { checkDelivery } from "./delivery.ts";
 * const result = checkDelivery([
 *   { process: 0, type: "invoke", f: "send", key: "orders", value: "a", time: 0 },
 *   { process: 0, type: "ok", f: "send", key: "orders", value: "a", time: 1 },
 *   { process: 1, type: "invoke", f: "drain", key: "orders", value: null, time: 2 },
 *   { process: 1, type: "ok", f: "drain", key: "orders", value: ["a"], time: 3 },
 * ]);
 * result.valid; // true
 * ```
 * @module
 */
import { assert, checkNumber, InputError } from "../assert.ts";
import type { Op } from "../history/mod.ts";
import { type Operation, pairOperations } from "./operations.ts";
import type { CheckResult, Validity } from "./result.ts";
import { eventWhere } from "./_events.ts";

/** A message: a string or a finite number, unique per key. */
export type Message = string | number;

/** Which deliveries of one message count as duplicates (see the module doc). */
export type DuplicateScope = "overall" | "per-consumer";

/** Options of a delivery check. */
export interface DeliveryOptions {
  /** Whether reordering fails the check; it is reported either way. Default false. */
  ordered?: boolean;
  /** Duplicates overall (a consumer group, a queue) or per consumer (subscribers). Default "overall". */
  duplicates?: DuplicateScope;
  /** Anomalies kept per kind and key, with their operations; all are counted. Default 8. */
  anomaliesPerKindMax?: number;
}

/** Where an operation is: its process and the position of its invocation in the history (from 0). */
export interface OperationRef {
  process: number;
  callIndex: number;
}

/** A send, and whether it was acknowledged. */
export interface SendRef extends OperationRef {
  acknowledged: boolean;
}

/** An acknowledged message never delivered (lost, or undrained when no final drain judged it). */
export interface UndeliveredMessage {
  message: Message;
  send: SendRef;
}

/** A message delivered more than once (to `consumer` alone, when duplicates are per consumer). */
export interface DuplicatedMessage {
  message: Message;
  send: SendRef;
  consumer?: number;
  /** How many times it was delivered. */
  deliveries: number;
  /** The polls that delivered it, in history order (the first few). */
  polls: OperationRef[];
}

/** A producer's later message received before its earlier, acknowledged one. */
export interface ReorderedMessages {
  consumer: number;
  producer: number;
  /** Sent (and acknowledged) first, received later. */
  sentFirst: { message: Message; send: SendRef; poll: OperationRef };
  /** Sent after, received first. */
  receivedFirst: { message: Message; send: SendRef; poll: OperationRef };
}

/** A delivered message with no acknowledged or unknown send. */
export interface UnexpectedMessage {
  message: Message;
  /** The first poll that returned it. */
  poll: OperationRef;
}

/** The kinds of anomaly, in the order they are reported. */
export const deliveryAnomalyKinds = ["lost", "duplicated", "unexpected", "reordered", "undrained"] as const;

/** A kind of delivery anomaly. */
export type DeliveryAnomalyKind = typeof deliveryAnomalyKinds[number];

/** What happened on one key. */
export type KeyDelivery = {
  key: string | undefined;
  sends: { acknowledged: number; unknown: number };
  /** Messages delivered, counting each delivery. */
  deliveries: number;
  /** Distinct sent messages delivered at least once. */
  delivered: number;
  /** Whether an ok drain of the key exists (the final read). */
  drained: boolean;
  /** How many anomalies of each kind were found (more than are kept). */
  counts: Record<DeliveryAnomalyKind, number>;
  lost: UndeliveredMessage[];
  duplicated: DuplicatedMessage[];
  unexpected: UnexpectedMessage[];
  reordered: ReorderedMessages[];
  undrained: UndeliveredMessage[];
};

/** The details of a delivery check. */
export type DeliveryDetails = {
  /** Whether acknowledged messages were delivered exactly once (unknown with undrained ones). */
  exactlyOnce: Validity;
  ordered: boolean;
  duplicates: DuplicateScope;
  counts: Record<DeliveryAnomalyKind, number>;
  sends: { acknowledged: number; unknown: number };
  polls: { ok: number; unknown: number };
  /** One entry per key, by key (the unnamed key first). */
  keys: KeyDelivery[];
};

/** The result of a delivery check. */
export interface DeliveryResult extends CheckResult {
  details: DeliveryDetails;
}

const functions = ["send", "poll", "drain"];

/**
 * Checks a history of sends and polls for lost, duplicated, unexpected and reordered messages.
 *
 * @param events the history (nemesis events are skipped)
 * @param options whether order matters, what a duplicate is, how many examples to keep
 * @returns false when a message is lost, duplicated or unexpected (or reordered, with `ordered`);
 *   "unknown" when acknowledged messages are undelivered on a key without a final drain
 * @throws InputError naming the event when f is not send, poll or drain, or a value is malformed
 */
export function checkDelivery(events: readonly Op[], options: DeliveryOptions = {}): DeliveryResult {
  const settings = checkOptions(options);
  events.forEach(checkEvent);
  const operations = pairOperations(events);
  const groups = new Map<string | undefined, Operation[]>();
  for (const operation of operations) {
    let group = groups.get(operation.key);
    if (group === undefined) groups.set(operation.key, group = []);
    group.push(operation);
  }
  const keys = [...groups.keys()].sort(compareKeys).map((key) => checkKey(key, groups.get(key)!, settings));
  const counts = emptyCounts();
  for (const report of keys) {
    for (const kind of deliveryAnomalyKinds) counts[kind] += report.counts[kind];
  }
  const polls = operations.filter((op) => op.f !== "send");
  const details: DeliveryDetails = {
    exactlyOnce: exactlyOnceOf(counts),
    ordered: settings.ordered,
    duplicates: settings.duplicates,
    counts,
    sends: {
      acknowledged: keys.reduce((sum, k) => sum + k.sends.acknowledged, 0),
      unknown: keys.reduce((sum, k) => sum + k.sends.unknown, 0),
    },
    polls: { ok: polls.filter((op) => op.known).length, unknown: polls.filter((op) => !op.known).length },
    keys,
  };
  const valid = details.exactlyOnce === false || (settings.ordered && counts.reordered > 0)
    ? false
    : details.exactlyOnce;
  return { checker: "delivery", valid, message: summarize(valid, details), details };
}

/** False when a message was lost, duplicated or unexpected; unknown when some are undrained. */
function exactlyOnceOf(counts: Record<DeliveryAnomalyKind, number>): Validity {
  if (counts.lost + counts.duplicated + counts.unexpected > 0) return false;
  return counts.undrained > 0 ? "unknown" : true;
}

type Settings = Required<DeliveryOptions>;

function checkOptions(options: DeliveryOptions): Settings {
  const duplicates = options.duplicates ?? "overall";
  if (duplicates !== "overall" && duplicates !== "per-consumer") {
    throw new InputError(`duplicates must be "overall" or "per-consumer", got ${JSON.stringify(duplicates)}`);
  }
  const ordered = options.ordered ?? false;
  if (typeof ordered !== "boolean") throw new InputError(`ordered must be true or false, got ${String(ordered)}`);
  return {
    ordered,
    duplicates,
    anomaliesPerKindMax: checkNumber("anomaliesPerKindMax", options.anomaliesPerKindMax ?? 8, {
      min: 1,
      integer: true,
    }),
  };
}

function isMessage(value: unknown): value is Message {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/** Rejects an event the checker cannot read, naming it (events are numbered from 1). */
function checkEvent(event: Op, index: number): void {
  const where = eventWhere(event, index, functions);
  if (where === undefined) return;
  if (event.f === "send" && event.type === "invoke" && !isMessage(event.value)) {
    throw new InputError(`${where}: a send's value must be a string or a finite number, got ${show(event.value)}`);
  }
  if (event.f !== "send" && event.type === "ok") {
    if (!Array.isArray(event.value) || !event.value.every(isMessage)) {
      throw new InputError(
        `${where}: an ok ${event.f}'s value must be a list of messages (strings or finite numbers), got ${
          show(event.value)
        }`,
      );
    }
  }
}

/** A value for an error message, cut short: a poll may return thousands of messages. */
function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** Orders keys: the unnamed key first, then by code unit (no locale, so the order is the same everywhere). */
function compareKeys(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

function emptyCounts(): Record<DeliveryAnomalyKind, number> {
  return { lost: 0, duplicated: 0, unexpected: 0, reordered: 0, undrained: 0 };
}

function ref(op: Operation): OperationRef {
  return { process: op.process, callIndex: op.callIndex };
}

function sendRef(op: Operation): SendRef {
  return { process: op.process, callIndex: op.callIndex, acknowledged: op.known };
}

/** One delivery: the message, who received it, from which poll, at which place in its sequence. */
interface Delivery {
  message: Message;
  poll: Operation;
  /** Position among everything this consumer received from the key. */
  position: number;
}

/** Counts anomalies of each kind and keeps the first few of each. */
class Findings {
  readonly counts = emptyCounts();
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  /** Counts one anomaly; returns whether it should be kept (the list is not yet full). */
  keep(kind: DeliveryAnomalyKind): boolean {
    return ++this.counts[kind] <= this.#max;
  }
}

function checkKey(key: string | undefined, operations: readonly Operation[], settings: Settings): KeyDelivery {
  const sends = indexSends(operations);
  const polls = operations.filter((op) => op.f !== "send" && op.known);
  const byConsumer = deliveriesByConsumer(polls);
  const findings = new Findings(settings.anomaliesPerKindMax);
  const report: KeyDelivery = {
    key,
    sends: {
      acknowledged: [...sends.values()].filter((op) => op.known).length,
      unknown: [...sends.values()].filter((op) => !op.known).length,
    },
    deliveries: [...byConsumer.values()].reduce((sum, list) => sum + list.length, 0),
    delivered: 0,
    drained: polls.some((op) => op.f === "drain"),
    counts: findings.counts,
    lost: [],
    duplicated: [],
    unexpected: [],
    reordered: [],
    undrained: [],
  };
  const delivered = findUnexpected(sends, byConsumer, findings, report.unexpected);
  report.delivered = delivered.size;
  findDuplicates(sends, byConsumer, settings.duplicates, findings, report.duplicated);
  findUndelivered(sends, delivered, polls, findings, report);
  const byProducer = sendsByProducer(sends);
  for (const [consumer, deliveries] of byConsumer) {
    findReorders(consumer, deliveries, byProducer, findings, report.reordered);
  }
  assert(
    report.delivered + findings.counts.lost + findings.counts.undrained >= report.sends.acknowledged,
    `key ${key}: every acknowledged message is delivered, lost or undrained`,
  );
  return report;
}

/** The sends that did not fail, by message; a message sent twice is bad input. */
function indexSends(operations: readonly Operation[]): Map<Message, Operation> {
  const sends = new Map<Message, Operation>();
  for (const op of operations) {
    if (op.f !== "send") continue;
    const message = op.input as Message;
    const earlier = sends.get(message);
    if (earlier !== undefined) {
      throw new InputError(
        `event ${op.callIndex + 1} (process ${op.process}, invoke send): message ${
          JSON.stringify(message)
        } was already sent to key ${JSON.stringify(op.key ?? null)} at event ${
          earlier.callIndex + 1
        }; messages must be unique per key among sends that did not fail`,
      );
    }
    sends.set(message, op);
  }
  return sends;
}

/** Each consumer's deliveries in the order received (its polls in history order, then list order). */
function deliveriesByConsumer(polls: readonly Operation[]): Map<number, Delivery[]> {
  const byConsumer = new Map<number, Delivery[]>();
  for (const poll of polls) {
    let list = byConsumer.get(poll.process);
    if (list === undefined) byConsumer.set(poll.process, list = []);
    for (const message of poll.output as Message[]) list.push({ message, poll, position: list.length });
  }
  return new Map([...byConsumer].sort((a, b) => a[0] - b[0]));
}

/** Reports messages no send explains; returns the sent messages delivered at least once. */
function findUnexpected(
  sends: ReadonlyMap<Message, Operation>,
  byConsumer: ReadonlyMap<number, Delivery[]>,
  findings: Findings,
  out: UnexpectedMessage[],
): Set<Message> {
  const delivered = new Set<Message>();
  const firstUnexpected = new Map<Message, Operation>();
  for (const deliveries of byConsumer.values()) {
    for (const { message, poll } of deliveries) {
      if (sends.has(message)) delivered.add(message);
      else {
        const first = firstUnexpected.get(message);
        if (first === undefined || poll.callIndex < first.callIndex) firstUnexpected.set(message, poll);
      }
    }
  }
  const ordered = [...firstUnexpected].sort((a, b) => a[1].callIndex - b[1].callIndex);
  for (const [message, poll] of ordered) {
    if (findings.keep("unexpected")) out.push({ message, poll: ref(poll) });
  }
  return delivered;
}

/** Reports messages delivered more than once, overall or to one consumer. */
function findDuplicates(
  sends: ReadonlyMap<Message, Operation>,
  byConsumer: ReadonlyMap<number, Delivery[]>,
  scope: DuplicateScope,
  findings: Findings,
  out: DuplicatedMessage[],
): void {
  // Group deliveries by (consumer, message) or by message alone; the group's name orders the report.
  const groups = new Map<string, { consumer?: number; message: Message; polls: Operation[] }>();
  for (const [consumer, deliveries] of byConsumer) {
    for (const { message, poll } of deliveries) {
      if (!sends.has(message)) continue;
      const name = scope === "overall" ? JSON.stringify(message) : `${consumer} ${JSON.stringify(message)}`;
      let group = groups.get(name);
      if (group === undefined) {
        groups.set(name, group = scope === "overall" ? { message, polls: [] } : { consumer, message, polls: [] });
      }
      group.polls.push(poll);
    }
  }
  const repeated = [...groups.values()].filter((group) => group.polls.length > 1);
  // Report in the order of the sends, then by consumer: the order of the history, whatever the map's.
  repeated.sort((a, b) =>
    sends.get(a.message)!.callIndex - sends.get(b.message)!.callIndex || (a.consumer ?? 0) - (b.consumer ?? 0)
  );
  for (const group of repeated) {
    if (!findings.keep("duplicated")) continue;
    const polls = [...group.polls].sort((a, b) => a.callIndex - b.callIndex).slice(0, 8).map(ref);
    out.push({
      message: group.message,
      send: sendRef(sends.get(group.message)!),
      ...(group.consumer === undefined ? {} : { consumer: group.consumer }),
      deliveries: group.polls.length,
      polls,
    });
  }
}

/**
 * Reports acknowledged messages never delivered: lost when an ok drain of the key began after the
 * acknowledgement (the final read), undrained otherwise.
 */
function findUndelivered(
  sends: ReadonlyMap<Message, Operation>,
  delivered: ReadonlySet<Message>,
  polls: readonly Operation[],
  findings: Findings,
  report: KeyDelivery,
): void {
  const drainCallIndex = polls.reduce((last, op) => op.f === "drain" ? Math.max(last, op.callIndex) : last, -1);
  const undelivered = [...sends.values()].filter((op) => op.known && !delivered.has(op.input as Message));
  for (const send of undelivered.sort((a, b) => a.callIndex - b.callIndex)) {
    assert(send.returnIndex !== Infinity, "an acknowledged send has a completion");
    const kind = send.returnIndex < drainCallIndex ? "lost" : "undrained";
    if (findings.keep(kind)) report[kind].push({ message: send.input as Message, send: sendRef(send) });
  }
}

/** Each producer's sends in the order it sent them, producers by number. */
function sendsByProducer(sends: ReadonlyMap<Message, Operation>): Map<number, Operation[]> {
  const byProducer = new Map<number, Operation[]>();
  for (const send of [...sends.values()].sort((a, b) => a.callIndex - b.callIndex)) {
    let list = byProducer.get(send.process);
    if (list === undefined) byProducer.set(send.process, list = []);
    list.push(send);
  }
  return new Map([...byProducer].sort((a, b) => a[0] - b[0]));
}

/**
 * Reports, for one consumer, each message received before a message its producer sent (and had
 * acknowledged) earlier. Each producer's sends are walked in order while remembering the earlier
 * acknowledged send this consumer received last; a message received before that one is reordered.
 * Only first receipts count, so a redelivery is a duplicate, not a reordering.
 */
function findReorders(
  consumer: number,
  deliveries: readonly Delivery[],
  byProducer: ReadonlyMap<number, Operation[]>,
  findings: Findings,
  out: ReorderedMessages[],
): void {
  const first = new Map<Message, Delivery>();
  for (const delivery of deliveries) if (!first.has(delivery.message)) first.set(delivery.message, delivery);
  for (const [producer, producerSends] of byProducer) {
    let barrier: { send: Operation; delivery: Delivery } | undefined;
    for (const send of producerSends) {
      const delivery = first.get(send.input as Message);
      if (delivery === undefined) continue;
      if (barrier !== undefined && delivery.position < barrier.delivery.position) {
        if (findings.keep("reordered")) {
          out.push({
            consumer,
            producer,
            sentFirst: {
              message: barrier.delivery.message,
              send: sendRef(barrier.send),
              poll: ref(barrier.delivery.poll),
            },
            receivedFirst: { message: delivery.message, send: sendRef(send), poll: ref(delivery.poll) },
          });
        }
      } else if (send.known && (barrier === undefined || delivery.position > barrier.delivery.position)) {
        barrier = { send, delivery };
      }
    }
  }
}

function summarize(valid: Validity, details: DeliveryDetails): string {
  const { counts } = details;
  const reorders = counts.reordered === 0
    ? ""
    : `; ${counts.reordered} reordered${details.ordered ? "" : " (order not required)"}`;
  if (valid === true) {
    const keys = `${details.keys.length} key${details.keys.length === 1 ? "" : "s"}`;
    return `exactly-once delivery of ${details.sends.acknowledged} acknowledged message(s) on ${keys}${reorders}`;
  }
  if (valid === false) {
    const failing: DeliveryAnomalyKind[] = details.ordered
      ? ["lost", "duplicated", "unexpected", "reordered"]
      : ["lost", "duplicated", "unexpected"];
    const found = failing.filter((kind) => counts[kind] > 0).map((kind) => `${counts[kind]} ${kind}`);
    const where = keysWith(details, failing);
    return `${found.join(", ")} message(s) on key(s) ${where}${details.ordered ? "" : reorders}`;
  }
  return `${counts.undrained} acknowledged message(s) not delivered on key(s) ${
    keysWith(details, ["undrained"])
  } with no final drain after their acknowledgement${reorders}`;
}

/** The first few keys with an anomaly of one of `kinds`, for a message. */
function keysWith(details: DeliveryDetails, kinds: readonly DeliveryAnomalyKind[]): string {
  const names = details.keys.filter((k) => kinds.some((kind) => k.counts[kind] > 0)).map((k) => k.key ?? "(no key)");
  return names.slice(0, 8).join(", ") + (names.length > 8 ? ", ..." : "");
}
