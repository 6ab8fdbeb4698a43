// Entry point of the `medtrace` command: finds the sub-command and maps errors to exit codes.
import { EXIT, UsageError } from "./args.ts";
import { commands } from "./commands/index.ts";

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(await usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`medtrace: unknown command '${name}'\n\n${await usage()}`);
    return EXIT.usage;
  }
  const json = rest.includes("--json");
  try {
    return await (await entry.load()).run(rest);
  } catch (err) {
    return reportError(err, json, entry.name);
  }
}

function reportError(err: unknown, json: boolean, name: string): number {
  const e = err as Error & { code?: string; exitCode?: number };
  const code = err instanceof UsageError ? "USAGE" : (e.code ?? "ERROR");
  const exit = err instanceof UsageError ? EXIT.usage : (e.exitCode ?? EXIT.error);
  if (json)
    process.stdout.write(`${JSON.stringify({ ok: false, error: code, message: e.message })}\n`);
  else {
    process.stderr.write(`medtrace ${name}: ${e.message}\n`);
    if (err instanceof UsageError) process.stderr.write(`run 'medtrace help' for usage\n`);
  }
  if (exit === EXIT.error && !e.code && process.env.MEDTRACE_DEBUG)
    process.stderr.write(`${e.stack}\n`);
  return exit;
}

async function usage(): Promise<string> {
  const loaded = await Promise.all(commands.map((c) => c.load()));
  const lines = loaded.map((c) => `  ${c.usage.join("\n  ")}`);
  return `medtrace: traceable medical image sharing and federated learning\n\nusage:\n${lines.join("\n")}\n\nEvery command takes --json. Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 refused.\n`;
}
