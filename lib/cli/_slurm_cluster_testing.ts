/**
 * Test helper: a one-node Slurm cluster on this machine, in a temporary directory of its own.
 * munged runs with its own key, socket and files; slurmctld and slurmd run in the foreground as
 * children of the test, on free ports, with a generated slurm.conf (no accounting, no cgroups),
 * so nothing of a Slurm or munge installed on the machine is used or disturbed.
 *
 * @module
 */
import { slurmInstalled } from "./slurm.ts";

/** A running cluster: Slurm's commands reach it with `env`. */
export interface SlurmCluster {
  /** `SLURM_CONF`, naming the generated slurm.conf. */
  env: Record<string, string>;
  /** Cancels every job, stops the daemons and removes the directory. */
  stop(): Promise<void>;
}

/** How long the node may take to come up idle. */
const startupMs = 60_000;

async function runs(command: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

/**
 * Why a cluster cannot be started here (undefined when it can): not root, or Slurm or munge not
 * installed.
 */
export async function slurmClusterUnavailable(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "starting munged, slurmctld and slurmd needs root";
  if (!await slurmInstalled()) {
    return "Slurm or munge is not installed (./faultline setup installs the Debian packages slurm-wlm and munge " +
      "as root, and goes on without them when it cannot)";
  }
  return undefined;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function slurmConf(dir: string, host: string, munge: string): string {
  const cpus = Math.min(2, navigator.hardwareConcurrency);
  return [
    "ClusterName=faultline-test",
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${freePort()}`,
    `SlurmdPort=${freePort()}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    `AuthInfo=socket=${munge}`,
    "CredType=cred/munge",
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`,
    `SlurmdLogFile=${dir}/slurmd.log`,
    // No cgroups: the test runs in containers too, where they are often not delegated.
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "MpiDefault=none",
    "SwitchType=switch/none",
    "MailProg=/bin/true",
    "ReturnToService=2",
    // The node may have more cores than it declares.
    "SlurmdParameters=config_overrides",
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
    `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
    "",
  ].join("\n");
}

async function tail(path: string): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trim().split("\n").slice(-10).join("\n");
}

async function waitFor(what: string, ready: () => Promise<boolean>, logs: string[]): Promise<void> {
  const pollMs = 250;
  for (let waited = 0; waited < startupMs; waited += pollMs) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const shown = await Promise.all(logs.map(async (path) => `${path}:\n${await tail(path)}`));
  throw new Error(`${what} within ${startupMs / 1000} s\n${shown.join("\n")}`);
}

/** Starts munged, slurmctld and slurmd, and waits until the node is idle. */
export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = await Deno.makeTempDir({ prefix: "faultline-slurm-" });
  // munged requires every directory above its socket to be searchable by all.
  await Deno.chmod(dir, 0o711);
  const children: Deno.ChildProcess[] = [];
  const env = { SLURM_CONF: `${dir}/slurm.conf` };
  const spawn = (command: string, args: string[]) => {
    const child = new Deno.Command(command, { args, env, stdin: "null", stdout: "null", stderr: "null" }).spawn();
    children.push(child);
    return child;
  };
  const stop = async () => {
    await new Deno.Command("scancel", { args: ["--me"], env, stdout: "null", stderr: "null" }).output()
      .catch(() => undefined);
    for (const child of children.reverse()) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // exited meanwhile
        }
      }, 5000);
      await child.status;
      clearTimeout(timer);
    }
    await Deno.remove(dir, { recursive: true });
  };
  try {
    const munge = `${dir}/munge.socket`;
    if (!await runs("mungekey", ["--create", `--keyfile=${dir}/munge.key`])) throw new Error("mungekey failed");
    spawn("munged", [
      "--foreground",
      `--socket=${munge}`,
      `--key-file=${dir}/munge.key`,
      `--pid-file=${dir}/munged.pid`,
      `--log-file=${dir}/munged.log`,
      `--seed-file=${dir}/munged.seed`,
    ]);
    await waitFor("munged did not create its socket", () => Deno.stat(munge).then(() => true, () => false), [
      `${dir}/munged.log`,
    ]);
    const host = Deno.hostname().split(".")[0];
    for (const sub of ["state", "spool"]) await Deno.mkdir(`${dir}/${sub}`);
    await Deno.writeTextFile(env.SLURM_CONF, slurmConf(dir, host, munge));
    spawn("slurmctld", ["-D", "-i"]);
    spawn("slurmd", ["-D", "-N", host]);
    const idle = async () => {
      const output = await new Deno.Command("sinfo", { args: ["--noheader", "--Node", "--format=%t"], env })
        .output();
      return new TextDecoder().decode(output.stdout).trim() === "idle";
    };
    await waitFor("the node did not come up idle", idle, [`${dir}/slurmctld.log`, `${dir}/slurmd.log`]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, stop };
}
