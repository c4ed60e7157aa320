/**
 * Pairing a trace's message events: each `send` with the `deliver` or `drop` of the same message.
 *
 * The kernel's trace records a message three ways: `send` (node = sender, peer = receiver),
 * `deliver` (node = receiver, peer = sender) and `drop` (node = sender, peer = receiver), the last
 * either instead of the send (lost at sending: a cut link, a loss draw) or later (lost in flight:
 * a cut while in flight, a crashed receiver). Events name no message id, so the pairing follows
 * the rule stated on {@linkcode pairMessages}; it is exact only with a message key.
 *
 * @example
 * ```ts
 * import { pairMessages } from "./message_pairing.ts";
 * const { messages } = pairMessages([
 *   { timeUs: 0, kind: "send", node: 0, peer: 1, detail: "ping" },
 *   { timeUs: 700, kind: "deliver", node: 1, peer: 0, detail: "ping" },
 * ]); // [{ fromNode: 0, toNode: 1, sendUs: 0, endUs: 700, outcome: "delivered" }]
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";
import type { TraceEvent } from "../base/mod.ts";

/** One message of a trace, from its send to its delivery or drop. */
export interface TracedMessage {
  fromNode: number;
  toNode: number;
  /** When it was sent; for a message dropped at sending, the time of the drop. */
  sendUs: number;
  /** When it was delivered or dropped. */
  endUs: number;
  outcome: "delivered" | "dropped";
}

/** How {@linkcode pairMessages} matches sends with deliveries and drops. */
export interface MessagePairingOptions {
  /**
   * A message's identity, from a trace event's `detail` (the message), compared with `Object.is`.
   * Default: none, so messages pair in order per link. Pass `(detail) => detail` for a trace
   * still in memory (the kernel hands the same message object to send, deliver and drop), or
   * `(detail) => (detail as { id: number }).id` when messages carry ids, for exact pairing.
   */
  messageKey?: (detail: unknown) => unknown;
}

/** Messages paired from a trace, and what could not be paired. */
export interface PairedMessages {
  /** Delivered and dropped messages, in order of sending. */
  messages: TracedMessage[];
  /** Deliveries that matched no send: duplicates, or messages sent before the trace began. */
  unmatchedDeliveries: number;
  /** Sends with no delivery or drop by the end of the trace (in flight, or the trace was full). */
  inFlight: number;
}

/** How many unmatched sends of one link a keyed delivery searches, oldest first. */
export const pairingSendsScannedMax = 1_000;

interface PendingSend {
  sendUs: number;
  key: unknown;
  order: number;
  taken: boolean;
}

interface LinkQueue {
  sends: PendingSend[];
  /** Index of the oldest send not yet taken. */
  head: number;
}

/**
 * Pairs the `send` events of a trace with its `deliver` and `drop` events.
 *
 * The rule: each link (sender, receiver) keeps its sends not yet paired, oldest first. A delivery
 * on the link takes the oldest of them (with an equal key, when `messageKey` is given, among the
 * oldest {@linkcode pairingSendsScannedMax}); none left makes it an unmatched delivery. A drop
 * takes one the same way; none left means the message was dropped at sending, drawn from the drop
 * time. Without `messageKey` this assumes links deliver in order: under reordering, duplication,
 * or a drop at sending while earlier messages are in flight, lines may join a send to another
 * message's delivery, so the diagram is approximate unless the trace carries ids (pass
 * `messageKey`). Times and counts remain exact: every event is drawn at its own time.
 *
 * @param trace trace events in time order (`sim.trace.events`); other kinds are ignored
 * @param options the message key
 * @returns the paired messages in order of sending, and the counts of what did not pair
 *
 * @example
 * ```ts
 * import { pairMessages } from "./message_pairing.ts";
 * const { messages } = pairMessages([
 *   { timeUs: 0, kind: "send", node: 0, peer: 1, detail: "a" },
 *   { timeUs: 2, kind: "send", node: 0, peer: 1, detail: "b" },
 *   { timeUs: 5, kind: "drop", node: 0, peer: 1, detail: "a" },
 *   { timeUs: 9, kind: "deliver", node: 1, peer: 0, detail: "b" },
 * ]);
 * // [{ fromNode: 0, toNode: 1, sendUs: 0, endUs: 5, outcome: "dropped" },
 * //  { fromNode: 0, toNode: 1, sendUs: 2, endUs: 9, outcome: "delivered" }]
 * ```
 */
export function pairMessages(trace: readonly TraceEvent[], options: MessagePairingOptions = {}): PairedMessages {
  const links = new Map<string, LinkQueue>();
  const found: (TracedMessage & { order: number })[] = [];
  let unmatchedDeliveries = 0;
  let order = 0;
  trace.forEach((event, i) => {
    if (event.kind !== "send" && event.kind !== "deliver" && event.kind !== "drop") return;
    checkEvent(trace, event, i);
    // A delivery names the receiver as its node; sends and drops name the sender.
    const [fromNode, toNode] = event.kind === "deliver" ? [event.peer, event.node] : [event.node, event.peer];
    const linkName = `${fromNode}>${toNode}`;
    let link = links.get(linkName);
    if (link === undefined) links.set(linkName, link = { sends: [], head: 0 });
    const key = options.messageKey?.(event.detail);
    if (event.kind === "send") {
      link.sends.push({ sendUs: event.timeUs, key, order: order++, taken: false });
      return;
    }
    const send = takeSend(link, options.messageKey !== undefined, key);
    if (event.kind === "deliver" && send === undefined) {
      unmatchedDeliveries++;
      return;
    }
    found.push({
      fromNode,
      toNode,
      sendUs: send?.sendUs ?? event.timeUs,
      endUs: event.timeUs,
      outcome: event.kind === "deliver" ? "delivered" : "dropped",
      order: send?.order ?? order++,
    });
  });
  let inFlight = 0;
  for (const link of links.values()) inFlight += link.sends.slice(link.head).filter((s) => !s.taken).length;
  found.sort((a, b) => a.sendUs - b.sendUs || a.order - b.order);
  const messages = found.map(({ order: _, ...message }) => message);
  assert(messages.every((m) => m.sendUs <= m.endUs), "a message ends after it is sent");
  return { messages, unmatchedDeliveries, inFlight };
}

function checkEvent(trace: readonly TraceEvent[], event: TraceEvent, i: number): void {
  const nodes = [event.node, event.peer];
  if (!nodes.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new InputError(`trace event ${i} (${event.kind}) has node ${event.node} and peer ${event.peer}`);
  }
  if (!Number.isFinite(event.timeUs) || (i > 0 && event.timeUs < trace[i - 1].timeUs)) {
    throw new InputError(`trace event ${i} at ${event.timeUs} us is out of time order`);
  }
}

/** Takes the oldest pending send of the link (with an equal key, when keyed). */
function takeSend(link: LinkQueue, keyed: boolean, key: unknown): PendingSend | undefined {
  const end = Math.min(link.sends.length, link.head + (keyed ? pairingSendsScannedMax : 1));
  let send: PendingSend | undefined;
  for (let i = link.head; i < end && send === undefined; i++) {
    const candidate = link.sends[i];
    if (!candidate.taken && (!keyed || Object.is(candidate.key, key))) send = candidate;
  }
  if (send === undefined) return undefined;
  send.taken = true;
  while (link.head < link.sends.length && link.sends[link.head].taken) link.head++;
  // Drop what has been paired once it is most of the queue, so a long trace does not keep it all.
  if (link.head > 64 && link.head * 2 > link.sends.length) {
    link.sends = link.sends.slice(link.head);
    link.head = 0;
  }
  return send;
}
