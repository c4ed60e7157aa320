/**
 * `faultline check FILE --model NAME [--init VALUE] [--json] [--html OUT] [--steps N] [--timeout S]`:
 * checks a history file in the interchange format for linearizability. Exit codes: 0 valid,
 * 1 violation, 2 bad input, 3 unknown (a search bound reached or the time limit; the output says
 * which). A long check prints a progress line on stderr.
 *
 * @module
 */
import { assert, InputError } from "../assert.ts";
import {
  checkIsolation,
  checkLinearizable,
  exitCodeOf,
  linearizabilityHtml,
  linearizabilityHtmlMarker,
  type LinearizabilityProgress,
  type LinearizabilityResult,
  type ModelName,
  modelNamed,
  modelNames,
  OperationPairer,
  unknownExplanation,
} from "../check/mod.ts";
import { type Op, readHistory } from "../history/mod.ts";
import { generatorMeta, requireReplaceablePage, writeAtomically } from "../lab/mod.ts";

/** Options of the check command. */
export interface CheckCommand {
  file: string;
  model: string;
  init: string | undefined;
  json: boolean;
  html: string | undefined;
  steps: number | undefined;
  /** Seconds the linearizability search may take before the verdict is "unknown" (default none). */
  timeoutSeconds?: number | undefined;
  /** For isolation models: list-append or rw-register. */
  workload: string | undefined;
}

/** Checks transactions for an isolation model, in the manner of Elle. */
async function isolationCommand(command: CheckCommand): Promise<number> {
  if (command.workload !== "list-append" && command.workload !== "rw-register") {
    throw new InputError(`isolation model ${command.model} needs --workload list-append or --workload rw-register`);
  }
  if (command.html !== undefined) {
    throw new InputError("--html draws linearizability counterexamples; isolation results print their cycles");
  }
  const events: Op[] = [];
  let timeLast = -Infinity;
  for await (const op of readHistory(command.file)) {
    if (op.time < timeLast) {
      throw new InputError(
        `${command.file}: event ${events.length + 1}: time ${op.time} is before the previous event's time ` +
          `${timeLast}; events must be in real-time order (sort the history by time)`,
      );
    }
    timeLast = op.time;
    events.push(op);
  }
  if (!events.some((op) => op.process !== "nemesis")) {
    throw new InputError(`${command.file} holds no client operations: nothing to check`);
  }
  const result = checkIsolation(events, {
    workload: command.workload,
    model: command.model as ModelName,
    stepsMax: command.steps,
  });
  if (command.json) console.log(JSON.stringify({ file: command.file, ...result }, null, 2));
  else {
    console.log(`${command.file}: ${result.message}`);
    const models = Object.entries(result.models).map(([name, valid]) =>
      `${name} ${valid === true ? "yes" : valid === false ? "NO" : "?"}`
    );
    console.log(`models: ${models.join(", ")}`);
    for (const anomaly of result.anomalies.slice(0, 5)) console.log(`\n${anomaly.explanation}`);
  }
  return exitCodeOf(result.valid);
}

/** Runs the check and prints the verdict; returns the exit code. */
export async function checkCommand(command: CheckCommand): Promise<number> {
  if ((modelNames as readonly string[]).includes(command.model)) return await isolationCommand(command);
  if (command.workload !== undefined) {
    throw new InputError(`--workload applies to isolation models (${modelNames.join(", ")}), not ${command.model}`);
  }
  const model = modelNamed(command.model);
  const initial = parseInit(command.init);
  if (command.html !== undefined) await checkHtmlTarget(command.html);
  const pairer = new OperationPairer();
  for await (const op of readHistory(command.file)) pairer.push(op);
  const operations = pairer.finish();
  refuseEmpty(command.file, pairer.clientEvents, operations.length);
  const result = checkLinearizable(operations, model, {
    initial,
    stepsMax: command.steps,
    ...progressOnStderr(command.timeoutSeconds),
  });
  if (command.html !== undefined) {
    const events: Op[] = [];
    for await (const op of readHistory(command.file)) events.push(op);
    const page = linearizabilityHtml(events, result, {
      title: `Linearizability of ${command.file}`,
      model: model.name,
    });
    await writeAtomically(command.html, page);
  }
  console.log(command.json ? JSON.stringify(jsonOf(result, command), null, 2) : textOf(result, command));
  return exitCodeOf(result.valid);
}

