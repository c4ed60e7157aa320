/**
 * Typed parameter schemas: each parameter has a name, type, default, allowed range or choices
 * and a one-line description. Resolving user input against a schema fills defaults and rejects
 * unknown names and out-of-range values with an error that says what is allowed.
 *
 * @example
 * ```ts
 * import { resolveParams, type ParamSchema } from "./params.ts";
 * const schema: ParamSchema = {
 *   servers: { type: "integer", default: 3, min: 1, max: 9, description: "number of servers" },
 * };
 * resolveParams(schema, { servers: "5" }); // { servers: 5 }
 * ```
 * @module
 */
import { InputError } from "./assert.ts";

/** One parameter's declaration. */
export type ParamSpec =
  | { type: "integer" | "number"; default: number; min?: number; max?: number; description: string }
  | { type: "boolean"; default: boolean; description: string }
  | { type: "choice"; default: string; choices: readonly string[]; description: string };

/** A schema: parameter name to declaration. */
export type ParamSchema = Record<string, ParamSpec>;

/** Resolved parameter values. */
export type ParamValues = Record<string, number | boolean | string>;

/**
 * Checks `given` against `schema` and returns every parameter's value (defaults filled in).
 * Strings are accepted for numbers and booleans, as they come from a command line.
 *
 * @throws InputError for an unknown name or a value of the wrong type or out of range
 */
export function resolveParams(schema: ParamSchema, given: Record<string, unknown>): ParamValues {
  for (const name of Object.keys(given)) {
    if (!(name in schema)) {
      throw new InputError(`unknown parameter ${JSON.stringify(name)}; allowed: ${Object.keys(schema).join(", ")}`);
    }
  }
  const values: ParamValues = {};
  for (const [name, spec] of Object.entries(schema)) {
    values[name] = name in given ? coerce(name, spec, given[name]) : spec.default;
  }
  return values;
}

/** One line per parameter: name, type, default, range and description, for `list` and errors. */
export function describeParams(schema: ParamSchema): string[] {
  return Object.entries(schema).map(([name, spec]) => {
    let allowed = "";
    if (spec.type === "choice") allowed = ` one of ${spec.choices.join("|")}`;
    if (spec.type === "integer" || spec.type === "number") {
      allowed = ` in [${spec.min ?? "-inf"}, ${spec.max ?? "inf"}]`;
    }
    return `${name} (${spec.type}${allowed}, default ${spec.default}): ${spec.description}`;
  });
}

function coerce(name: string, spec: ParamSpec, raw: unknown): number | boolean | string {
  if (spec.type === "boolean") {
    if (raw === true || raw === "true") return true;
    if (raw === false || raw === "false") return false;
    throw new InputError(`parameter ${name} must be true or false, got ${JSON.stringify(raw)}`);
  }
  if (spec.type === "choice") {
    if (typeof raw === "string" && spec.choices.includes(raw)) return raw;
    throw new InputError(`parameter ${name} must be one of ${spec.choices.join(", ")}; got ${JSON.stringify(raw)}`);
  }
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  const range = `[${spec.min ?? "-inf"}, ${spec.max ?? "inf"}]`;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InputError(`parameter ${name} must be a ${spec.type} in ${range}, got ${JSON.stringify(raw)}`);
  }
  if (spec.type === "integer" && !Number.isInteger(value)) {
    throw new InputError(`parameter ${name} must be an integer in ${range}, got ${value}`);
  }
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    throw new InputError(`parameter ${name} must be in ${range}, got ${value}`);
  }
  return value;
}
