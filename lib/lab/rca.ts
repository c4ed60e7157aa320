/**
 * Root-cause reports of a failing swarm fixture, in Markdown and HTML from the same data: what was
 * violated (each failing check's message and the smallest window it names), the minimal repro and
 * the command that reruns it, the fault timeline (with each fault's recovery time), the messages
 * to and from the nodes involved just before the violation with a space-time diagram, the planted
 * bug's documentation when one was on, and the business impact (RPO, RTO, SLO burn, p99 latency
 * overall and around the incident). Everything from data is escaped on both pages.
 *
 * @module
 */
import { InputError } from "../assert.ts";
import type { CheckResult } from "../check/mod.ts";
import { failedChecks, runFixture, type SwarmFixture, swarmRunnerOf, type SwarmRunOutput } from "../harness/mod.ts";
import type { Op } from "../history/mod.ts";
import { evaluateSlo, operationLatencies, parseSlo, recoveryTimes } from "../metrics/mod.ts";
import { spaceTimeDiagram, toSvg } from "../viz/mod.ts";
import type { Experiment } from "./experiment.ts";
import { writeResultDir } from "./files.ts";
import { bugOf, fixtureJson } from "./fixtures.ts";
import { escapeHtml, escapeMarkdown, htmlTable, reportPage } from "./report_html.ts";

/** Options of {@linkcode rcaReport}. */
export interface RcaOptions {
  /** The objective whose burn is reported; default {@linkcode rcaSloDefault}. */
  slo?: string;
  /** How far before the violation's window the causal path looks; default 50 ms. */
  lookBackUs?: number;
  /** The most messages listed and drawn; default 60. */
  messagesMax?: number;
  /** The fixture's path as the repro command should name it; default `fixture.json`. */
  fixturePath?: string;
}

/** The example objective an RCA measures burn against when none is given. */
export const rcaSloDefault = "p99 < 100 ms and availability >= 99% in every 1 s window";

/** A block of a report section: text, a table, a code block or an image (an SVG by file stem). */
type Block = { text: string } | { table: Record<string, unknown>[] } | { code: string } | { image: string };

interface Section {
  heading: string;
  blocks: Block[];
}

/** A report: both pages, the SVGs they use, and the section headings. */
export interface RcaReport {
  markdown: string;
  html: string;
  svgs: Record<string, string>;
  headings: string[];
  fixture: SwarmFixture;
}

/** The span of the run a check's failure is about, and the client nodes it involves. */
export interface ViolationWindow {
  startUs: number;
  endUs: number;
  /** Node ids named by the failure (the clients whose operations it cites); empty when none. */
  nodes: number[];
  /** Where the window comes from, in words. */
  basis: string;
}

/**
 * The smallest window a failed check names: an invariant's moment of violation, the invocation to
 * return of the operation a linearizability search got stuck on (and those concurrent with it),
 * or the acknowledgements of lost writes up to the faults that took them; undefined when the
 * check names none.
 */
export function violationWindow(check: CheckResult, events: readonly Op[]): ViolationWindow | undefined {
  const details = (check.details ?? {}) as Record<string, unknown>;
  const violation = details.violation as { timeUs?: number } | undefined;
  if (typeof violation?.timeUs === "number") {
    return { startUs: violation.timeUs, endUs: violation.timeUs, nodes: [], basis: "the moment the invariant broke" };
  }
  const counterexample = details.counterexample as
    | { stuck?: OperationRef; concurrent?: OperationRef[] }
    | undefined;
  if (counterexample?.stuck !== undefined) {
    const spans = [counterexample.stuck, ...(counterexample.concurrent ?? [])].map((op) => spanOf(op, events))
      .filter((s) => s !== undefined);
    if (spans.length > 0) {
      return {
        startUs: Math.min(...spans.map((s) => s.startUs)),
        endUs: Math.max(...spans.map((s) => s.endUs)),
        nodes: [...new Set(spans.map((s) => s.process))],
        basis: "the operation no order could place, from its invocation to its return",
      };
    }
  }
  const lost = details.lost as { ackUs: number; faultStartUs?: number }[] | undefined;
  if (Array.isArray(lost) && lost.length > 0) {
    return {
      startUs: Math.min(...lost.map((l) => l.ackUs)),
      endUs: Math.max(...lost.map((l) => l.faultStartUs ?? l.ackUs)),
      nodes: [],
      basis: "the lost writes' acknowledgements up to the faults that took them",
    };
  }
  return undefined;
}

interface OperationRef {
  process: number;
  f: string;
  key?: string;
  input: unknown;
}

