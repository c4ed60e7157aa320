/**
 * Test helper: runs the CLI in a child process, as users do, and captures what it prints.
 *
 * @module
 */

const mainModule = new URL("./main.ts", import.meta.url).pathname;

/** The outcome of one CLI invocation. */
export interface CliOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `./faultline ARGS` (without the launcher) and waits for it.
 *
 * @param options.env variables added to the test's environment
 * @param options.signal aborting it kills the CLI
 */
export async function cli(
  args: string[],
  options: { env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<CliOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", mainModule, ...args],
    env: options.env,
    signal: options.signal,
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}
