/**
 * Test helper: a sweep worker that runs cells as `worker.ts` does and adds to each reply what the
 * sweep's pool did: `ranNth`, the order this worker ran the cell in, and `queuedAtStart`, how many
 * requests it held, this one included, when the cell began. A cell of seed 13 makes the worker
 * fail outside any run, as a worker that crashes does.
 *
 * @module
 */
import { type CellRequest, runCell } from "./worker.ts";

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
let received = 0;
let answeredCount = 0;
let answered = Promise.resolve();
scope.onmessage = (event: MessageEvent<CellRequest>) => {
  received++;
  answered = answered.then(async () => {
    // Long enough for a request the sweep sent at the same time as this one to arrive.
    await new Promise((resolve) => setTimeout(resolve, 50)); // wall-clock ok: a test worker, timing real messages
    if (event.data.seed === 13) throw new Error("this worker crashed on seed 13");
    const queuedAtStart = received - answeredCount;
    const reply = await runCell(event.data);
    reply.figures = { ...reply.figures, ranNth: answeredCount++, queuedAtStart };
    scope.postMessage(reply);
  });
};
