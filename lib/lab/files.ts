/**
 * Writing results safely: a run's files are written into a staging directory beside the target
 * and renamed into place in one step, so a killed process never leaves a half-written result and
 * an earlier result stays intact until the new one is complete.
 *
 * @module
 */

/** Writes `files` (name to contents) as directory `dir`, replacing any previous one atomically. */
export async function writeResultDir(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const parent = dir.replace(/\/[^/]+\/?$/, "") || ".";
  const base = dir.replace(/\/$/, "").split("/").pop()!;
  await Deno.mkdir(parent, { recursive: true });
  const staging = `${parent}/.${base}.staging-${Deno.pid}`;
  await Deno.remove(staging, { recursive: true }).catch(() => {});
  await Deno.mkdir(staging);
  for (const [name, contents] of Object.entries(files)) {
    if (typeof contents === "string") await Deno.writeTextFile(`${staging}/${name}`, contents);
    else await Deno.writeFile(`${staging}/${name}`, contents);
  }
  // rename() cannot replace a non-empty directory: move the old one aside first, then drop it.
  const old = `${parent}/.${base}.old-${Deno.pid}`;
  const hadOld = await Deno.stat(dir).then(() => true, () => false);
  if (hadOld) await Deno.rename(dir, old);
  await Deno.rename(staging, dir);
  if (hadOld) await Deno.remove(old, { recursive: true });
}

/** The project's git commit and whether the work tree is dirty, when git is available. */
export async function gitVersion(): Promise<{ commit: string; dirty: boolean } | undefined> {
  try {
    const head = await new Deno.Command("git", { args: ["rev-parse", "HEAD"], stderr: "null" }).output();
    if (!head.success) return undefined;
    const status = await new Deno.Command("git", { args: ["status", "--porcelain"], stderr: "null" }).output();
    return {
      commit: new TextDecoder().decode(head.stdout).trim(),
      dirty: new TextDecoder().decode(status.stdout).trim() !== "",
    };
  } catch {
    return undefined;
  }
}

/** Rows as CSV with a header (values are numbers or plain strings). */
export function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return "";
  const columns = Object.keys(rows[0]);
  const quote = (v: unknown) => {
    const text = String(v);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [columns.join(","), ...rows.map((r) => columns.map((c) => quote(r[c])).join(","))].join("\n") + "\n";
}
