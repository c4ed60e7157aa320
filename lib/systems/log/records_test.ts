// The record frame keeps what transactions need: a transactional record and a marker (commit or
// abort, sequence -1) read back equal to what was written.
import assert from "node:assert/strict";
import { decodeRecord, encodeRecord } from "./records.ts";
import type { LogRecord } from "./types.ts";

Deno.test("a transactional record and commit and abort markers survive the frame", () => {
  const base = { offset: 4, timestampUs: 1_500, leaderEpoch: 2, producerId: 100_000_000, producerEpoch: 3 };
  const written: LogRecord[] = [
    { ...base, sequence: 0, value: "a", transactional: true },
    { ...base, sequence: -1, value: "", control: "commit" },
    { ...base, sequence: -1, value: "", control: "abort" },
  ];
  for (const record of written) assert.deepEqual(decodeRecord(encodeRecord(record), 0)?.record, record);
});
