/**
 * The register's client: asks the view service who is primary, sends the request there, and
 * retries on a timeout or a `notPrimary` answer, asking the view service again each time. A retry
 * carries the same request id, so the primary applies it at most once (its sessions remember each
 * client's last request). After `attemptsMax` attempts the outcome is `info`: the operation may
 * have happened. A cas that found another value is `fail`: it definitely did not happen.
 *
 * @example
 * ```ts
 * import { registerClient } from "./client.ts";
 * typeof registerClient; // "function": the harness builds one per client process
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { ClientContext, Outcome, Request, SystemClient } from "../../sim/mod.ts";
import { noServer, type Operation, pingIntervalUs, type RegisterMessage } from "./types.ts";

/** Options of a client. */
export interface RegisterClientOptions {
  viewService: number;
  /** How long an attempt waits for an answer. */
  timeoutUs: number;
  /** Attempts before the outcome is given up as unknown. */
  attemptsMax: number;
}

interface Current {
  requestId: number;
  operation: Operation;
  attempt: number;
  timer: number;
  done: (outcome: Outcome) => void;
}

const timerTimeout = "timeout";
const timerRetry = "retry";

/** A client of the register: `get`, `put` and `cas` on keys. */
export function registerClient(
  context: ClientContext<RegisterMessage>,
  options: RegisterClientOptions,
): SystemClient<RegisterMessage> {
  assert(options.attemptsMax >= 1 && options.timeoutUs > 0, "a client needs an attempt and a timeout");
  let primary = noServer;
  let requestIdLast = 0;
  let current: Current | undefined;

  const send = () => {
    assert(current !== undefined, "send without a current request");
    if (primary === noServer) return context.send(options.viewService, { type: "viewQuery" });
    context.send(primary, { type: "request", requestId: current.requestId, operation: current.operation });
  };
  const attempt = () => {
    assert(current !== undefined, "attempt without a current request");
    if (current.attempt >= options.attemptsMax) return finish({ type: "info" });
    current.attempt++;
    current.timer = context.setTimer(options.timeoutUs, timerTimeout);
    send();
  };
  const finish = (outcome: Outcome) => {
    assert(current !== undefined, "finish without a current request");
    const { done, timer, attempt } = current;
    context.cancelTimer(timer);
    current = undefined;
    if (outcome.type === "info") context.record("requests_given_up", 1);
    else context.record("attempts_answered", attempt);
    done(outcome);
  };
  return {
    perform(request: Request, done) {
      assert(current === undefined, "a register client performs one request at a time");
      assert(["get", "put", "cas"].includes(request.f), `the register has get, put and cas, not ${request.f}`);
      assert(typeof request.key === "string", `${request.f} needs a key`);
      const operation = { f: request.f as Operation["f"], key: request.key, value: request.value };
      current = { requestId: ++requestIdLast, operation, attempt: 0, timer: -1, done };
      attempt();
    },
    onMessage(from, message) {
      if (message.type === "viewReply") {
        if (message.view.primary === primary || message.view.primary === noServer) return;
        primary = message.view.primary;
        if (current !== undefined) send();
        return;
      }
      if (message.type !== "reply" || current === undefined || message.requestId !== current.requestId) return;
      if (message.result.type !== "notPrimary") return finish(message.result);
      if (from !== primary) return;
      // Ask the view service again after a ping interval, when the view may have moved on.
      primary = noServer;
      context.cancelTimer(current.timer);
      current.timer = context.setTimer(pingIntervalUs, timerRetry);
    },
    onTimer(tag) {
      if (current === undefined) return;
      if (tag === timerTimeout) primary = noServer;
      attempt();
    },
  };
}
