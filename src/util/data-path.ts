// Where the shared test and demo data live (../shared/data beside the clone by default).
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export function dataRoot(): string {
  const root = resolve(process.env.MEDTRACE_DATA ?? "../shared/data");
  if (!existsSync(root)) {
    throw new Error(
      `data folder ${root} not found: set MEDTRACE_DATA to the shared data folder (see README)`,
    );
  }
  return root;
}

export function dataPath(...parts: string[]): string {
  return resolve(dataRoot(), ...parts);
}
