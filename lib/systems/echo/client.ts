/**
 * The echo client: sends a request to one server, waits `timeoutUs`, and retries on the next
 * server with exponential backoff and full jitter, the way real RPC clients do. A request answered
 * is `ok`; one given up on after `attemptsMax` attempts is `info` (a server may still have
 * journaled it). Per answered request it records `acked` (the id), `latency_us` (first send to
 * answer, on its own monotonic clock) and `attempts_acked`; per request given up on, `failed`.
 *
 * @module
 */
import { assert } from "../../assert.ts";
import type { ClientContext, Outcome, Request, SystemClient } from "../../sim/mod.ts";
import type { EchoMessage } from "./echo.ts";

/** Options of a client. */
export interface EchoClientOptions {
  /** Server node ids. */
  servers: readonly number[];
  /** How long to wait for a response before retrying. */
  timeoutUs: number;
  /** Attempts per request before giving up. */
  attemptsMax: number;
  /** First retry backoff; doubles per attempt, with full jitter. */
  backoffUsBase: number;
}

const timerTimeout = "timeout";
const timerRetry = "retry";

interface Current {
  requestId: number;
  attempt: number;
  startedUs: number;
  timer: number;
  done: (outcome: Outcome) => void;
}

/** A client performing `write` requests whose value is the request id (a number unique in the run). */
export function echoClient(
  context: ClientContext<EchoMessage>,
  options: EchoClientOptions,
): SystemClient<EchoMessage> {
  assert(options.servers.length > 0, "an echo client needs a server");
  let current: Current | undefined;
  const send = () => {
    assert(current !== undefined, "send without a current request");
    const server = options.servers[(current.requestId + current.attempt) % options.servers.length];
    context.send(server, { type: "request", requestId: current.requestId, attempt: current.attempt });
    current.timer = context.setTimer(options.timeoutUs, timerTimeout);
  };
  const finish = (ok: boolean) => {
    assert(current !== undefined, "finish without a current request");
    const { requestId, attempt, startedUs, done } = current;
    current = undefined;
    if (ok) {
      context.record("acked", requestId);
      context.record("latency_us", context.monotonicUs() - startedUs);
      context.record("attempts_acked", attempt);
      done({ type: "ok" });
    } else {
      // Given up on, but a server may have journaled it: the outcome is unknown.
      context.record("failed", requestId);
      done({ type: "info" });
    }
  };
  return {
    perform(request: Request, done) {
      assert(current === undefined, "an echo client performs one request at a time");
      // Checked on every request: the message is built only when the check fails.
      if (request.f !== "write" || typeof request.value !== "number") {
        assert(false, `echo performs writes of ids, not ${request.f}`);
      }
      current = { requestId: request.value, attempt: 1, startedUs: context.monotonicUs(), timer: -1, done };
      send();
    },
    onMessage(_from, message) {
      if (message.type !== "response" || current === undefined || message.requestId !== current.requestId) return;
      context.cancelTimer(current.timer);
      finish(true);
    },
    onTimer(tag) {
      if (current === undefined) return;
      if (tag === timerRetry) return send();
      if (current.attempt >= options.attemptsMax) return finish(false);
      current.attempt++;
      const backoffUs = context.rng.next() * options.backoffUsBase * 2 ** (current.attempt - 2);
      current.timer = -1;
      context.setTimer(backoffUs, timerRetry);
    },
  };
}
