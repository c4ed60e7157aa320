/**
 * Tools Faultline installs from Debian packages when run as root (PyPI and other registries are
 * not reachable where Faultline runs): Jupyter for the notebooks, Slurm for its test.
 *
 * @module
 */

/** Whether `command args` runs and exits 0 (false when it is not installed). */
export async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, { args, stdout: "null", stderr: "null" }).output();
    return success;
  } catch {
    return false;
  }
}

/**
 * Whether an executable `command` is on PATH. For the tools that cannot say their version without
 * a configuration (Slurm's client commands fail without a slurm.conf).
 */
export async function onPath(command: string): Promise<boolean> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "")) {
    const info = await Deno.stat(`${dir}/${command}`).catch(() => undefined);
    if (info?.isFile && ((info.mode ?? 0) & 0o111) !== 0) return true;
  }
  return false;
}

/** Runs `command args` with its output on ours; throws naming the command when it fails. */
export async function run(command: string, args: string[]): Promise<void> {
  const { success, code } = await new Deno.Command(command, { args, stdout: "inherit", stderr: "inherit" }).output();
  if (!success) throw new Error(`${command} ${args.join(" ")} failed with exit code ${code}`);
}

/**
 * Installs Debian `packages` (`what` names them in messages) with apt-get. Throws, saying what to
 * run, when not root or when apt-get is missing.
 */
export async function installDebianPackages(what: string, packages: readonly string[]): Promise<void> {
  const install = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  if (Deno.uid() !== 0) throw new Error(`${what} is not installed. As root, run:\n  ${install}\nthen run this again.`);
  if (!(await succeeds("apt-get", ["--version"]))) {
    throw new Error(`${what} is not installed and apt-get is missing; install ${packages.join(", ")}.`);
  }
  console.error(`faultline: installing ${what} from Debian packages (${packages.join(", ")})...`);
  await run("apt-get", ["update", "-qq"]);
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages]);
}
