// log-txn-overhead compares a transactional producer with the idempotent one on the same seed:
// transactions cost throughput, and less the longer they last, since their fixed cost (the
// coordinator's round trips and log writes, the markers) is spread over more records.
import assert from "node:assert/strict";
import { logTxnOverheadExperiment, logTxnOverheadParams } from "./mod.ts";

function figures(given: Record<string, number>) {
  return logTxnOverheadExperiment.run(logTxnOverheadParams.resolve({ durationUs: 600_000, ...given }), 1).figures;
}

Deno.test("log-txn-overhead: committing every 10 ms costs more throughput than committing every 300 ms", () => {
  const short = figures({ commitIntervalUs: 10_000 });
  const long = figures({ commitIntervalUs: 300_000 });
  assert.ok((short.throughputTransactionalPerS as number) > 0 && (long.throughputTransactionalPerS as number) > 0);
  assert.ok(
    (short.overheadPercent as number) > (long.overheadPercent as number),
    JSON.stringify({ short, long }),
  );
  assert.ok((long.recordsPerTransactionMean as number) > (short.recordsPerTransactionMean as number));
});

Deno.test("log-txn-overhead refuses a record size below 16 bytes", () => {
  assert.throws(() => logTxnOverheadParams.resolve({ recordBytes: 4 }), /recordBytes/);
});
