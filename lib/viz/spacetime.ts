/**
 * Lamport space-time diagrams of a short traced run: one vertical line per node with time flowing
 * down, each delivered message a line from its sender at the send time to its receiver at the
 * delivery time, each dropped message a line in another colour ending at a cross.
 *
 * Trace events name no message id, so sends are paired with their deliveries and drops by
 * `pairMessages` (message_pairing.ts), whose rule and its limits are stated there: in order per
 * link by default (approximate under reordering), exact with a `messageKey`.
 *
 * @example
 * ```ts
 * import { spaceTimeDiagram } from "./spacetime.ts";
 * const spec = spaceTimeDiagram([
 *   { timeUs: 0, kind: "send", node: 0, peer: 1, detail: "ping" },
 *   { timeUs: 700, kind: "deliver", node: 1, peer: 0, detail: "ping" },
 * ], { nodeNames: ["client", "server"] });
 * ```
 * @module
 */
import { checkNumber } from "../assert.ts";
import type { TraceEvent } from "../base/mod.ts";
import type { VegaLiteSpec } from "./charts.ts";
import { type MessagePairingOptions, type PairedMessages, pairMessages } from "./message_pairing.ts";
import { type ChartOptions, faultColor, schemaUrl } from "./_spec.ts";

/** Options of {@linkcode spaceTimeDiagram}. */
export interface SpaceTimeDiagramOptions extends ChartOptions, MessagePairingOptions {
  /** Node names by id; default `n0`, `n1`, … (also for ids past the end of the list). */
  nodeNames?: readonly string[];
  /** The most messages drawn, the first by send time; default {@linkcode spaceTimeMessagesMax}. */
  messagesMax?: number;
}

/** How far short of the receiver's line (in node spacings) a dropped message's cross is drawn. */
const droppedShortOf = 0.2;

/** The default bound on the messages a space-time diagram draws. */
export const spaceTimeMessagesMax = 300;

/**
 * A Lamport space-time diagram of a short traced run: one vertical line per node, time flowing
 * down in virtual milliseconds, each delivered message a line from (sender, send time) to
 * (receiver, delivery time) ending at a dot, and each dropped message a red line ending at a
 * cross just short of its receiver at the time of the drop (at the send time, level, for one
 * dropped at sending). Sends pair with deliveries and drops
 * by {@linkcode pairMessages} (in order per link unless `messageKey` is given: approximate
 * under reordering). Only the first `messagesMax` messages by send time are drawn; the subtitle
 * says when some were left out, did not pair, or were still in flight.
 *
 * @param trace the run's trace events (`sim.trace.events`), in time order
 * @param options node names, the message bound, the message key, title and size
 * @returns a layered Vega-Lite spec; node ids are the x values, named on the axis
 *
 * @example
 * ```ts
 * import { spaceTimeDiagram } from "./spacetime.ts";
 * const trace = [
 *   { timeUs: 0, kind: "send" as const, node: 0, peer: 1, detail: { id: 1 } },
 *   { timeUs: 0, kind: "send" as const, node: 0, peer: 2, detail: { id: 2 } },
 *   { timeUs: 800, kind: "deliver" as const, node: 1, peer: 0, detail: { id: 1 } },
 *   { timeUs: 900, kind: "drop" as const, node: 0, peer: 2, detail: { id: 2 } },
 * ];
 * const spec = spaceTimeDiagram(trace, {
 *   nodeNames: ["leader", "follower 1", "follower 2"],
 *   messageKey: (detail) => (detail as { id: number }).id,
 * });
 * ```
 */
