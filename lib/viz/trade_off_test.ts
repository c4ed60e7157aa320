// Proves the trade-off curve averages both figures over the same seeds per parameter value, joins
// the points in the parameter's order, labels them, and compiles and renders to SVG.
import assert from "node:assert/strict";
import { toSvg } from "./render.ts";
import { tradeOffCurve, tradeOffPoints } from "./trade_off.ts";

const rows = [1000, 0, 100].flatMap((cadence) =>
  [1, 2].map((seed) => ({
    cadence,
    seed,
    walBytesMax: cadence === 0 ? 900_000 : cadence * 80 + seed,
    recoveryUs: cadence === 0 ? 40_000 + seed : 1_000 + cadence * 5,
  }))
);

Deno.test("tradeOffPoints() takes the mean of both figures per parameter value, over seeds that have both", () => {
  const withFailure = [...rows, { cadence: 100, seed: 3, walBytesMax: 1e12, recoveryUs: null }];
  assert.deepEqual(tradeOffPoints(withFailure, { parameter: "cadence", x: "walBytesMax", y: "recoveryUs" }), [
    { parameter: 1000, x: 80_001.5, y: 6_000, count: 2 },
    { parameter: 0, x: 900_000, y: 40_001.5, count: 2 },
    { parameter: 100, x: 8_001.5, y: 1_500, count: 2 },
  ]);
});

Deno.test("tradeOffCurve() joins the points in the parameter's order and labels each with its value", async () => {
  const spec = tradeOffCurve(rows, {
    parameter: "cadence",
    x: "walBytesMax",
    y: "recoveryUs",
    yTitle: "recovery (us)",
  });
  assert.deepEqual(spec.data.values.map((v: { label: string; order: number }) => [v.label, v.order]), [
    ["cadence=0", 0],
    ["cadence=100", 1],
    ["cadence=1000", 2],
  ]);
  const svg = await toSvg(spec);
  for (const text of ["recovery (us)", "walBytesMax", "cadence=100"]) {
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  }
});

Deno.test("tradeOffCurve() joins text parameter values in the rows' order, with labels of the caller's choosing", () => {
  const named = rows.map((row) => ({ ...row, cadence: row.cadence === 0 ? "never" : String(row.cadence) }));
  const spec = tradeOffCurve(named, {
    parameter: "cadence",
    x: "walBytesMax",
    y: "recoveryUs",
    label: (value) => `every ${value}`,
  });
  assert.deepEqual(spec.data.values.map((v: { label: string }) => v.label), ["every 1000", "every never", "every 100"]);
});

Deno.test("tradeOffCurve() refuses a figure no row has, naming the columns there are", () => {
  assert.throws(
    () => tradeOffCurve(rows, { parameter: "cadence", x: "walBytes", y: "recoveryUs" }),
    /no row has a column "walBytes" \(columns: cadence, seed, walBytesMax, recoveryUs\)/,
  );
});
