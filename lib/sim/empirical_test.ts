// Proves empirical data files parse with headers and comments, and that bad or missing files fail with a
// location.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { loadEmpirical, parseEmpirical } from "./empirical.ts";
import { Rng } from "./rng.ts";

function draws(text: string, count = 2000): number[] {
  const sampler = parseEmpirical(text, "test.csv");
  const rng = Rng.fromSeed(1).fork("empirical-test");
  return Array.from({ length: count }, () => sampler.sample(rng));
}

Deno.test("a file with a header, comments, blank lines and CRLF endings parses to its values", () => {
  const sampler = parseEmpirical(
    "rtt_us\r\n# measured in eu-west\r\n120\r\n\r\n  180  \r\n# trailing note\r\n950\r\n",
    "rtt.csv",
  );
  assert.deepEqual(sampler.spec, { kind: "empirical", values: [120, 180, 950], name: "rtt.csv" });
  const values = draws("rtt_us\n120\n180\n950\n");
  assert.ok(values.every((x) => x >= 120 && x <= 950));
  assert.ok(values.some((x) => x > 180), "the top of the range is reachable");
});

Deno.test("a file without a header parses every line as a value", () => {
  assert.deepEqual(parseEmpirical("1\n2.5\n-3\n1e3\n", "plain").spec, {
    kind: "empirical",
    values: [1, 2.5, -3, 1000],
    name: "plain",
  });
});

Deno.test("a malformed line fails with the file name and its line number", () => {
  assert.throws(
    () => parseEmpirical("rtt_us\n120\n# ok\nabc\n300\n", "rtt.csv"),
    (e: Error) => e instanceof InputError && e.message.startsWith("rtt.csv:4:") && e.message.includes('"abc"'),
  );
  // A header is only allowed on the first line.
  assert.throws(
    () => parseEmpirical("120\nrtt_us\n", "late-header.csv"),
    (e: Error) => e instanceof InputError && e.message.startsWith("late-header.csv:2:"),
  );
  assert.throws(
    () => parseEmpirical("1,2\n", "two-columns.csv"),
    (e: Error) => e instanceof InputError && e.message.startsWith("two-columns.csv:1:"),
  );
});

Deno.test("a file with no values fails saying so", () => {
  assert.throws(
    () => parseEmpirical("rtt_us\n# nothing yet\n\n", "empty.csv"),
    (e: Error) => e instanceof InputError && /empty\.csv: no values found/.test(e.message),
  );
});

Deno.test("loadEmpirical reads a file from disk", async () => {
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  try {
    await Deno.writeTextFile(path, "latency_us\n10\n20\n30\n");
    const sampler = await loadEmpirical(path);
    assert.deepEqual(sampler.spec, { kind: "empirical", values: [10, 20, 30], name: path });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("loadEmpirical of a missing file fails with an InputError naming the path", async () => {
  const path = "/nonexistent/faultline/rtt_us.csv";
  await assert.rejects(
    () => loadEmpirical(path),
    (e: Error) => e instanceof InputError && e.message.includes(`cannot read empirical data file ${path}`),
  );
});