export function spaceTimeDiagram(trace: readonly TraceEvent[], options: SpaceTimeDiagramOptions = {}): VegaLiteSpec {
  const messagesMax = checkNumber("messagesMax", options.messagesMax ?? spaceTimeMessagesMax, {
    min: 1,
    integer: true,
  });
  const paired = pairMessages(trace, options);
  const shown = paired.messages.slice(0, messagesMax);
  const nodeCount = Math.max(options.nodeNames?.length ?? 0, 1 + nodeIdsOf(trace).reduce((a, b) => Math.max(a, b), -1));
  const names = Array.from({ length: nodeCount }, (_, i) => options.nodeNames?.[i] ?? `n${i}`);
  // Messages are in order of sending, so the first starts the diagram; any may end it.
  const startMs = (shown[0]?.sendUs ?? 0) / 1e3;
  const endMs = shown.reduce((end, m) => Math.max(end, m.endUs), shown[0]?.endUs ?? 0) / 1e3;
  const lifelines = names.map((name, x) => ({ x, node: name, start_ms: startMs, end_ms: endMs }));
  const messages = shown.map((m) => ({
    x: m.fromNode,
    // A dropped message stops just short of its receiver: the line still says whom it was for.
    x_end: m.outcome === "delivered" ? m.toNode : m.toNode - droppedShortOf * Math.sign(m.toNode - m.fromNode),
    send_ms: m.sendUs / 1e3,
    end_ms: m.endUs / 1e3,
    outcome: m.outcome,
    from: names[m.fromNode],
    to: names[m.toNode],
  }));
  const x = {
    field: "x",
    type: "quantitative",
    title: null,
    scale: { domain: [-0.5, nodeCount - 0.5], nice: false, zero: false },
    axis: {
      orient: "top",
      values: names.map((_, i) => i),
      labelExpr: `${JSON.stringify(names)}[datum.value]`,
      grid: false,
      ticks: false,
      domain: false,
      labelFontSize: 12,
    },
  };
  const y = {
    field: "send_ms",
    type: "quantitative",
    title: "time (ms, virtual)",
    scale: { reverse: true, zero: false, nice: false },
  };
  const color = {
    field: "outcome",
    type: "nominal",
    title: "message",
    scale: { domain: ["delivered", "dropped"], range: ["#1f77b4", faultColor] },
  };
  return {
    $schema: schemaUrl,
    title: {
      text: options.title ?? "Messages (space-time diagram)",
      subtitle: notesOf(paired, shown.length, options.messageKey !== undefined),
    },
    width: options.width ?? Math.min(900, Math.max(240, 120 * nodeCount)),
    height: options.height ?? 450,
    layer: [
      {
        data: { values: lifelines },
        mark: { type: "rule", color: "#999", strokeWidth: 1.5 },
        encoding: { x, y: { ...y, field: "start_ms" }, y2: { field: "end_ms" } },
      },
      {
        data: { values: messages },
        mark: { type: "rule", strokeWidth: 1 },
        encoding: {
          x,
          x2: { field: "x_end" },
          y,
          y2: { field: "end_ms" },
          color,
          tooltip: [{ field: "from" }, { field: "to" }, { field: "send_ms", title: "sent (ms)" }, {
            field: "end_ms",
            title: "delivered or dropped (ms)",
          }, { field: "outcome" }],
        },
      },
      endLayer(messages.filter((m) => m.outcome === "delivered"), { shape: "circle", size: 16 }, x, y, color),
      endLayer(messages.filter((m) => m.outcome === "dropped"), { shape: "cross", size: 70, angle: 45 }, x, y, color),
    ],
  };
}

/** The marks at the end of messages: a dot where one is delivered, a cross where one is dropped. */
function endLayer(
  values: readonly VegaLiteSpec[],
  mark: VegaLiteSpec,
  x: VegaLiteSpec,
  y: VegaLiteSpec,
  color: VegaLiteSpec,
): VegaLiteSpec {
  return {
    data: { values },
    mark: { type: "point", filled: true, opacity: 1, ...mark },
    encoding: { x: { ...x, field: "x_end" }, y: { ...y, field: "end_ms" }, color },
  };
}

/** Every node id the trace names (as node or as message peer). */
function nodeIdsOf(trace: readonly TraceEvent[]): number[] {
  const ids = new Set<number>();
  for (const event of trace) {
    if (event.node >= 0) ids.add(event.node);
    if (event.peer >= 0) ids.add(event.peer);
  }
  return [...ids];
}

/** The subtitle: what is not drawn, and why. */
function notesOf(paired: PairedMessages, shownCount: number, keyed: boolean): string[] {
  const notes: string[] = [];
  if (shownCount < paired.messages.length) {
    notes.push(`first ${shownCount} of ${paired.messages.length} messages by send time`);
  }
  if (paired.unmatchedDeliveries > 0) {
    notes.push(`${plural(paired.unmatchedDeliveries, "delivery", "deliveries")} matched no send (not drawn)`);
  }
  if (paired.inFlight > 0) {
    notes.push(`${plural(paired.inFlight, "message", "messages")} still in flight at the end (not drawn)`);
  }
  if (!keyed && (paired.unmatchedDeliveries > 0 || paired.inFlight > 0)) {
    notes.push("paired in order per link, approximate here: pass messageKey to pair exactly");
  }
  return notes;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
