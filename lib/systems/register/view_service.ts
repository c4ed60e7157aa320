/**
 * The view service: one node that decides who is primary and who is backup, numbers each such
 * view, and persists it before anyone hears of it. It is a single point of failure by design (as
 * in the classic primary-backup lab): while it is down no view changes, and it recovers its view
 * from disk. Servers ping it every `pingIntervalUs`; it counts a server down after
 * `pingsMissedMax` missed pings, and rejoining when it restarted and cannot take the current view
again (it saved that view before its crash, and may have lost the pipeline it ran in it).
 *
 * The rule that makes the design safe: a new view is chosen only once the primary has
 * acknowledged the current one, and the primary acknowledges only after its backup holds its
 * whole state. So the backup promoted by the next view has every operation any client saw
 * answered.
 *
 * @example
 * ```ts
 * import { nextView } from "./view_service.ts";
 * const view = { number: 1, primary: 1, backup: -1, acknowledged: true };
 * nextView(view, [1, 2, 3], () => "up"); // view 2: primary 1, backup 2
 * ```
 * @module
 */
import { assert } from "../../assert.ts";
import type { NodeApi, NodeLogic } from "../../sim/mod.ts";
import { durableFile } from "./storage.ts";
import { initialView, noServer, pingIntervalUs, pingsMissedMax, type RegisterMessage, type View } from "./types.ts";

/** The file holding the view service's view. */
export const viewFile = "view";

/** How the view service sees a member of the current view now. */
export type Health = "up" | "down" | "rejoining";

/**
 * The view that should follow `view`, or undefined to keep it. Pure: the whole policy is here.
 * `health` says how each of `servers` (the storage servers) looks now.
 */
export function nextView(view: View, servers: readonly number[], health: (server: number) => Health): View | undefined {
  const spare = servers.filter((s) => s !== view.primary && s !== view.backup && health(s) === "up")[0] ?? noServer;
  const successor = (primary: number, backup: number): View => ({
    number: view.number + 1,
    primary,
    backup,
    acknowledged: false,
  });
  if (view.number === 0) return spare === noServer ? undefined : successor(spare, noServer);
  const primary = health(view.primary);
  const backup = view.backup === noServer ? "none" : health(view.backup);
  if (!view.acknowledged) {
    // Until the primary acknowledges, only the same members may follow: a rejoining member needs a
    // newer number to take its role again, so the view is re-issued.
    return primary === "rejoining" || backup === "rejoining" ? successor(view.primary, view.backup) : undefined;
  }
  if (primary !== "up" && view.backup !== noServer) return successor(view.backup, spare);
  // A lone primary holds the only copy: wait for it, and take it back once it has restarted.
  if (primary === "rejoining") return successor(view.primary, spare);
  if (primary === "down") return undefined;
  if (backup === "down" || backup === "rejoining") return successor(view.primary, spare);
  if (backup === "none" && spare !== noServer) return successor(view.primary, spare);
  return undefined;
}

/** What the harness may read of the view service (white-box, for invariants and roles). */
export interface ViewServiceState {
  /** The durable view: the only one anyone has been told. */
  view(): View;
}

/** Options of the view service. */
export interface ViewServiceOptions {
  /** The storage servers' node ids. */
  servers: readonly number[];
}

/** The view service node. */
export function viewService(
  api: NodeApi<RegisterMessage>,
  options: ViewServiceOptions,
): NodeLogic<RegisterMessage> & ViewServiceState {
  assert(options.servers.length > 0, "a view service needs servers");
  let proposed: View | undefined;
  const file = durableFile<View>({
    disk: api.disk,
    file: viewFile,
    current: () => ({ ...proposed! }),
    onDurable(saved) {
      assert(saved.number >= current.number, `view ${saved.number} saved after view ${current.number}`);
      current = saved;
      proposed = undefined;
    },
  });
  let current: View = file.recovered ?? initialView;
  const lastPingUs = new Map<number, number>();
  const lastPing = new Map<number, { viewNumber: number; viewNumberFloor: number }>();
  const deadUs = pingIntervalUs * pingsMissedMax;
  const health = (server: number): Health => {
    const last = lastPingUs.get(server);
    if (last === undefined || api.monotonicUs() - last > deadUs) return "down";
    const ping = lastPing.get(server);
    const rejoining = ping !== undefined && ping.viewNumber !== current.number &&
      ping.viewNumberFloor >= current.number;
    return rejoining ? "rejoining" : "up";
  };
  const propose = (next: View) => {
    assert(proposed === undefined, "a view proposed while another is being saved");
    assert(next.number >= current.number, `view ${next.number} proposed after ${current.number}`);
    proposed = next;
    file.save();
  };
  const start = () => {
    // Everyone gets a full grace period after (re)start: silence before it means nothing.
    for (const server of options.servers) lastPingUs.set(server, api.monotonicUs());
    api.setTimer(pingIntervalUs, "tick");
  };
  return {
    view: () => current,
    onStart: start,
    onRecover: start,
    onMessage(from, message) {
      if (message.type === "viewQuery") return api.send(from, { type: "viewReply", view: current });
      if (message.type !== "ping") return;
      lastPingUs.set(from, api.monotonicUs());
      lastPing.set(from, { viewNumber: message.viewNumber, viewNumberFloor: message.viewNumberFloor });
      const acknowledges = from === current.primary && message.viewNumber === current.number && message.serving;
      if (acknowledges && !current.acknowledged && proposed === undefined) propose({ ...current, acknowledged: true });
      api.send(from, { type: "viewReply", view: current });
    },
    onTimer() {
      api.setTimer(pingIntervalUs, "tick");
      if (proposed !== undefined) return;
      const next = nextView(current, options.servers, health);
      if (next !== undefined) propose(next);
    },
    onDisk: (completion) => void file.onDisk(completion),
  };
}
