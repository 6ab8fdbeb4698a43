// `npm run bench -- <name> [options]`: runs bench/<name>.ts, whose default export takes the options.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [name, ...rest] = process.argv.slice(2);
const file = name ? fileURLToPath(new URL(`./${name}.ts`, import.meta.url)) : "";
if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
  console.error("usage: npm run bench -- <name> [--json] [--check]   (names: the files in bench/)");
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { default: (argv: string[]) => Promise<number> };
process.exitCode = await mod.default(rest);
