// The command line's grammar: node's parseArgs in strict mode, with what kbot adds to it — every mistake a
// UsageError (exit 1, one line, no stack trace), -h/--help on every command, options whose value may be left
// out (`--exit-code[=severity]`, as git's), and numbers checked where they are read.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** A string option that may be given bare (`--exit-code`): it then has this value. */
  bareValue?: string;
}

export interface CommandSpec {
  name: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** How many positional arguments the command takes. */
  positionals: { min: number; max: number; what?: string };
}

export type ParsedCommand =
  | { help: true }
  | { help: false; values: Record<string, string | boolean | undefined>; positionals: string[] };

const HELP: Record<string, OptionSpec> = { help: { type: 'boolean', short: 'h' } };

/** Parses a command's arguments. `-h`/`--help` anywhere wins over everything else, as in git. */
export function parseCommand(spec: CommandSpec, args: string[]): ParsedCommand {
  const options = { ...spec.options, ...HELP };
  const end = args.indexOf('--');
  const opts = end < 0 ? args : args.slice(0, end);
  if (opts.includes('-h') || opts.includes('--help')) return { help: true };
  const bare = new Map(Object.entries(options).filter(([, o]) => o.bareValue !== undefined).map(([n, o]) => [`--${n}`, `--${n}=${o.bareValue}`]));
  const given = opts.map((a) => bare.get(a) ?? a).concat(end < 0 ? [] : args.slice(end));
  let parsed;
  try {
    parsed = parseArgs({
      args: given,
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(Object.entries(options).map(([n, o]) => [n, { type: o.type, ...(o.short ? { short: o.short } : {}) }])),
    });
  } catch (e) {
    throw new UsageError(`${describeParseError(e as Error & { code?: string })}\n${spec.usage}`);
  }
  const { min, max, what } = spec.positionals;
  const n = parsed.positionals.length;
  if (n < min) throw new UsageError(`${spec.name} needs ${what ?? 'an argument'}\n${spec.usage}`);
  if (n > max) throw new UsageError(`unexpected argument '${parsed.positionals[max]}'\n${spec.usage}`);
  return { help: false, values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

/** parseArgs's messages, said the way git says them, without its advice about "--". */
function describeParseError(e: Error & { code?: string }): string {
  const opt = /Option '(-[^' ]+)/.exec(e.message)?.[1] ?? /option '(-[^' ]+)/i.exec(e.message)?.[1] ?? '';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${opt}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(e.message)) return `option '${opt}' takes no value`;
      return `option '${opt}' needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return 'unexpected argument';
    default:
      return e.message.split('\n')[0]!;
  }
}

/** A positive integer option, or undefined when not given; anything else is a usage error naming it. */
export function positiveInt(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const s = String(value).trim();
  if (!/^\d+$/.test(s) || Number(s) < 1 || !Number.isSafeInteger(Number(s))) {
    throw new UsageError(`--${name} must be a positive integer, not '${String(value)}'`);
  }
  return Number(s);
}

/** One of `choices`, or a usage error listing them. */
export function oneOf<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not '${value}'`);
}
