/**
 * The primary-backup register's vocabulary: views, operations, the replicated state's entries,
 * the messages between clients, servers and the view service, and the bounds every queue obeys.
 *
 * @module
 */

/** No server: a view without a backup has `backup: noServer`. */
export const noServer = -1;

/**
 * A view, as the view service numbers and persists it: who is primary, who is backup, and whether
 * the primary has acknowledged it (which it does only once its backup holds its state).
 */
export interface View {
  /** From 1; 0 is "no view yet". Never reused, never decreasing (the view service persists it). */
  number: number;
  primary: number;
  backup: number;
  acknowledged: boolean;
}

/** The view before the view service has chosen any primary. */
export const initialView: View = { number: 0, primary: noServer, backup: noServer, acknowledged: false };

/** A client operation on one key: `get`, `put` of a value, or `cas` of `[expected, next]`. */
export interface Operation {
  f: "get" | "put" | "cas";
  key: string;
  value: unknown;
}

/** What an operation returned: ok (with the value read), or fail (a cas that did not match). */
export type Result = { type: "ok"; value?: string } | { type: "fail" };

/** One ordered operation: the primary gives it the next sequence number and forwards it. */
export interface Entry {
  seq: number;
  /** The client node and its request id, so a retried request is applied at most once. */
  client: number;
  requestId: number;
  operation: Operation;
}

/** The last request of a client and its result (clients run one request at a time). */
export interface Session {
  requestId: number;
  result: Result;
}

/** The replicated state as it is persisted and transferred. */
export interface Snapshot {
  /** The view the server acted in when it wrote this state. */
  viewNumber: number;
  /** Sequence number of the last applied entry. */
  seq: number;
  /** Chained hash of every applied entry: equal digests at one seq mean equal histories. */
  digest: number;
  store: [string, string][];
  sessions: [number, Session][];
}

/** Every message of the protocol. */
export type RegisterMessage =
  /**
   * Server to view service, every `pingIntervalUs`: liveness, the view it acts in (0: none yet), the
   * highest view it may not take again (the one it saved before a restart), and whether it serves
   * as primary (the acknowledgement of the view).
   */
  | { type: "ping"; viewNumber: number; viewNumberFloor: number; serving: boolean }
  /** Client to view service: who is primary? */
  | { type: "viewQuery" }
  /** View service to server or client: the current (durable) view. */
  | { type: "viewReply"; view: View }
  | { type: "request"; requestId: number; operation: Operation }
  /** `notPrimary`: ask the view service again. */
  | { type: "reply"; requestId: number; result: Result | { type: "notPrimary" } }
  /** Primary to backup: apply this entry. */
  | { type: "forward"; viewNumber: number; entry: Entry }
  /** Backup to primary: every entry up to `seq` is applied and durable. */
  | { type: "forwardAck"; viewNumber: number; seq: number }
  /** Primary to a new backup: replace your state with mine (the state transfer). */
  | { type: "transfer"; viewNumber: number; tag: number; snapshot: Snapshot }
  | { type: "transferAck"; viewNumber: number; tag: number; seq: number }
  /** Backup to an old primary: I am in a newer view, stop. */
  | { type: "staleView"; viewNumber: number };

/** How often servers ping the view service (and retransmit unacknowledged forwards). */
export const pingIntervalUs = 10_000;
/** Pings a server may miss before the view service counts it down. */
export const pingsMissedMax = 5;
/** Operations a primary has ordered but not yet answered; beyond this it drops requests (clients retry). */
export const inflightOperationsMax = 64;
/** Recent chained digests a server keeps, for the prefix invariant; covers the whole pipeline. */
export const appliedDigestsMax = 2 * inflightOperationsMax;
/** Keys the store holds at most. */
export const keysMax = 1024;
/** Client sessions the store holds at most (one per client node). */
export const sessionsMax = 1024;
