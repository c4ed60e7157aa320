/**
 * The sweep benchmark's ceiling: a worker that answers each request with a pure CPU loop (no
 * modules to load, no allocation, nothing to write), so 1 against 2 of them shows what the
 * machine's cores give a pool of workers at best.
 *
 * @module
 */
// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
scope.onmessage = (event: MessageEvent<{ iterations: number; seed: number }>) => {
  let x = event.data.seed | 1;
  for (let i = 0; i < event.data.iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  scope.postMessage(x);
};
