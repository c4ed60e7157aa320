/**
 * A self-contained HTML page that shows a history as one timeline per process (ok, fail and info
 * operations told apart) and marks a counterexample's operations, so a violation is seen, not just
 * described. No script, no external resource: it opens offline.
 *
 * @module
 */
import type { Op } from "../history/mod.ts";
import { type LinearizabilityResult, unknownExplanation } from "./linearizability.ts";

/** An operation as drawn: fail operations included, unlike the checker's operations. */
interface Drawn {
  process: number;
  f: string;
  key: string | undefined;
  input: unknown;
  output: unknown;
  type: "ok" | "fail" | "info";
  callIndex: number;
  returnIndex: number;
}

function drawnOperations(events: readonly Op[]): Drawn[] {
  const open = new Map<number, { op: Op; index: number }>();
  const drawn: Drawn[] = [];
  events.forEach((op, index) => {
    if (op.process === "nemesis") return;
    if (op.type === "invoke") {
      open.set(op.process, { op, index });
      return;
    }
    const call = open.get(op.process);
    if (call === undefined) return;
    open.delete(op.process);
    const type = op.type as "ok" | "fail" | "info";
    drawn.push({
      process: op.process,
      f: call.op.f,
      key: call.op.key,
      input: call.op.value,
      output: type === "ok" ? op.value : undefined,
      type,
      callIndex: call.index,
      returnIndex: type === "info" ? Infinity : index,
    });
  });
  for (const call of open.values()) {
    drawn.push({
      process: call.op.process as number,
      f: call.op.f,
      key: call.op.key,
      input: call.op.value,
      output: undefined,
      type: "info",
      callIndex: call.index,
      returnIndex: Infinity,
    });
  }
  return drawn;
}

/**
 * The tag every page this module writes carries, so a later run may replace a page it wrote but
 * refuses to overwrite a file it did not. It is the tag of every page Faultline writes (the lab's
 * `generatorMeta`), so one rule decides what may be replaced.
 */
export const linearizabilityHtmlMarker = '<meta name="generator" content="Faultline">';

const rowHeightPx = 26;
const labelWidthPx = 90;
const widthPx = 1100;
const windowEventsMax = 300;

