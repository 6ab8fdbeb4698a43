// Kernel cache (zero-watermark.md §14): the full Racah matrix and the spectrum of its symmetric
// part in memory; the q×N fractional rows in memory and on disk, float64 little-endian behind a
// JSON header holding the parameters and the SHA-256 of the data. A disk entry whose hash or
// orthonormality fails is rebuilt.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { type FracSpectrum, fracRowsFromSpectrum, fracSpectrum } from "./fractional.ts";
import { canonicalJson } from "./keyed.ts";
import { orthonormalityError } from "./linalg.ts";
import { checkRacahDomain, type RacahParams, racahBasis } from "./racah.ts";

const FORMAT = "medtrace/zw-rows/v1";
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

export interface KernelCacheOptions {
  /** Directory for the on-disk rows; null keeps everything in memory. */
  dir?: string | null;
}

export interface KernelCacheStats {
  racahBuilds: number;
  spectrumBuilds: number;
  rowBuilds: number;
  diskHits: number;
  diskRejects: number;
  memoryHits: number;
  /** Milliseconds (wall clock) spent in each kind of build, and the process CPU time. */
  msRacah: number;
  msSpectrum: number;
  msRows: number;
  cpuMsRacah: number;
  cpuMsSpectrum: number;
  cpuMsRows: number;
}

const cpuNow = () => process.cpuUsage().user / 1000;

/** MEDTRACE_ZW_CACHE, else ~/.cache/medtrace/zw when a home exists, else the OS temp dir. */
export function defaultKernelCacheDir(): string {
  if (process.env.MEDTRACE_ZW_CACHE) return process.env.MEDTRACE_ZW_CACHE;
  const home = homedir();
  return home ? join(home, ".cache", "medtrace", "zw") : join(tmpdir(), "medtrace-zw");
}

function racahKey({ N, a, alpha, beta }: RacahParams): string {
  return `racah:N=${N},a=${a},alpha=${alpha},beta=${beta}`;
}

export class KernelCache {
  readonly dir: string | null;
  readonly stats: KernelCacheStats = {
    racahBuilds: 0,
    spectrumBuilds: 0,
    rowBuilds: 0,
    diskHits: 0,
    diskRejects: 0,
    memoryHits: 0,
    msRacah: 0,
    msSpectrum: 0,
    msRows: 0,
    cpuMsRacah: 0,
    cpuMsSpectrum: 0,
    cpuMsRows: 0,
  };
  readonly #racah = new Map<string, Float64Array>();
  readonly #spectra = new Map<string, FracSpectrum>();
  readonly #rows = new Map<string, Float64Array>();

  constructor(opts: KernelCacheOptions = {}) {
    this.dir = opts.dir === undefined ? defaultKernelCacheDir() : opts.dir;
  }

  /** The full N×N matrix R (memory only, 2 MiB at N = 512). */
  racah(p: RacahParams): Float64Array {
    checkRacahDomain(p);
    const key = racahKey(p);
    let R = this.#racah.get(key);
    if (!R) {
      const t = performance.now();
      const c = cpuNow();
      R = racahBasis(p.N, p.a, p.alpha, p.beta);
      this.stats.msRacah += performance.now() - t;
      this.stats.cpuMsRacah += cpuNow() - c;
      this.stats.racahBuilds++;
      this.#racah.set(key, R);
    }
    return R;
  }

  spectrum(p: RacahParams): FracSpectrum {
    const key = racahKey(p);
    let s = this.#spectra.get(key);
    if (!s) {
      const R = this.racah(p);
      const t = performance.now();
      const c = cpuNow();
      s = fracSpectrum(R, p.N);
      this.stats.msSpectrum += performance.now() - t;
      this.stats.cpuMsSpectrum += cpuNow() - c;
      this.stats.spectrumBuilds++;
      this.#spectra.set(key, s);
    }
    return s;
  }

  /** First q rows of R^power, from memory, disk, or built. */
  rows(p: RacahParams, power: number, q: number): Float64Array {
    checkRacahDomain(p);
    const header = { format: FORMAT, N: p.N, a: p.a, alpha: p.alpha, beta: p.beta, p: power, q };
    const id = createHash("sha256").update(canonicalJson(header)).digest("hex").slice(0, 24);
    const hit = this.#rows.get(id);
    if (hit) {
      this.stats.memoryHits++;
      return hit;
    }
    const fromDisk = this.#load(id, header, p.N, q);
    if (fromDisk) {
      this.#rows.set(id, fromDisk);
      return fromDisk;
    }
    let rows: Float64Array;
    if (power === 1) {
      rows = this.racah(p).slice(0, q * p.N);
    } else {
      const spec = this.spectrum(p);
      const t = performance.now();
      const c = cpuNow();
      rows = fracRowsFromSpectrum(spec, this.racah(p), power, q);
      this.stats.msRows += performance.now() - t;
      this.stats.cpuMsRows += cpuNow() - c;
    }
    this.stats.rowBuilds++;
    this.#rows.set(id, rows);
    this.#store(id, header, rows);
    return rows;
  }

  /** Drops the in-memory entries (the disk stays); used to measure cold loads. */
  clearMemory(): void {
    this.#racah.clear();
    this.#spectra.clear();
    this.#rows.clear();
  }

  #path(id: string): string | null {
    return this.dir ? join(this.dir, `rows-${id}.bin`) : null;
  }

  #load(id: string, header: object, N: number, q: number): Float64Array | null {
    const path = this.#path(id);
    if (!path) return null;
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch {
      return null;
    }
    try {
      const hlen = buf.readUInt32LE(0);
      const meta = JSON.parse(buf.subarray(4, 4 + hlen).toString("utf8")) as {
        header: object;
        sha256: string;
      };
      const data = buf.subarray(4 + hlen);
      if (canonicalJson(meta.header) !== canonicalJson(header)) throw new Error("header");
      if (data.length !== q * N * 8) throw new Error("length");
      if (createHash("sha256").update(data).digest("hex") !== meta.sha256) throw new Error("hash");
      // Copy into an aligned buffer; float64 little-endian is the native order on every
      // platform Node supports, checked once below.
      const rows = new Float64Array(q * N);
      new Uint8Array(rows.buffer).set(data);
      if (!LITTLE_ENDIAN) for (let i = 0; i < rows.length; i++) rows[i] = data.readDoubleLE(i * 8);
      if (!(orthonormalityError(rows, q, N) <= 1e-9)) throw new Error("orthonormality");
      this.stats.diskHits++;
      return rows;
    } catch {
      this.stats.diskRejects++;
      return null;
    }
  }

  #store(id: string, header: object, rows: Float64Array): void {
    const path = this.#path(id);
    if (!path || !this.dir) return;
    const data = Buffer.alloc(rows.length * 8);
    if (LITTLE_ENDIAN) data.set(new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
    else for (let i = 0; i < rows.length; i++) data.writeDoubleLE(rows[i], i * 8);
    const meta = Buffer.from(
      JSON.stringify({ header, sha256: createHash("sha256").update(data).digest("hex") }),
      "utf8",
    );
    const len = Buffer.alloc(4);
    len.writeUInt32LE(meta.length, 0);
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([len, meta, data]));
      renameSync(tmp, path);
    } catch {
      // A read-only or full cache directory only costs a rebuild next time.
    }
  }
}
