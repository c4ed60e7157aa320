/**
 * The primary-backup register as the harness runs it: one view service and `servers` storage
 * servers, clients that find the primary through the view service, the roles the nemesis targets
 * (`primary`, `backup`, `replicas`, `viewService`, `storage`), the invariants checked as the run
 * goes, convergence after the heal, and the primary's durable state for the end.
 *
 * @example
 * ```ts
 * import { registerSystem } from "./system.ts";
 * Object.keys(registerSystem.bugs); // ["backupAcksBeforeApply", "primaryReadsWithoutBackup"]
 * ```
 * @module
 */
import { exponentialMessageServiceTime, type Invariant, type SystemDefinition } from "../../../harness/mod.ts";
import type { Simulation } from "../../../sim/mod.ts";
import {
  decodeSnapshot,
  noServer,
  registerBugDocs,
  registerBugsFor,
  registerClient,
  type RegisterMessage,
  registerServer,
  type ServerState,
  type Snapshot,
  stateFile,
  viewService,
  type ViewServiceState,
} from "../mod.ts";

/** How to build the register. */
export interface RegisterOptions {
  /** Storage servers (the view service is one more node). */
  servers: number;
  /** Mean server CPU time per message (exponential). */
  serviceTimeUsMean: number;
  timeoutUs: number;
  attemptsMax: number;
  bug: "none" | keyof typeof registerBugDocs;
}

/** The register on the harness. */
export const registerSystem: SystemDefinition<RegisterMessage, RegisterOptions> = {
  name: "register",
  bugs: registerBugDocs,
  build(sim, options) {
    const bugs = registerBugsFor(options.bug);
    const serviceTimeUs = exponentialMessageServiceTime(options.serviceTimeUsMean);
    // Each node's latest incarnation, read white-box by the invariants and roles (nodes are created
    // when they start, after every id below is known).
    const states = new Map<number, ServerState>();
    let service: ViewServiceState | undefined;
    const storage: number[] = [];
    for (let i = 0; i < options.servers; i++) {
      storage.push(sim.addNode<RegisterMessage>({
        name: `server${i}`,
        serviceTimeUs,
        create: (api) => {
          const server = registerServer(api, { viewService: viewServiceId, bugs });
          states.set(api.id, server);
          return server;
        },
      }));
    }
    const viewServiceId = sim.addNode<RegisterMessage>({
      name: "viewservice",
      serviceTimeUs,
      create: (api) => (service = viewService(api, { servers: storage })),
    });
    const view = () => service?.view();
    const up = (node: number) => node !== noServer && sim.isUp(node);
    const serving = (node: number) => (up(node) ? states.get(node) : undefined);
    return {
      servers: [viewServiceId, ...storage],
      roles: {
        primary: () => [view()?.primary ?? noServer].filter(up),
        backup: () => [view()?.backup ?? noServer].filter(up),
        replicas: () => [view()?.primary ?? noServer, view()?.backup ?? noServer].filter(up),
        viewService: () => [viewServiceId],
        storage: () => [...storage],
      },
      invariants: registerInvariants({ storage, serving, view }),
      converged: () => converged(view(), serving) && up(viewServiceId),
      durableValues: () => durableStore(sim, view()?.primary ?? noServer),
      figures: () => ({
        viewNumberFinal: view()?.number ?? 0,
        // Each server as `id:role@view`, for reading a run's end at a glance.
        serverRolesFinal: storage.map((node) => {
          const state = serving(node);
          return state === undefined ? `${node}:down` : `${node}:${state.role()}@${state.view().number}`;
        }).join(" "),
      }),
    };
  },
  client(context, cluster, options) {
    const viewService = cluster.roles!.viewService()[0];
    return registerClient(context, { viewService, timeoutUs: options.timeoutUs, attemptsMax: options.attemptsMax });
  },
};

/** What the invariants read. */
interface Observed {
  storage: readonly number[];
  /** The live server's state, or undefined when it is down. */
  serving: (node: number) => ServerState | undefined;
  view: () => { number: number } | undefined;
}

/**
 * The register's invariants:
 * - `one-primary-per-view`: no two live servers act as primary in the same view;
 * - `backup-prefix`: in a view, the backup's applied entries are a prefix of the primary's (equal
 *   chained digests at the backup's sequence number);
 * - `view-numbers-grow`: the view service's view number never decreases, crashes included.
 */
export function registerInvariants(observed: Observed): Invariant[] {
  let viewNumberSeen = 0;
  return [
    {
      name: "one-primary-per-view",
      check() {
        const primaries = new Map<number, number>();
        for (const node of observed.storage) {
          const state = observed.serving(node);
          if (state === undefined || !state.role().startsWith("primary")) continue;
          const other = primaries.get(state.view().number);
          if (other !== undefined) {
            return `servers ${other} and ${node} are both primary in view ${state.view().number}`;
          }
          primaries.set(state.view().number, node);
        }
        return undefined;
      },
    },
    {
      name: "backup-prefix",
      check() {
        for (const node of observed.storage) {
          const broken = prefixBroken(node, observed);
          if (broken !== undefined) return broken;
        }
        return undefined;
      },
    },
    {
      name: "view-numbers-grow",
      check() {
        const number = observed.view()?.number ?? 0;
        if (number < viewNumberSeen) return `the view service went back from view ${viewNumberSeen} to ${number}`;
        viewNumberSeen = number;
        return undefined;
      },
    },
  ];
}

/** Whether the backup of serving primary `node` holds a prefix of its entries; undefined when it does. */
function prefixBroken(node: number, observed: Observed): string | undefined {
  const primary = observed.serving(node);
  if (primary === undefined || primary.role() !== "primary" || primary.view().backup === noServer) return undefined;
  const backupNode = primary.view().backup;
  const backup = observed.serving(backupNode);
  // Only a backup whose state descends from this primary's transfer in this view is comparable.
  if (backup === undefined || backup.role() !== "backup" || backup.transfer() !== primary.transfer()) return undefined;
  const where =
    `view ${primary.view().number}: backup ${backupNode} at entry ${backup.seq()}, primary ${node} at ${primary.seq()}`;
  if (backup.seq() > primary.seq()) return `${where}: the backup is ahead`;
  const digest = primary.digestAt(backup.seq());
  if (digest === undefined) return `${where}: the backup is further behind than the primary remembers`;
  return digest === backup.digest() ? undefined : `${where}: their histories differ`;
}

function converged(
  view: { number: number; primary: number; backup: number; acknowledged: boolean } | undefined,
  serving: (node: number) => ServerState | undefined,
): boolean {
  if (view === undefined || !view.acknowledged) return false;
  const primary = serving(view.primary);
  if (primary?.role() !== "primary" || primary.view().number !== view.number) return false;
  if (view.backup === noServer) return true;
  const backup = serving(view.backup);
  return backup?.role() === "backup" && backup.transfer() === primary.transfer();
}

/** The store in `node`'s durable state file: what a power loss of every server now would keep. */
export function durableStore(sim: Simulation, node: number): Map<string, unknown> {
  if (node === noServer) return new Map();
  const snapshot = decodeSnapshot<Snapshot>(sim.files(node).readDurable(stateFile));
  return new Map(snapshot?.store ?? []);
}
