/**
 * Keys with a time to live, expired the way etcd's lessor expires leases: only the leader watches
 * the deadlines, on its own clock, and when one passes it proposes an `expire` command into the
 * log. Every server deletes the key when it applies that command, at the same point of the log, so
 * no replica applies an expiry differently and reads stay linearizable (a key read before its
 * expire entry is still there). A write that replaced the key in the meantime gives it a new
 * version, and the stale expire then does nothing.
 *
 * Deadlines are soft state. A new leader starts every key's full time to live again from its own
 * election (etcd's `Promote` renews every lease by its TTL): it cannot know how much of it the old
 * leader's clock had used, and expiring late is safe where expiring early is not. So a key lives
 * at least its TTL, and at most about its TTL more per change of leader.
 *
 * @module
 */
import { appendAsLeader } from "./proposal.ts";
import { replicate } from "./replication.ts";
import type { CoreState } from "./state.ts";
import type { Command } from "../types.ts";

/** Watches every key the state machine holds with a time to live, from now: a leader's start. */
export function watchAllExpiries(s: CoreState): void {
  s.expiries.clear();
  for (const [key, lease] of s.stateMachine.leases?.() ?? []) {
    s.expiries.set(key, { version: lease.version, deadlineUs: s.nowUs + lease.ttlUs, proposed: false });
  }
}

/** After a leader applied a command: start, restart or stop watching the key it wrote. */
export function watchExpiryAfterApply(s: CoreState, command: Command): void {
  if (command.kind !== "op" && command.kind !== "expire") return;
  if (command.kind === "op" && command.f === "get") return;
  const lease = s.stateMachine.leaseOf?.(command.key);
  if (lease === undefined) {
    s.expiries.delete(command.key);
    return;
  }
  if (s.expiries.get(command.key)?.version === lease.version) return;
  s.expiries.set(command.key, { version: lease.version, deadlineUs: s.nowUs + lease.ttlUs, proposed: false });
}

/** The earliest deadline not yet acted on (Infinity: none). */
export function nextExpiryUs(s: CoreState): number {
  let earliest = Infinity;
  for (const expiry of s.expiries.values()) {
    if (!expiry.proposed && expiry.deadlineUs < earliest) earliest = expiry.deadlineUs;
  }
  return earliest;
}

/** A leader proposes an expire for every key whose deadline passed (not while handing over, §3.10). */
export function proposeDueExpiries(s: CoreState): void {
  if (s.role !== "leader" || s.transferTarget !== -1) return;
  let proposed = false;
  for (const [key, expiry] of s.expiries) {
    if (expiry.proposed || s.nowUs < expiry.deadlineUs) continue;
    appendAsLeader(s, { kind: "expire", key, version: expiry.version });
    expiry.proposed = true;
    proposed = true;
  }
  if (!proposed) return;
  s.metric("raft_expiries_proposed", 1);
  for (const server of s.peers()) replicate(s, server);
}