/**
 * Refuses an --html path before the check runs rather than after: a directory that is not there,
 * or a file that Faultline did not write (it is never overwritten).
 */
async function checkHtmlTarget(path: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const dirInfo = await Deno.stat(dir).catch(() => undefined);
  if (dirInfo === undefined || !dirInfo.isDirectory) {
    throw new InputError(`--html ${path}: the directory ${dir} does not exist`);
  }
  assert(linearizabilityHtmlMarker === generatorMeta, "the check page carries the tag every Faultline page does");
  await requireReplaceablePage(path);
}

/**
 * A verdict on nothing is no verdict: "linearizable (0 operations)" would pass a file that was
 * empty, held only nemesis events, or only operations that failed or were unknown reads.
 */
function refuseEmpty(file: string, clientEvents: number, operations: number): void {
  if (clientEvents === 0) throw new InputError(`${file} holds no client operations: nothing to check`);
  if (operations === 0) {
    throw new InputError(
      `${file}: none of its ${clientEvents} client events leaves an operation to check (every one failed, ` +
        `or was a read with an unknown result): nothing to check`,
    );
  }
}

/**
 * A progress line on stderr every two seconds of a long check, and the time limit: the CLI may
 * read the clock, the checker may not.
 */
function progressOnStderr(timeoutSeconds: number | undefined) {
  const startedMs = performance.now();
  let shownMs = startedMs;
  const encoder = new TextEncoder();
  return {
    onProgress(progress: LinearizabilityProgress) {
      const nowMs = performance.now();
      if (nowMs - shownMs < 2000) return;
      shownMs = nowMs;
      const line = `checking: ${progress.keysDone}/${progress.keys} keys done; ` +
        `${progress.operationsPlaced}/${progress.operations} operations placed, ` +
        `${progress.statesExplored} states explored, ${Math.round(progress.memoryBytes / 2 ** 20)} MiB, ` +
        `${((nowMs - startedMs) / 1000).toFixed(1)} s\n`;
      Deno.stderr.writeSync(encoder.encode(line));
    },
    shouldStop: () => timeoutSeconds !== undefined && performance.now() - startedMs >= timeoutSeconds * 1000,
  };
}

function parseInit(init: string | undefined): unknown {
  if (init === undefined) return null;
  try {
    return JSON.parse(init);
  } catch {
    throw new InputError(`--init must be a JSON value such as 0, '""' or null; got ${init}`);
  }
}

function jsonOf(result: LinearizabilityResult, command: CheckCommand) {
  const reason = result.valid === "unknown" ? { reason: unknownExplanation(result) } : {};
  return { file: command.file, model: command.model, ...result, ...reason };
}

function textOf(result: LinearizabilityResult, command: CheckCommand): string {
  const head = `${command.file}: ${
    result.valid === true ? "linearizable" : result.valid === false ? "NOT linearizable" : "unknown"
  } as ${command.model} (${result.operations} operations, ${result.keys} keys, ${result.steps} search steps)`;
  if (result.valid === "unknown") return `${head}\n${unknownExplanation(result)}`;
  const example = result.counterexample;
  if (example === undefined) return head;
  const op = (o: { process: number; f: string; input: unknown; output: unknown }) =>
    `process ${o.process} ${o.f} ${JSON.stringify(o.input)}${
      o.output !== undefined ? ` -> ${JSON.stringify(o.output)}` : ""
    }`;
  return [
    head,
    example.key === undefined ? "" : `key ${example.key}:`,
    "the longest order the model accepts ends with:",
    ...example.linearized.map((l) => `  ${op(l.operation)}   (state ${l.stateAfter})`),
    `then ${op(example.stuck)} cannot take effect: the state is ${example.stateAtStuck}`,
    example.concurrent.length === 0 ? "" : "concurrent operations not placed:",
    ...example.concurrent.map((c) => `  ${op(c)}`),
  ].filter((line) => line !== "").join("\n");
}
