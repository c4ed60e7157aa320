/**
 * Every queue and buffer of the Raft core has an upper bound, named here (TigerBeetle's
 * constants.zig). Exceeding one either refuses the request with a clear answer (client work) or
 * fails loudly (anything else: a runaway server is a bug to find, not a state to live with).
 *
 * @module
 */

/** Appends with entries outstanding per follower before new entries wait (etcd's MaxInflightMsgs). */
export const inflightAppendsMax = 4;
/** Reads waiting for their confirmation round and the apply point; more are refused (ok: false). */
export const pendingReadsMax = 100_000;
/** Client proposals appended and not yet applied; more are refused (ok: false). */
export const pendingProposalsMax = 100_000;
/** Messages, reads and responses held until the persistence they follow is durable. */
export const waitingOutputsMax = 1_000_000;
/** Servers in a configuration (voters and learners): bounds every per-follower map. */
export const serversMax = 256;
/** Observations (role changes, metrics) one ready may carry. */
export const readyObservationsMax = 100_000;
/** Entries one ready may apply: a follower catching up applies at most this many at once. */
export const appliedPerReadyMax = 10_000_000;
