// Proves SLO sentences parse into quantile, bound, availability minimum and window (and bad ones
// are refused naming the part and the grammar), and that evaluation fails exactly the windows
// that break a clause, naming the clause.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { evaluateSlo, parseSlo } from "./slo.ts";
import { history, loop } from "./_testing.ts";

const second = 1_000_000;

Deno.test("the example sentence parses into a p99 latency bound, an availability minimum and a 10 s window", () => {
  assert.deepEqual(parseSlo("p99 < 50 ms and availability > 99.9% in every 10 s window"), {
    text: "p99 < 50 ms and availability > 99.9% in every 10 s window",
    clauses: [
      { kind: "latency", text: "p99 < 50 ms", name: "p99", quantile: 0.99, boundUs: 50_000, inclusive: false },
      { kind: "availability", text: "availability > 99.9%", availabilityMin: 0.999, inclusive: false },
    ],
    windowUs: 10_000_000,
  });
});

Deno.test("quantiles, units, inclusive bounds and fractional availability are read as written", () => {
  const slo = parseSlo(
    "  P99.9 <= 0.2ms AND p50<2 MS and p999 < 1 s and availability >= 0.95 in every 500 ms windows ",
  );
  assert.deepEqual(
    slo.clauses.map((
      c,
    ) => (c.kind === "latency" ? [c.name, c.quantile, c.boundUs, c.inclusive] : [c.availabilityMin, c.inclusive])),
    [
      ["p999", 0.999, 200, true],
      ["p50", 0.5, 2_000, false],
      ["p999", 0.999, 1_000_000, false],
      [0.95, true],
    ],
  );
  assert.equal(slo.windowUs, 500_000);
  assert.equal(parseSlo("p100 < 3 µs in every 1 s window").clauses[0].kind, "latency");
});

Deno.test("a sentence it cannot read is refused naming the part and quoting the grammar", () => {
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseSlo(text),
      (e) => e instanceof InputError && pattern.test(e.message) && /Grammar:/.test(e.message),
    );
  refused(
    "p99 < 50 parsecs in every 10 s window",
    /unknown unit "parsecs" in "p99 < 50 parsecs"; units: us, µs, ms, s/,
  );
  refused("p99 < 50 ms in every 10 fortnights window", /unknown unit "fortnights"/);
  refused("p99 < 50 ms", /window part "in every <number> <unit> window" is missing/);
  refused(
    "p99 < 50 ms or availability > 99% in every 1 s window",
    /could not read the clause "p99 < 50 ms or availability > 99%"/,
  );
  refused("availability > 150% in every 1 s window", /percentage up to 100%/);
  refused("p12345 < 1 ms in every 1 s window", /quantile "p12345"/);
  refused("p99 < 1 ms in every 0 s window", /at least 1 us/);
});

// Three 1 s windows of one read every 100 ms, taking 5 ms, except in the middle one, where each takes 80 ms.
const slow = history(
  loop({ process: 0, f: "read", fromUs: 0, toUs: 3 * second, periodUs: 100_000, latencyUs: 5_000 }).map((spec) =>
    spec.invokeUs >= second && spec.invokeUs < 2 * second ? { ...spec, completeUs: spec.invokeUs + 80_000 } : spec
  ),
);

Deno.test("an SLO that fails in exactly one window names that window, its failed clause, and calls it the worst", () => {
  const result = evaluateSlo(slow, "p99 < 50 ms and availability > 99.9% in every 1 s window", {
    startUs: 0,
    endUs: 3 * second,
  });
  assert.equal(result.met, false);
  assert.equal(result.windowsFailed, 1);
  assert.deepEqual(result.windows.map((row) => row.pass), [true, false, true]);
  assert.deepEqual(result.windows[1].failedClauses, ["p99 < 50 ms"]);
  assert.equal(result.windows[1].latencyUsP99, 80_000);
  assert.equal(result.worstWindow?.windowStartUs, second);
  assert.equal(result.worstWindow?.severity, 80_000 / 50_000);
});

Deno.test("availability below the minimum fails its clause, and a window that served nobody fails every clause", () => {
  const events = history([
    ...loop(
      { process: 0, f: "read", fromUs: 0, toUs: second, periodUs: 100_000, latencyUs: 1_000 },
      (t) => (t === 0 ? "fail" : "ok"),
    ),
  ]);
  const result = evaluateSlo(events, parseSlo("p90 <= 1 ms and availability >= 95% in every 1 s window"), {
    startUs: 0,
    endUs: 2 * second,
  });
  assert.deepEqual(result.windows.map((row) => row.failedClauses), [
    ["availability >= 95%"],
    ["p90 <= 1 ms", "availability >= 95%"],
  ]);
  assert.equal(result.windows[0].availability, 0.9);
  assert.equal(result.worstWindow?.windowStartUs, second);
});

Deno.test("an SLO kept in every window is met", () => {
  const result = evaluateSlo(slow, "p99 < 100 ms in every 1 s window", { startUs: 0, endUs: 3 * second });
  assert.equal(result.met, true);
  assert.ok(result.windows.every((row) => row.pass && row.failedClauses.length === 0));
});
