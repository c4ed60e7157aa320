// Proves a campaign reports what its sweeps found: the first detecting seed of a bug with the
// checks that fired, the false alarms with bugs off, a pass only when every bug was found, and
// clear refusals of an unknown system, bug or seed range.
import assert from "node:assert/strict";
import { InputError } from "../assert.ts";
import { detectionMatrix, detectionSummary, runCampaign } from "./campaign.ts";

const libDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const clock = () => performance.now();

Deno.test("campaign: a bug's first detection, the checks that fired, and bugs off with no false alarm", async () => {
  const resultsDir = await Deno.makeTempDir();
  try {
    const result = await runCampaign(
      { system: "raft", bugs: ["staleLeaderReads"], seeds: { from: 1, to: 2 } },
      { resultsDir, wallClockMs: clock, workers: 1 },
      libDir,
    );
    const found = result.bugs.staleLeaderReads;
    assert.equal(found.firstSeed, 1);
    assert.ok(found.checks.includes("linearizability (kv)"), found.checks.join(","));
    assert.match(found.drawn ?? "", /packages=/);
    assert.equal(result.falseAlarms, 0);
    assert.equal(result.passed, true);
    // The detecting run's history is kept in its batch's sweep directory.
    const histories = [...Deno.readDirSync(`${found.dir}/histories`)];
    assert.ok(histories.length > 0);
  } finally {
    await Deno.remove(resultsDir, { recursive: true });
  }
});

Deno.test("campaign: a bug not found in the range fails the campaign and says so", async () => {
  const resultsDir = await Deno.makeTempDir();
  try {
    const result = await runCampaign(
      { system: "raft", bugs: ["commitPreviousTerm"], seeds: { from: 1, to: 1 } },
      { resultsDir, wallClockMs: clock, workers: 1 },
      libDir,
    );
    assert.equal(result.bugs.commitPreviousTerm.firstSeed, null);
    assert.equal(result.bugs.commitPreviousTerm.seedsRun, 1);
    assert.equal(result.passed, false);
  } finally {
    await Deno.remove(resultsDir, { recursive: true });
  }
});

Deno.test("campaign: an unknown system, bug or seed range is refused before anything runs", async () => {
  const options = { resultsDir: "/nonexistent", wallClockMs: clock };
  const seeds = { from: 1, to: 2 };
  await assert.rejects(() => runCampaign({ system: "raf", bugs: "all", seeds }, options, libDir), /did you mean raft/);
  await assert.rejects(
    () => runCampaign({ system: "raft", bugs: ["forgetVotes"], seeds }, options, libDir),
    /no planted bug "forgetVotes" \(did you mean forgetVote\?\)/,
  );
  await assert.rejects(
    () => runCampaign({ system: "raft", bugs: "all", seeds: { from: 5, to: 2 } }, options, libDir),
    InputError,
  );
});

Deno.test("detection matrix: every bug setting on every seed, bugs off as the row none, summarised per bug", () => {
  const rows = detectionMatrix("raft", [1, 2], ["staleLeaderReads"]);
  assert.deepEqual(rows.map((r) => `${r.bug}@${r.seed}`), [
    "staleLeaderReads@1",
    "staleLeaderReads@2",
    "none@1",
    "none@2",
  ]);
  assert.ok(rows[0].detected && rows[0].checks.includes("linearizability (kv)"), JSON.stringify(rows[0]));
  assert.ok(rows.filter((r) => r.bug === "none").every((r) => !r.detected && r.checks === ""));
  const summary = detectionSummary(rows);
  assert.deepEqual(summary.map((s) => [s.bug, s.firstSeed]), [["staleLeaderReads", 1], ["none", null]]);
  assert.equal(summary[1].rate, 0);
  assert.throws(() => detectionMatrix("rafft", [1]), /did you mean raft/);
});
