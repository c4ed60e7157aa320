/**
 * The history of a run, in Jepsen's vocabulary: client operations and nemesis faults as `invoke`,
 * `ok`, `fail` and `info` events; their JSON-lines form; streaming to and from files; and the
 * fault windows read back from a history.
 *
 * @example
 * ```ts
 * import { faultWindows, formatHistory, History } from "./mod.ts";
 * const history = new History();
 * history.add({ process: "nemesis", type: "info", f: "crash", value: { phase: "start", id: 1 }, time: 10 });
 * history.add({ process: "nemesis", type: "info", f: "crash", value: { phase: "heal", id: 1 }, time: 50 });
 * formatHistory(history.events); // two JSON lines
 * faultWindows(history.events, 100); // one crash window, from 10 to 50 µs
 * ```
 * @module
 */
export * from "./history.ts";
export * from "./jsonl.ts";
export * from "./stream.ts";
export * from "./fault_windows.ts";