function spanOf(
  ref: OperationRef,
  events: readonly Op[],
): { startUs: number; endUs: number; process: number } | undefined {
  const input = JSON.stringify(ref.input);
  const at = events.findIndex((op) =>
    op.type === "invoke" && op.process === ref.process && op.f === ref.f &&
    (ref.key === undefined || op.key === ref.key) &&
    JSON.stringify(op.value) === input
  );
  if (at < 0) return undefined;
  const end = events.slice(at + 1).find((op) => op.process === ref.process && op.type !== "invoke");
  return { startUs: events[at].time, endUs: end?.time ?? events[at].time, process: ref.process };
}

/** Runs `fixture` traced and builds its root-cause report; refuses a fixture whose run passes. */
export async function rcaReport(
  experiment: Experiment,
  fixture: SwarmFixture,
  options: RcaOptions = {},
): Promise<RcaReport> {
  // A bad objective is refused before the run, not after it.
  parseSlo(options.slo ?? rcaSloDefault);
  const output = runFixture(experiment, fixture, { trace: true });
  const failed = output.checks.filter((c) => c.valid === false);
  if (failed.length === 0) {
    throw new InputError(
      `the fixture's run (${fixture.experiment}, seed ${fixture.seed}) passes every check; a root-cause report ` +
        `needs a failing run`,
    );
  }
  const events = output.history.events;
  const window = failed.map((c) => violationWindow(c, events)).find((w) => w !== undefined);
  const svgs: Record<string, string> = {};
  const causal = causalPath(output, window, options);
  if (causal.spec !== undefined) svgs.spacetime = await toSvg(causal.spec);
  const sections: Section[] = [
    violatedSection(failed, window),
    reproSection(experiment, fixture, output, options.fixturePath ?? "fixture.json"),
    timelineSection(output, window),
    { heading: "Causal path", blocks: causal.blocks },
    bugSection(experiment, fixture),
    impactSection(output, window, options.slo ?? rcaSloDefault),
  ];
  const title = `Root cause: ${fixture.experiment}, seed ${fixture.seed}: ${failedChecks(output).join(", ")} violated`;
  return {
    markdown: toMarkdown(title, sections),
    html: toHtml(title, sections, svgs),
    svgs,
    headings: [title, ...sections.map((s) => s.heading)],
    fixture: { ...fixture, expected: { failedChecks: failedChecks(output), traceHash: output.traceHash } },
  };
}

/** A checker's message, cut to a readable length (a counterexample's state can run to pages). */
function shortened(text: string, lengthMax = 400): string {
  return text.length <= lengthMax ? text : `${text.slice(0, lengthMax)}… (${text.length - lengthMax} more characters)`;
}

const ms = (us: number) => Math.round(us / 100) / 10;

function violatedSection(failed: CheckResult[], window: ViolationWindow | undefined): Section {
  const blocks: Block[] = failed.map((c) => ({ text: `${c.checker}: ${shortened(c.message)}` }));
  blocks.push({
    text: window === undefined
      ? "No check names a window of the run; the causal path below is not narrowed."
      : `Smallest failing window: ${ms(window.startUs)} ms to ${ms(window.endUs)} ms (${window.basis}).`,
  });
  return { heading: "What was violated", blocks };
}

function reproSection(experiment: Experiment, fixture: SwarmFixture, output: SwarmRunOutput, path: string): Section {
  const params = Object.entries(fixture.params).filter(([name, value]) => experiment.params[name]?.default !== value);
  return {
    heading: "Minimal repro",
    blocks: [
      { text: `The run below reproduces the failure to the trace hash ${output.traceHash} (${output.events} events).` },
      { code: fixtureJson(fixture) },
      { text: "Rerun it and write this report again with:" },
      { code: `./faultline rca ${path}` },
      {
        text:
          `The seed's own draw (before any shrinking) runs with: ./faultline run ${fixture.experiment} --seed ${fixture.seed}` +
          params.map(([name, value]) => ` --param ${name}=${value}`).join(""),
      },
    ],
  };
}

function overlaps(startUs: number, endUs: number | undefined, window: ViolationWindow | undefined): boolean {
  return window !== undefined && startUs <= window.endUs && (endUs ?? Infinity) >= window.startUs;
}

