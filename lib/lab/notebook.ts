/**
 * The lab from a notebook: sweeps with one progress display updated in place (cells done / total,
 * ETA, failures so far), results kept on disk so an interrupted kernel loses nothing, and
 * comparisons and reports callable as functions.
 *
 * Deno's kernel updates output in place only through `Deno.jupyter.broadcast` with a display id
 * (denoland/deno#20656); outside a kernel the progress goes nowhere.
 *
 * @example
 * ```ts
 * import { sweep } from "../lib/lab/notebook.ts";
 * const result = await sweep({ experiment: "echo", grid: { clients: [2, 8] }, seeds: [1, 2] });
 * ```
 * @module
 */
import { digestText } from "../base/mod.ts";
import type { SweepSpec } from "./cells.ts";
import { runSweep, type SweepProgress, type SweepResult } from "./sweep.ts";
import { resultsRoot } from "./files.ts";

const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

interface Broadcast {
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
}

function jupyter(): Broadcast | undefined {
  try {
    // deno-lint-ignore no-explicit-any
    return (Deno as any).jupyter as Broadcast | undefined;
  } catch {
    // Deno throws on reading `Deno.jupyter` outside `deno jupyter`: no kernel, no display.
    return undefined;
  }
}

/** The progress line: cells done, failures, and the time left (or taken, once done). */
export function describeProgress(p: SweepProgress): string {
  if (p.done === p.total) {
    return `${p.done} / ${p.total} cells (${p.cached} cached), ${p.failures} failed, done in ${
      Math.round(p.elapsedMs / 1000)
    } s`;
  }
  const eta = Number.isFinite(p.etaMs) ? `ETA ${Math.round(p.etaMs / 1000)} s` : "ETA after the first cell";
  return `${p.done} / ${p.total} cells (${p.cached} cached), ${p.failures} failed so far, ${eta}`;
}

/** One progress display, updated in place. */
export class ProgressDisplay {
  readonly #id: string;
  #shown = false;
  #pending: Promise<void> = Promise.resolve();

  constructor(id: string) {
    this.#id = id;
  }

  /** Shows or updates the display with `p`. */
  update(p: SweepProgress): void {
    const api = jupyter();
    if (api === undefined) return;
    const width = 300;
    const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
    const html = `<div style="font:13px monospace"><div style="width:${width}px;height:10px;background:#eee">` +
      `<div style="width:${filled}px;height:10px;background:${p.failures > 0 ? "#d62728" : "#2ca02c"}"></div></div>${
        describeProgress(p)
      }</div>`;
    const type = this.#shown ? "update_display_data" : "display_data";
    this.#shown = true;
    const content = {
      data: { "text/plain": describeProgress(p), "text/html": html },
      metadata: {},
      transient: { display_id: this.#id },
    };
    // Send updates in order, and let the caller await the last one (output after a cell ends is lost).
    this.#pending = this.#pending.then(() => api.broadcast(type, content));
  }

  /** Resolves when every update has been sent. */
  flushed(): Promise<void> {
    return this.#pending;
  }
}

/**
 * Runs a sweep with a progress display; results land in `results/<experiment>/sweep-<digest>/`
 * (or `dir`) and finished cells are cached, so re-running the cell after an interrupted kernel
 * continues where it stopped.
 */
export async function sweep(
  spec: SweepSpec,
  options: { dir?: string; workers?: number; force?: boolean; keepHistories?: boolean } = {},
): Promise<SweepResult> {
  const id = digestText(JSON.stringify(spec)).slice(0, 10);
  const display = new ProgressDisplay(`faultline-sweep-${id}`);
  const result = await runSweep(spec, {
    dir: options.dir ?? `${resultsRoot(root)}/${spec.experiment}/sweep-${id}`,
    cacheDir: `${resultsRoot(root)}/${spec.experiment}/cache`,
    workers: options.workers,
    force: options.force,
    keepHistories: options.keepHistories,
    onProgress: (p) => display.update(p),
    wallClockMs: () => performance.now(), // wall-clock ok: progress and ETA only, never results
  }, `${root}/lib`);
  await display.flushed();
  return result;
}
