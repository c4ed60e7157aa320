/**
 * The detection matrix as a chart: one row per planted bug (and bugs off), one column per seed, a
 * cell filled where a check failed, so first detections and rates read at a glance and a false
 * alarm shows as a filled cell in the `none` row.
 *
 * @module
 */
import { type ChartOptions, schemaUrl } from "./_spec.ts";
import type { VegaLiteSpec } from "./charts.ts";

/** One run: the bug setting, the seed, whether a check failed. */
export interface DetectionPoint {
  bug: string;
  seed: number;
  detected: boolean;
}

/** A heat map of detections by bug and seed. */
export function detectionChart(rows: readonly DetectionPoint[], options: ChartOptions = {}): VegaLiteSpec {
  return {
    $schema: schemaUrl,
    title: options.title ?? "Planted bugs found by the swarm, by seed",
    data: { values: rows.map((r) => ({ bug: r.bug, seed: r.seed, result: r.detected ? "check failed" : "passed" })) },
    mark: { type: "rect", stroke: "white" },
    encoding: {
      x: { field: "seed", type: "ordinal", title: "seed" },
      y: { field: "bug", type: "nominal", title: "planted bug", sort: null },
      color: {
        field: "result",
        type: "nominal",
        scale: { domain: ["check failed", "passed"], range: ["#d62728", "#e0e0e0"] },
        title: null,
      },
    },
    width: options.width ?? 480,
  };
}
