// Minimal argument parsing on node:util parseArgs, with usage errors that exit 2.
import { type ParseArgsConfig, parseArgs } from "node:util";

export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, refused: 4 } as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(argv: string[], options: O, positionals: string[]) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length < positionals.length) {
    throw new UsageError(`missing ${positionals.slice(parsed.positionals.length).join(", ")}`);
  }
  if (parsed.positionals.length > positionals.length) {
    throw new UsageError(`unexpected argument ${parsed.positionals[positionals.length]}`);
  }
  return parsed;
}

/** Writes either one JSON object or human lines, never both. */
export interface Output {
  json: boolean;
  result(obj: Record<string, unknown>, human: string[]): void;
}

export function output(json: boolean): Output {
  return {
    json,
    result(obj, human) {
      if (json) process.stdout.write(`${JSON.stringify(obj)}\n`);
      else process.stdout.write(`${human.join("\n")}\n`);
    },
  };
}
