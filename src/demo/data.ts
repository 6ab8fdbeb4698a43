// Where the demo's images come from, in order: --data, $MEDTRACE_DATA, ../shared/data beside a
// development checkout, the user cache, a download
// of PneumoniaMNIST from the official MedMNIST record (checksum-verified), and, with no network,
// a generated synthetic set that says so everywhere it appears. The CT series has no public
// download of ours, so without a data folder the CT part is synthetic too.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** MedMNIST v2 (Yang et al., Scientific Data 2023, CC BY 4.0): the record the medmnist package uses. */
export const PNEUMONIAMNIST = {
  url: "https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1",
  md5: "28209eda62fecd6e6a2d98b1501bb15f",
  fileName: "pneumoniamnist.npz",
} as const;

export type DemoDataOrigin = "flag" | "env" | "default" | "cache" | "download" | "synthetic";

/** Where a development checkout keeps the shared data (beside the clone), as the tests assume. */
export const DEFAULT_DATA_DIR = "../shared/data";

export interface DemoData {
  origin: DemoDataOrigin;
  /** PneumoniaMNIST .npz, when real data was found or downloaded. */
  pneumoniaNpz?: string;
  /** Folder of the real CT series (one DICOM file per slice), when a data folder has it. */
  ctDir?: string;
  /** Human-readable provenance for the demo's output. */
  description: string;
}

export interface ResolveOptions {
  dataFlag?: string;
  env?: NodeJS.ProcessEnv;
  cacheDir?: string;
  /** The development default, ../shared/data (tests point it elsewhere). */
  defaultDataDir?: string;
  /** Set false to never touch the network (tests, air-gapped sites). */
  download?: boolean;
  source?: { url: string; md5: string };
  onProgress?: (received: number, total: number | undefined) => void;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "medtrace");
}

export async function resolveDemoData(options: ResolveOptions = {}): Promise<DemoData> {
  const env = options.env ?? process.env;
  for (const [origin, dir] of [
    ["flag", options.dataFlag],
    ["env", env.MEDTRACE_DATA],
    ["default", options.defaultDataDir ?? DEFAULT_DATA_DIR],
  ] as const) {
    if (dir === undefined) continue;
    const found = fromDataFolder(origin, resolve(dir));
    if (found) return found;
    if (origin === "flag") throw new Error(`--data ${dir}: no pneumoniamnist/pneumoniamnist.npz or ct-head/ found there`);
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const cached = join(cacheDir, PNEUMONIAMNIST.fileName);
  if (existsSync(cached)) {
    return { origin: "cache", pneumoniaNpz: cached, description: `PneumoniaMNIST from the cache (${cached}); CT series synthetic` };
  }
  if (options.download !== false) {
    try {
      await downloadVerified(options.source ?? PNEUMONIAMNIST, cached, options.onProgress);
      return { origin: "download", pneumoniaNpz: cached, description: `PneumoniaMNIST downloaded from the MedMNIST record, MD5 verified; CT series synthetic` };
    } catch (error) {
      return syntheticBecause(`download failed: ${(error as Error).message}`);
    }
  }
  return syntheticBecause("no data folder, no cache, download disabled");
}

function fromDataFolder(origin: DemoDataOrigin, root: string): DemoData | undefined {
  const npz = join(root, "pneumoniamnist", PNEUMONIAMNIST.fileName);
  const ct = join(root, "ct-head");
  const hasNpz = existsSync(npz);
  const hasCt = existsSync(ct) && readdirSync(ct).some((f) => f.endsWith(".dcm"));
  if (!hasNpz && !hasCt) return undefined;
  const parts = [hasNpz ? "PneumoniaMNIST" : "synthetic chest images", hasCt ? "CT head series" : "synthetic CT series"];
  return {
    origin,
    ...(hasNpz ? { pneumoniaNpz: npz } : {}),
    ...(hasCt ? { ctDir: ct } : {}),
    description: `${parts.join(" and ")} from ${root}`,
  };
}

function syntheticBecause(reason: string): DemoData {
  return { origin: "synthetic", description: `SYNTHETIC images (generated phantoms, not patient data): ${reason}` };
}

/** Streams `source.url` to `target`, verifying the MD5 before the file becomes visible. */
export async function downloadVerified(
  source: { url: string; md5: string },
  target: string,
  onProgress?: (received: number, total: number | undefined) => void,
): Promise<void> {
  const response = await fetch(source.url, { signal: AbortSignal.timeout(120_000) });
  if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} from ${new URL(source.url).host}`);
  const total = Number(response.headers.get("content-length")) || undefined;
  const hash = createHash("md5");
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    chunks.push(chunk);
    received += chunk.length;
    onProgress?.(received, total);
  }
  const md5 = hash.digest("hex");
  if (md5 !== source.md5) throw new Error(`checksum mismatch (MD5 ${md5}, expected ${source.md5}): file discarded`);
  mkdirSync(join(target, ".."), { recursive: true });
  const partial = `${target}.partial`;
  await writeFile(partial, Buffer.concat(chunks));
  // Rename last, so an interrupted download never leaves a file that looks complete.
  try {
    renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** A one-line progress bar for a terminal (stderr), silent when not a TTY. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  return (received: number, total: number | undefined): void => {
    if (!stream.isTTY) return;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    if (total === undefined) {
      stream.write(`\r${label} ${mb(received)} MB`);
      return;
    }
    const width = 30;
    const done = Math.round((received / total) * width);
    stream.write(`\r${label} [${"#".repeat(done)}${"-".repeat(width - done)}] ${mb(received)}/${mb(total)} MB`);
    if (received >= total) stream.write("\n");
  };
}