function timelineSection(output: SwarmRunOutput, window: ViolationWindow | undefined): Section {
  const faults = output.coverage?.faults ?? [];
  if (faults.length === 0) return { heading: "Fault timeline", blocks: [{ text: "No fault was injected." }] };
  const rto = new Map(recoveryTimes(output.history).map((r) => [r.id, r.rtoUs]));
  return {
    heading: "Fault timeline",
    blocks: [{
      table: faults.map((f) => ({
        fault: f.kind,
        targets: f.targets.join(", "),
        "start (ms)": ms(f.startUs),
        "end (ms)": f.endUs === undefined ? "never healed" : ms(f.endUs),
        touched: f.touched ? "yes" : "no",
        "RTO (ms)": rto.has(f.id) ? (rto.get(f.id) === undefined ? "not restored" : ms(rto.get(f.id)!)) : "-",
        "during the violation": overlaps(f.startUs, f.endUs, window) ? "yes" : "",
      })),
    }],
  };
}

function summary(detail: unknown): string {
  if (typeof detail !== "object" || detail === null) return shortened(String(detail), 60);
  const record = detail as Record<string, unknown>;
  const type = record.type ?? record.kind;
  const rest = Object.entries(record).filter(([k]) => k !== "type" && k !== "kind" && k !== "entries")
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
  return shortened(`${type ?? ""} ${rest}`.trim(), 80);
}

function causalPath(
  output: SwarmRunOutput,
  window: ViolationWindow | undefined,
  options: RcaOptions,
): { blocks: Block[]; spec?: ReturnType<typeof spaceTimeDiagram> } {
  const trace = output.trace;
  if (window === undefined || trace === undefined) {
    return { blocks: [{ text: "Without a window or a trace there is no path to narrow; see the fault timeline." }] };
  }
  const fromUs = Math.max(0, window.startUs - (options.lookBackUs ?? 50_000));
  const inWindow = trace.events.filter((e) => e.timeUs >= fromUs && e.timeUs <= window.endUs);
  const messages = inWindow.filter((e) => e.kind === "send" || e.kind === "deliver" || e.kind === "drop");
  // The involved nodes: the clients the failure names and every server (other clients' traffic is
  // left out: it is most of the messages and none of them is about the failing operation).
  const servers = trace.nodeNames.map((name, id) => ({ name, id })).filter((n) => !n.name.startsWith("client"))
    .filter((n) => n.name !== "final").map((n) => n.id);
  const involved = new Set([...window.nodes.filter((n) => trace.nodeNames[n]?.startsWith("client")), ...servers]);
  const lifecycle = inWindow.filter((e) => ["crash", "restart", "pause", "resume"].includes(e.kind));
  const path = [...messages.filter((e) => involved.has(e.node) && involved.has(e.peer)), ...lifecycle]
    .sort((a, b) => a.timeUs - b.timeUs);
  const messagesMax = options.messagesMax ?? 60;
  const shown = path.slice(-messagesMax);
  const name = (id: number) => id < 0 ? "" : trace.nodeNames[id] ?? `node ${id}`;
  const blocks: Block[] = [{
    text: `Events between ${ms(fromUs)} ms and ${ms(window.endUs)} ms among ${
      [...involved].sort((a, b) => a - b).map(name).join(", ")
    }: ${path.length} in all, the last ${shown.length} listed` +
      (trace.truncated ? " (the trace hit its bound; later events are missing)." : "."),
  }, {
    table: shown.map((e) => ({
      "time (ms)": ms(e.timeUs),
      event: e.kind,
      node: name(e.node),
      peer: name(e.peer),
      message: summary(e.detail),
    })),
  }];
  const drawn = shown.filter((e) =>
    e.kind !== "crash" && e.kind !== "restart" && e.kind !== "pause" && e.kind !== "resume"
  );
  if (drawn.length === 0) return { blocks };
  blocks.push({ image: "spacetime" });
  const spec = spaceTimeDiagram(drawn, {
    nodeNames: trace.nodeNames,
    messagesMax,
    title: "Messages before the violation",
  });
  return { blocks, spec };
}

function bugSection(experiment: Experiment, fixture: SwarmFixture): Section {
  const bug = bugOf(fixture);
  if (bug === "none") {
    return {
      heading: "Planted bug",
      blocks: [{ text: "None: every planted bug was off, so this failure is a bug of the system as written." }],
    };
  }
  const doc = swarmRunnerOf(experiment).bugs[bug];
  return {
    heading: "Planted bug",
    blocks: [{ text: `${bug}: ${doc ?? "(the system documents no such bug)"}` }],
  };
}

