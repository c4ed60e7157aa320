/**
 * Hosts: the machines nodes are placed on. A host has CPU cores and one disk device, shared by
 * its nodes, so co-located nodes contend for both.
 *
 * CPU scheduling follows Linux CFS in miniature: when a core frees, the waiting node with the
 * least CPU time used per share runs next (weighted fair sharing), and a node with a hard cap
 * (`cpuCapCores`, as a cgroup's cpu.max) gets at most `cap x period` of CPU per 100 ms period,
 * then waits for the next period. Service is not preempted: an event that overruns its quota
 * finishes and the overrun is paid from the next period.
 *
 * @module
 */
import { checkNumber } from "../assert.ts";
import { DiskDevice, type DiskOptions } from "./disk.ts";
import type { Placement } from "./network.ts";

/** The CFS bandwidth-control period. */
export const cpuPeriodUs = 100_000;

/** Options of a host. */
export interface HostOptions extends Placement {
  name?: string;
  /** CPU cores. Default 1. */
  cores?: number;
  disk?: DiskOptions;
}

/** The CPU-related state of a node that the host's scheduler reads. */
export interface CpuTenant {
  readonly id: number;
  cpuShares: number;
  /** 0 means uncapped. */
  cpuCapCores: number;
  cpuUsedUs: number;
  /** CPU time used divided by shares, floored on wake-up: the fair scheduler's clock. */
  cpuVirtualUs: number;
  cpuPeriodIndex: number;
  cpuPeriodUsedUs: number;
}

/** A machine: cores, a disk, a placement. */
export class Host {
  readonly id: number;
  readonly name: string;
  readonly placement: Placement;
  readonly cores: number;
  readonly disk: DiskDevice;
  /** Cores busy now. */
  running = 0;
  /** CPU time served on this host. */
  cpuBusyUs = 0;
  /** Nodes with work that wait for a core, in arrival order. */
  readonly waiting: CpuTenant[] = [];
  /** The node ids placed here. */
  readonly nodes: number[] = [];
  /** The virtual time of the last tenant chosen: a waking tenant starts no lower (CFS's min_vruntime). */
  cpuVirtualFloorUs = 0;
  /** The period boundary a wake-up is already queued for, to queue at most one. */
  wakeQueuedForUs = -1;

  constructor(id: number, options: HostOptions) {
    this.id = id;
    this.name = options.name ?? `host${id}`;
    this.placement = { region: options.region, zone: options.zone };
    this.cores = checkNumber(`host ${this.name} cores`, options.cores ?? 1, { min: 1, max: 1024, integer: true });
    this.disk = new DiskDevice(options.disk);
  }

  /** Whether `tenant` may start service at `nowUs` under its cap. */
  eligible(tenant: CpuTenant, nowUs: number): boolean {
    if (tenant.cpuCapCores <= 0) return true;
    const period = Math.floor(nowUs / cpuPeriodUs);
    if (period !== tenant.cpuPeriodIndex) {
      // Overrun carries into the next period, as CFS carries runtime debt.
      const quotaUs = tenant.cpuCapCores * cpuPeriodUs;
      const elapsed = period - tenant.cpuPeriodIndex;
      tenant.cpuPeriodUsedUs = Math.max(0, tenant.cpuPeriodUsedUs - quotaUs * elapsed);
      tenant.cpuPeriodIndex = period;
    }
    return tenant.cpuPeriodUsedUs < tenant.cpuCapCores * cpuPeriodUs;
  }

  /**
   * Adds `tenant` to the waiting tenants (once). A tenant that was idle starts at the current
   * virtual-time floor, so sleeping does not bank CPU credit that would starve the others later.
   */
  enqueue(tenant: CpuTenant): void {
    if (this.waiting.includes(tenant)) return;
    tenant.cpuVirtualUs = Math.max(tenant.cpuVirtualUs, this.cpuVirtualFloorUs);
    this.waiting.push(tenant);
  }

  /** Removes and returns the waiting tenant that should run next, or undefined. */
  takeNext(nowUs: number): CpuTenant | undefined {
    let best = -1;
    for (let i = 0; i < this.waiting.length; i++) {
      const tenant = this.waiting[i];
      if (!this.eligible(tenant, nowUs)) continue;
      if (best < 0 || virtualRuntime(tenant) < virtualRuntime(this.waiting[best])) best = i;
    }
    if (best < 0) return undefined;
    const chosen = this.waiting.splice(best, 1)[0];
    this.cpuVirtualFloorUs = Math.max(this.cpuVirtualFloorUs, chosen.cpuVirtualUs);
    return chosen;
  }

  /** Charges `serviceUs` of CPU to `tenant`, which starts a service now. */
  charge(tenant: CpuTenant, serviceUs: number): void {
    // Every start moves the floor, not only picks from the waiting tenants: a node that runs alone
    // never waits, and a node waking beside it must not find the floor where it was at the start.
    this.cpuVirtualFloorUs = Math.max(this.cpuVirtualFloorUs, tenant.cpuVirtualUs);
    tenant.cpuUsedUs += serviceUs;
    tenant.cpuVirtualUs += serviceUs / tenant.cpuShares;
    tenant.cpuPeriodUsedUs += serviceUs;
    this.cpuBusyUs += serviceUs;
  }
}

function virtualRuntime(tenant: CpuTenant): number {
  return tenant.cpuVirtualUs;
}
