/**
 * Empirical distributions loaded from files in `datasets/`.
 *
 * The file format is one number per line (a CSV with a header naming one column also works:
 * the first line is skipped when it is not a number). Blank lines and lines starting with `#`
 * are ignored. A malformed line is reported with its line number.
 *
 * @example
 * ```ts
 * import { parseEmpirical } from "./empirical.ts";
 * const rtt = parseEmpirical("rtt_us\n120\n180\n950\n", "rtt.csv");
 * ```
 * @module
 */
import { InputError } from "../assert.ts";
import { type Distribution, distribution } from "./distributions.ts";

/** Parses the text of an empirical data file into a distribution. `name` is used in errors. */
export function parseEmpirical(text: string, name: string): Distribution {
  const values: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const value = Number(line);
    if (line !== "" && Number.isFinite(value)) {
      values.push(value);
      return;
    }
    const isHeader = i === 0 && /^[A-Za-z_][\w .-]*$/.test(line);
    if (!isHeader) {
      throw new InputError(`${name}:${i + 1}: expected one finite number per line, got ${JSON.stringify(line)}`);
    }
  });
  if (values.length === 0) throw new InputError(`${name}: no values found (one number per line expected)`);
  return distribution({ kind: "empirical", values, name });
}

/** Reads `path` (for example `datasets/rtt_us.csv`) and parses it with {@linkcode parseEmpirical}. */
export async function loadEmpirical(path: string | URL): Promise<Distribution> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new InputError(`cannot read empirical data file ${String(path)}: ${(error as Error).message}`);
  }
  return parseEmpirical(text, String(path));
}