/** Renders the page for a linearizability result over `events`. */
export function linearizabilityHtml(
  events: readonly Op[],
  result: LinearizabilityResult,
  options: { title: string; model: string },
): string {
  const operations = drawnOperations(events).filter((d) =>
    result.counterexample === undefined || d.key === result.counterexample.key
  );
  const example = result.counterexample;
  const role = new Map<number, string>();
  if (example) {
    for (const l of example.linearized) role.set(l.operation.callIndex, "linearized");
    for (const c of example.concurrent) role.set(c.callIndex, "concurrent");
    role.set(example.stuck.callIndex, "stuck");
  }
  const involved = [...role.keys()];
  const lastEvent = events.length;
  const from = involved.length > 0 ? Math.max(0, Math.min(...involved) - 20) : 0;
  const to = Math.min(lastEvent, from + windowEventsMax);
  const shown = operations.filter((d) => d.callIndex <= to && (d.returnIndex === Infinity || d.returnIndex >= from));
  const processes = [...new Set(shown.map((d) => d.process))].sort((a, b) => a - b);
  const x = (index: number) =>
    labelWidthPx + ((Math.min(index, to) - from) / Math.max(1, to - from)) * (widthPx - labelWidthPx - 10);
  const bars = shown.map((d) => {
    const row = processes.indexOf(d.process);
    const x1 = x(d.callIndex);
    const x2 = Math.max(x1 + 3, x(d.returnIndex === Infinity ? to : d.returnIndex));
    const cls = `${d.type} ${role.get(d.callIndex) ?? ""}`;
    const label = `${d.f} ${show(d.input)}${d.type === "ok" && d.output !== undefined ? ` → ${show(d.output)}` : ""}`;
    const title = `process ${d.process}: ${label} (${d.type}; events ${d.callIndex + 1}-${
      d.returnIndex === Infinity ? "never" : d.returnIndex + 1
    })`;
    return `<g class="${cls.trim()}"><title>${escape(title)}</title><rect x="${x1.toFixed(1)}" y="${
      row * rowHeightPx + 4
    }" width="${(x2 - x1).toFixed(1)}" height="${rowHeightPx - 8}" rx="3"/><text x="${(x1 + 3).toFixed(1)}" y="${
      row * rowHeightPx + rowHeightPx / 2 + 4
    }">${escape(label.slice(0, Math.max(0, Math.floor((x2 - x1) / 6))))}</text></g>`;
  });
  const labels = processes.map((p, row) =>
    `<text class="process" x="4" y="${row * rowHeightPx + rowHeightPx / 2 + 4}">process ${escape(String(p))}</text>`
  );
  const heightPx = Math.max(1, processes.length) * rowHeightPx + 8;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${linearizabilityHtmlMarker}<title>${escape(options.title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
svg text { font: 11px monospace; fill: #111; }
svg text.process { font-weight: bold; }
g.ok rect { fill: #c6dbef; stroke: #6b9bc3; }
g.fail rect { fill: #eee; stroke: #999; stroke-dasharray: 3 2; }
g.info rect { fill: #fde0a6; stroke: #d9a23a; stroke-dasharray: 6 3; }
g.linearized rect { stroke: #2ca02c; stroke-width: 2.5; }
g.concurrent rect { stroke: #ff7f0e; stroke-width: 2.5; }
g.stuck rect { fill: #f4a3a3; stroke: #d62728; stroke-width: 3; }
.legend span { display: inline-block; margin-right: 16px; }
.swatch { display: inline-block; width: 14px; height: 10px; margin-right: 4px; border: 2px solid; vertical-align: middle; }
ol li { font-family: monospace; }
</style></head><body>
<h1>${escape(options.title)}</h1>
<p>Model <b>${escape(options.model)}</b>: ${verdictText(result)}</p>
${example ? explanation(result) : ""}
<p class="legend"><span><i class="swatch" style="background:#c6dbef;border-color:#6b9bc3"></i>ok</span><span><i class="swatch" style="background:#eee;border-color:#999"></i>fail (did not happen)</span><span><i class="swatch" style="background:#fde0a6;border-color:#d9a23a"></i>info (unknown)</span><span><i class="swatch" style="border-color:#2ca02c"></i>linearized before the failure</span><span><i class="swatch" style="background:#f4a3a3;border-color:#d62728"></i>cannot take effect</span><span><i class="swatch" style="border-color:#ff7f0e"></i>concurrent, not placed</span></p>
<p>Events ${from + 1} to ${to} of ${lastEvent}${
    example?.key !== undefined ? `, key ${escape(String(example.key))}` : ""
  }; time runs left to right by position in the history; hover an operation for details.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}">${labels.join("")}${bars.join("")}</svg>
</body></html>
`;
}

function verdictText(result: LinearizabilityResult): string {
  if (result.valid === true) {
    return `<b style="color:#2ca02c">linearizable</b> (${result.operations} operations, ${result.keys} keys).`;
  }
  if (result.valid === "unknown") {
    return `<b style="color:#d9a23a">unknown</b>: ${escape(unknownExplanation(result))}.`;
  }
  return `<b style="color:#d62728">not linearizable</b>.`;
}

function explanation(result: LinearizabilityResult): string {
  const example = result.counterexample!;
  const items = example.linearized.map((l) =>
    `<li>process ${escape(String(l.operation.process))}: ${escape(l.operation.f)} ${escape(show(l.operation.input))}${
      l.operation.output !== undefined ? ` → ${escape(show(l.operation.output))}` : ""
    } leaves ${escape(l.stateAfter)}</li>`
  );
  return `<p>The longest order the model accepts ends with:</p><ol>${items.join("")}</ol>
<p>After it, <b>process ${escape(String(example.stuck.process))}: ${escape(example.stuck.f)} ${
    escape(show(example.stuck.input))
  }${
    example.stuck.output !== undefined ? ` → ${escape(show(example.stuck.output))}` : ""
  }</b> completed without being able to take effect: the state was ${escape(example.stateAtStuck)}, and no other order${
    example.concurrent.length === 0 ? "" : ` of the ${example.concurrent.length} concurrent operations (orange)`
  } lets it.</p>`;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? "undefined";
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
