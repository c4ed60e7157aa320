/**
 * The echo service with retries: the kernel's smallest honest system. Servers journal each
 * request and fsync before they answer; clients retry on another server with backoff. Its
 * experiments (the demo's default run) are in `experiments/`.
 *
 * @example
 * ```ts
 * import { echoBugsFor, echoServer, journalFile } from "./mod.ts";
 * echoBugsFor("none").ackBeforeFsync; // false
 * typeof echoServer; journalFile; // "journal"
 * ```
 * @module
 */
export * from "./echo.ts";
export * from "./client.ts";
export * from "./bugs.ts";
