/**
 * Typed parameters for experiments: declare each parameter once with a builder (`integer`,
 * `number`, `boolean`, `choice`) and the experiment receives its values with their types, so no
 * experiment casts `params.servers as number` again. The declaration is still an ordinary
 * {@linkcode ParamSchema} (the CLI lists it, sweeps resolve against it), and shared groups
 * (cluster size, clients, duration, fault package, planted bug) are reused by every experiment.
 *
 * @example
 * ```ts
 * import { choice, defineParams, integer } from "./params.ts";
 * const params = defineParams({
 *   servers: integer({ default: 3, min: 1, max: 9, description: "servers" }),
 *   mode: choice(["fast", "safe"], { default: "safe", description: "how to run" }),
 * });
 * const values = params.resolve({ servers: "5" }); // { servers: 5, mode: "safe" }
 * values.mode; // typed "fast" | "safe"
 * ```
 * @module
 */
import { assert, InputError } from "../assert.ts";
import { type ParamSpec, resolveParams } from "../params.ts";

/** A numeric parameter's declaration. */
export interface NumberSpec<T extends "integer" | "number" = "integer" | "number"> {
  type: T;
  default: number;
  min?: number;
  max?: number;
  description: string;
}

/** A boolean parameter's declaration. */
export interface BooleanSpec {
  type: "boolean";
  default: boolean;
  description: string;
}

/** A choice parameter's declaration, with its choices as a literal union. */
export interface ChoiceSpec<C extends string = string> {
  type: "choice";
  default: C;
  choices: readonly C[];
  description: string;
}

/** The value type a declaration gives. */
export type ValueOf<S> = S extends NumberSpec ? number
  : S extends BooleanSpec ? boolean
  : S extends ChoiceSpec<infer C> ? C
  : never;

/** Typed values of a schema. */
export type ParamsOf<S> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** Typed values of a defined schema: `ValuesOf<typeof myParams>`. */
export type ValuesOf<D> = D extends DefinedParams<infer S> ? ParamsOf<S> : never;

/** A declared schema and its typed resolver. */
export interface DefinedParams<S extends Record<string, ParamSpec>> {
  /** The schema, as the CLI and the lab read it. */
  readonly schema: S;
  /** Checks `given` (strings accepted, as from a command line), fills defaults, returns typed values. */
  resolve(given: Record<string, unknown>): ParamsOf<S>;
}

/** An integer parameter. */
export function integer(spec: Omit<NumberSpec, "type">): NumberSpec<"integer"> {
  assert(Number.isInteger(spec.default), `an integer parameter's default must be whole, got ${spec.default}`);
  return { type: "integer", ...checkedRange(spec) };
}

/** A real-valued parameter. */
export function number(spec: Omit<NumberSpec, "type">): NumberSpec<"number"> {
  return { type: "number", ...checkedRange(spec) };
}

/** A boolean parameter. */
export function boolean(spec: Omit<BooleanSpec, "type">): BooleanSpec {
  return { type: "boolean", ...spec };
}

/** A parameter taking one of `choices`; the value's type is their union. */
export function choice<const C extends string>(
  choices: readonly C[],
  spec: { default: NoInfer<C>; description: string },
): ChoiceSpec<C> {
  assert(choices.length > 0, "a choice parameter needs at least one choice");
  assert(choices.includes(spec.default), `default ${spec.default} is not among the choices ${choices.join(", ")}`);
  return { type: "choice", choices, ...spec };
}

/** Options of {@linkcode defineParams}. */
export interface DefineParamsOptions<S> {
  /**
   * Why a combination of values, each valid alone, cannot run (undefined when it can): say, a
   * fault that heals after the run ends. Checked on every resolve, so a sweep refuses such a
   * point before any cell runs rather than counting it as a failed check.
   */
  constraint?(values: ParamsOf<S>): string | undefined;
}

/** Declares a schema; the result resolves user input to typed values. */
export function defineParams<const S extends Record<string, ParamSpec>>(
  schema: S,
  options: DefineParamsOptions<S> = {},
): DefinedParams<S> {
  for (const [name, spec] of Object.entries(schema)) {
    assert(/^[a-zA-Z][a-zA-Z0-9]*$/.test(name), `parameter name ${JSON.stringify(name)} must be a camelCase word`);
    assert(spec.description.length > 0, `parameter ${name} needs a description`);
  }
  return {
    schema,
    resolve: (given) => {
      const values = resolveParams(schema, given) as unknown as ParamsOf<S>;
      const problem = options.constraint?.(values);
      if (problem !== undefined) throw new InputError(problem);
      return values;
    },
  };
}

function checkedRange(spec: Omit<NumberSpec, "type">): Omit<NumberSpec, "type"> {
  assert(Number.isFinite(spec.default), `a numeric parameter's default must be finite, got ${spec.default}`);
  assert(spec.min === undefined || spec.default >= spec.min, `default ${spec.default} is below min ${spec.min}`);
  assert(spec.max === undefined || spec.default <= spec.max, `default ${spec.default} is above max ${spec.max}`);
  return spec;
}

/**
 * Groups of parameters every experiment shares, so the same name means the same thing across
 * systems: `servers`, `clients`, `durationUs`, `faults`, `bug`. A seed range is not a parameter:
 * sweeps run seeds (`--seeds 1..20`), and an experiment runs one seed at a time.
 */
export const paramGroups = {
  /** Cluster size. */
  cluster: (options: { default: number; min?: number; max: number }) => ({
    servers: integer({ default: options.default, min: options.min ?? 1, max: options.max, description: "servers" }),
  }),
  /** Closed-loop client processes. */
  clients: (options: { default: number; max?: number }) => ({
    clients: integer({
      default: options.default,
      min: 1,
      max: options.max ?? 1000,
      description: "closed-loop client processes",
    }),
  }),
  /** Virtual run time. */
  duration: (options: { defaultUs: number; minUs?: number; maxUs?: number }) => ({
    durationUs: integer({
      default: options.defaultUs,
      min: options.minUs ?? 100_000,
      max: options.maxUs ?? 3_600_000_000,
      description: "virtual run time",
    }),
  }),
  /** A fault package, by name. */
  faults: <const C extends string>(packages: readonly C[], options: { default: NoInfer<C>; description: string }) => ({
    faults: choice(packages, options),
  }),
  /** One planted bug to switch on ("none": the correct system). */
  bug: <const C extends string>(names: readonly C[]) => ({
    bug: choice(["none", ...names] as const, { default: "none", description: "planted bug to switch on" }),
  }),
};