function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function impactSection(output: SwarmRunOutput, window: ViolationWindow | undefined, sloText: string): Section {
  const events = output.history.events;
  const lostCheck = output.checks.find((c) => /lost/.test(c.checker));
  const rpoUs = (lostCheck?.details as { rpoUs?: number } | undefined)?.rpoUs;
  const rpo = lostCheck === undefined
    ? "not measured (no lost-writes check)"
    : lostCheck.valid === true
    ? "0 ms: every acknowledged write is present"
    : rpoUs !== undefined
    ? `${ms(rpoUs)} ms of acknowledged writes lost (${shortened(lostCheck.message, 120)})`
    : shortened(lostCheck.message, 120);
  const rtos = recoveryTimes(output.history);
  const restored = rtos.map((r) => r.rtoUs).filter((r) => r !== undefined);
  const rto = rtos.length === 0
    ? "no fault"
    : `${restored.length === 0 ? "-" : `${ms(Math.max(...restored))} ms at most`}; ${
      rtos.length - restored.length
    } of ${rtos.length} faults never restored service`;
  const latencies = operationLatencies(output.history).filter((r) => r.type === "ok");
  // Around the incident: a second either side of the violation's window.
  const around = window === undefined
    ? []
    : latencies.filter((r) => r.completeUs >= window.startUs - 1_000_000 && r.completeUs <= window.endUs + 1_000_000);
  const p99 = (rows: typeof latencies) => {
    const value = quantile(rows.map((r) => r.latencyUs), 0.99);
    return value === undefined ? "-" : `${ms(value)} ms`;
  };
  const slo = evaluateSlo(events, sloText);
  const incident = window === undefined
    ? undefined
    : slo.windows.find((w) => w.windowStartUs <= window.endUs && w.windowEndUs > window.endUs);
  return {
    heading: "Business impact",
    blocks: [{
      table: [
        { measure: "RPO (acknowledged writes lost)", value: rpo },
        { measure: "RTO (fault start to restored service)", value: rto },
        {
          measure: `SLO burn (${sloText})`,
          value: `${slo.windowsFailed} of ${slo.windows.length} windows failed` +
            (incident === undefined ? "" : `; the violation's window ${incident.pass ? "met it" : "failed it"}`),
        },
        { measure: "p99 latency, whole run", value: p99(latencies) },
        { measure: "p99 latency, 1 s either side of the violation", value: window === undefined ? "-" : p99(around) },
        { measure: "availability, whole run", value: String(output.figures.availability ?? "-") },
      ],
    }],
  };
}

function fence(code: string): string {
  const longest = Math.max(2, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  return "`".repeat(longest + 1);
}

function toMarkdown(title: string, sections: Section[]): string {
  const md = (v: unknown) => escapeMarkdown(String(v));
  const lines = [`# ${md(title)}`, ""];
  for (const section of sections) {
    lines.push(`## ${md(section.heading)}`, "");
    for (const block of section.blocks) {
      if ("text" in block) lines.push(md(block.text), "");
      else if ("code" in block) lines.push(fence(block.code), block.code.trimEnd(), fence(block.code), "");
      else if ("image" in block) lines.push(`![${md(block.image)}](${encodeURI(`${block.image}.svg`)})`, "");
      else if (block.table.length > 0) {
        const columns = Object.keys(block.table[0]);
        lines.push(`| ${columns.map(md).join(" | ")} |`, `| ${columns.map(() => "---").join(" | ")} |`);
        for (const row of block.table) lines.push(`| ${columns.map((c) => md(row[c] ?? "")).join(" | ")} |`);
        lines.push("");
      }
    }
  }
  return lines.join("\n");
}

function toHtml(title: string, sections: Section[], svgs: Record<string, string>): string {
  return reportPage(
    title,
    sections.map((section) =>
      `<h2>${escapeHtml(section.heading)}</h2>` + section.blocks.map((block) => {
        if ("text" in block) return `<p>${escapeHtml(block.text)}</p>`;
        if ("code" in block) return `<pre><code>${escapeHtml(block.code)}</code></pre>`;
        if ("image" in block) return svgs[block.image] ?? "";
        return htmlTable(block.table);
      }).join("")
    ),
  );
}

/** Writes `rca.md`, `rca.html`, the diagram and the fixture as directory `dir` (Faultline's). */
export async function writeRca(dir: string, report: RcaReport): Promise<void> {
  const files: Record<string, string> = {
    "rca.md": report.markdown,
    "rca.html": report.html,
    "fixture.json": fixtureJson(report.fixture),
  };
  for (const [name, svg] of Object.entries(report.svgs)) files[`${name}.svg`] = svg;
  await writeResultDir(dir, files, { kind: "rca" });
}
