/**
 * A primary-backup replicated key-value register, the classic design: a view service picks a
 * primary and a backup; the primary orders client operations (get, put, cas per key), forwards
 * each to the backup, and answers only once the backup has applied it durably; when the primary
 * fails the view service promotes the backup, and a new backup takes the primary's state before
 * the view is acknowledged. Servers keep their state and view on disk and recover from it.
 *
 * The system imports only `lib/assert.ts` and the kernel's types; its harness declaration and
 * experiment are in `experiments/`. See docs/register.md and docs/adding-a-system.md.
 *
 * @example
 * ```ts
 * import { nextView, registerBugsFor } from "./mod.ts";
 * registerBugsFor("none").backupAcksBeforeApply; // false
 * nextView({ number: 0, primary: -1, backup: -1, acknowledged: false }, [1, 2], () => "up")?.primary; // 1
 * ```
 * @module
 */
export * from "./types.ts";
export * from "./state.ts";
export * from "./storage.ts";
export * from "./bugs.ts";
export * from "./view_service.ts";
export * from "./server.ts";
export * from "./client.ts";
