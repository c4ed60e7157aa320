/**
 * Client proposals: a leader appends a client's command and answers once it is applied; reads go
 * by ReadIndex or a lease when the read mode allows. Client sessions (exactly-once retries) are
 * the state machine's business (`../kv.ts`).
 *
 * @module
 */
import { assert } from "../../../assert.ts";
import { pendingProposalsMax } from "./limits.ts";
import { beginRound, leaseRead, readIndex, refusal } from "./read.ts";
import { replicate } from "./replication.ts";
import type { CoreState } from "./state.ts";
import type { ClientRequest, Command, Entry } from "./types.ts";

/**
 * A client's write. A server that does not lead, a leader handing over (no new entries, so the
 * target can catch up, §3.10), and a leader with `pendingProposalsMax` proposals outstanding
 * refuse it at once.
 */
export function propose(s: CoreState, from: number, request: ClientRequest): void {
  assert(request.type === "request" && request.f !== "get", "a proposal is a client's write");
  if (!acceptsRequests(s)) return refuse(s, from, request);
  appendProposal(s, from, request);
}

/**
 * A client's read: by a lease or ReadIndex when the read mode allows (and the leader has committed
 * an entry of its term), else through the log like a write (§6.4).
 */
export function read(s: CoreState, from: number, request: ClientRequest): void {
  assert(request.type === "request" && request.f === "get", "a read is a client's get");
  if (!acceptsRequests(s)) return refuse(s, from, request);
  if (s.config.readMode === "lease" && leaseRead(s, from, request)) return;
  if (s.config.readMode !== "log" && readIndex(s, from, request)) return;
  appendProposal(s, from, request);
}

/** Whether this server takes client requests now: it leads and is not handing over (§3.10). */
function acceptsRequests(s: CoreState): boolean {
  return s.role === "leader" && s.transferTarget === -1;
}

/** Refuses a request at once: it did not happen, and the answer promises nothing durable. */
function refuse(s: CoreState, from: number, request: ClientRequest): void {
  s.out.refusals.push({ node: from, response: refusal(s, request) });
}

/** Appends the client's command and remembers whom to answer once it is applied. */
function appendProposal(s: CoreState, from: number, request: ClientRequest): void {
  if (s.pendingClients.size >= pendingProposalsMax) return refuse(s, from, request);
  const command: Command = {
    kind: "op",
    clientId: request.clientId,
    seq: request.seq,
    f: request.f,
    key: request.key,
    value: request.value,
    ...(request.expected !== undefined ? { expected: request.expected } : {}),
    ...(request.ttlUs !== undefined ? { ttlUs: request.ttlUs } : {}),
  };
  const index = appendAsLeader(s, command);
  s.pendingClients.set(index, { node: from, clientId: request.clientId, seq: request.seq });
  // Under leases the appends of a write double as a confirmation round, renewing the lease
  // between heartbeats.
  if (s.config.readMode === "lease" && !s.readRoundInFlight) beginRound(s);
  for (const server of s.peers()) replicate(s, server);
}

/** Appends a command of this term to the leader's log (and to the WAL). Returns its index. */
export function appendAsLeader(s: CoreState, command: Command): number {
  if (!(s.role === "leader")) assert(false, `a ${s.role} appends as leader`);
  const entry: Entry = { term: s.term, index: s.log.lastIndex + 1, command };
  s.log.push(entry);
  s.persistEntries([entry]);
  if (command.kind === "config") {
    s.membership.appended([entry]);
    // A newcomer is probed from the end of the log; its rejection rewinds to where it stands.
    for (const server of s.peers()) {
      if (!s.nextIndex.has(server)) s.nextIndex.set(server, entry.index);
    }
  }
  return entry.index;
}
