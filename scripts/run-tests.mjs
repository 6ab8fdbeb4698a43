#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (tsx for TypeScript).
// Node 20's `--test` takes no glob, so the file list is built here.
// Usage: npm test [-- <path-substring> ...] to run only matching files.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

function listTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTests(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = listTests("test")
  .map((f) => relative(".", f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", ...files],
  {
    stdio: "inherit",
    env: { ...process.env, MEDTRACE_DATA: process.env.MEDTRACE_DATA ?? "../shared/data" },
  },
);
process.exit(result.status ?? 1);
