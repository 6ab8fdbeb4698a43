// The attack suite of zero-watermark.md §10: deterministic, seeded by (attack id, image id).
// Input and output: 8-bit greyscale planes held as float64; outputs rounded and clipped to
// [0, 255]. Used by tests and benchmarks only.
import { createCipheriv, createHash } from "node:crypto";
import jpeg from "jpeg-js";
import { resize } from "../zero/resize.ts";

export class AttackError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = "AttackError";
    this.code = code;
  }
}

/** Uniform and normal deviates from AES-256-CTR, key SHA-256("medtrace/attack/v1/" ‖ id ‖ "/" ‖ image), zero IV. */
export class AttackRng {
  readonly #cipher;
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;

  constructor(attackId: string, imageId: string) {
    const key = createHash("sha256").update(`medtrace/attack/v1/${attackId}/${imageId}`).digest();
    this.#cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  }

  /** Top 53 bits of the next 8-byte big-endian block / 2^53, in [0, 1). */
  uniform(): number {
    if (this.#pos + 8 > this.#buf.length) {
      this.#buf = this.#cipher.update(Buffer.alloc(8 * 4096));
      this.#pos = 0;
    }
    const hi = this.#buf.readUInt32BE(this.#pos);
    const lo = this.#buf.readUInt32BE(this.#pos + 4);
    this.#pos += 8;
    return (hi * 2 ** 21 + (lo >>> 11)) / 2 ** 53;
  }

  /** z = sqrt(−2 ln(1 − U₁)) cos(2π U₂). */
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }
}

export interface Plane8 {
  rows: number;
  cols: number;
  data: Float64Array;
}

const clip255 = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

function finish(rows: number, cols: number, data: Float64Array): Plane8 {
  for (let i = 0; i < data.length; i++) data[i] = clip255(data[i]);
  return { rows, cols, data };
}

/** Half-sample symmetric border: −1 → 0, −2 → 1, n → n−1, n+1 → n−2. */
export function reflect(i: number, n: number): number {
  let k = i;
  while (k < 0 || k >= n) k = k < 0 ? -k - 1 : 2 * n - k - 1;
  return k;
}

export function gaussianNoise(img: Plane8, v: number, rng: AttackRng): Plane8 {
  const sd = Math.sqrt(v);
  const out = Float64Array.from(
    img.data,
    (x) => 255 * Math.min(1, Math.max(0, x / 255 + sd * rng.normal())),
  );
  return finish(img.rows, img.cols, out);
}

export function saltPepper(img: Plane8, d: number, rng: AttackRng): Plane8 {
  const out = Float64Array.from(img.data, (x) => {
    const u = rng.uniform();
    return u < d / 2 ? 0 : u < d ? 255 : x;
  });
  return finish(img.rows, img.cols, out);
}

export function speckle(img: Plane8, v: number, rng: AttackRng): Plane8 {
  const sd = Math.sqrt(v);
  const out = Float64Array.from(img.data, (x) => {
    const u = x / 255;
    return 255 * Math.min(1, Math.max(0, u * (1 + sd * rng.normal())));
  });
  return finish(img.rows, img.cols, out);
}

/** JPEG through jpeg-js (IJG quality scaling): R = G = B = I, A = 255; decode; take R. */
export function jpegAttack(img: Plane8, quality: number): Plane8 {
  const { rows, cols } = img;
  const rgba = Buffer.alloc(rows * cols * 4);
  for (let i = 0; i < rows * cols; i++) {
    const v = clip255(img.data[i]);
    rgba[4 * i] = v;
    rgba[4 * i + 1] = v;
    rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  const encoded = jpeg.encode({ data: rgba, width: cols, height: rows }, quality);
  const decoded = jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: true });
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) out[i] = decoded.data[4 * i];
  return finish(rows, cols, out);
}

/** k×k median, reflect border. */
export function medianFilter(img: Plane8, k: number): Plane8 {
  const { rows, cols, data } = img;
  const r = k >> 1;
  const win = new Float64Array(k * k);
  const out = new Float64Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let n = 0;
      for (let dy = -r; dy <= r; dy++) {
        const row = reflect(y + dy, rows) * cols;
        for (let dx = -r; dx <= r; dx++) win[n++] = data[row + reflect(x + dx, cols)];
      }
      win.sort();
      out[y * cols + x] = win[(k * k) >> 1];
    }
  }
  return finish(rows, cols, out);
}

/** Convolution with a small odd kernel, reflect border. */
export function convolve(img: Plane8, kernel: ArrayLike<number>, k: number): Plane8 {
  const { rows, cols, data } = img;
  const r = k >> 1;
  const out = new Float64Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let s = 0;
      for (let dy = -r; dy <= r; dy++) {
        const row = reflect(y + dy, rows) * cols;
        for (let dx = -r; dx <= r; dx++)
          s += kernel[(dy + r) * k + dx + r] * data[row + reflect(x + dx, cols)];
      }
      out[y * cols + x] = s;
    }
  }
  return finish(rows, cols, out);
}

export function gaussianLowPass(img: Plane8, sigma: number): Plane8 {
  const kern = new Float64Array(9);
  let sum = 0;
  for (let i = -1; i <= 1; i++) {
    for (let k = -1; k <= 1; k++) {
      const w = Math.exp(-(i * i + k * k) / (2 * sigma * sigma));
      kern[(i + 1) * 3 + k + 1] = w;
      sum += w;
    }
  }
  for (let i = 0; i < 9; i++) kern[i] /= sum;
  return convolve(img, kern, 3);
}

export function averageFilter(img: Plane8, k: number): Plane8 {
  return convolve(img, new Float64Array(k * k).fill(1 / (k * k)), k);
}

/** Zero-fill the rectangle [y0, y0+h) × [x0, x0+w). */
export function zeroFill(img: Plane8, y0: number, x0: number, h: number, w: number): Plane8 {
  const out = Float64Array.from(img.data);
  for (let y = y0; y < Math.min(img.rows, y0 + h); y++) {
    for (let x = x0; x < Math.min(img.cols, x0 + w); x++) out[y * img.cols + x] = 0;
  }
  return finish(img.rows, img.cols, out);
}

/** Counter-clockwise rotation about the centre, same canvas, bilinear, black outside. */
export function rotate(img: Plane8, degrees: number): Plane8 {
  const { rows, cols, data } = img;
  const th = (degrees * Math.PI) / 180;
  const c = Math.cos(th);
  const s = Math.sin(th);
  const cx = cols / 2;
  const cy = rows / 2;
  const at = (y: number, x: number) =>
    y < 0 || y >= rows || x < 0 || x >= cols ? 0 : data[y * cols + x];
  const out = new Float64Array(rows * cols);
  for (let yo = 0; yo < rows; yo++) {
    for (let xo = 0; xo < cols; xo++) {
      const dx = xo + 0.5 - cx;
      const dy = yo + 0.5 - cy;
      const xs = c * dx - s * dy + cx - 0.5;
      const ys = s * dx + c * dy + cy - 0.5;
      const x0 = Math.floor(xs);
      const y0 = Math.floor(ys);
      const fx = xs - x0;
      const fy = ys - y0;
      out[yo * cols + xo] =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
        fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
  return finish(rows, cols, out);
}

export function rescale(img: Plane8, f: number): Plane8 {
  const h = Math.round(img.rows * f);
  const w = Math.round(img.cols * f);
  const small = resize(img.data, img.rows, img.cols, h, w);
  return finish(img.rows, img.cols, resize(small, h, w, img.rows, img.cols));
}

/** Circular horizontal shift: J[y][x] = I[y][(x − k) mod cols]. */
export function shift(img: Plane8, k: number): Plane8 {
  const { rows, cols, data } = img;
  const out = new Float64Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++)
      out[y * cols + x] = data[y * cols + ((((x - k) % cols) + cols) % cols)];
  }
  return finish(rows, cols, out);
}

export function gamma(img: Plane8, g: number): Plane8 {
  return finish(
    img.rows,
    img.cols,
    Float64Array.from(img.data, (v) => 255 * (Math.max(0, v) / 255) ** g),
  );
}

/** Global histogram equalisation: J = 255·#{pixels ≤ I}/n. */
export function histeq(img: Plane8): Plane8 {
  const hist = new Float64Array(256);
  for (const v of img.data) hist[clip255(v)]++;
  const cdf = new Float64Array(256);
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v];
    cdf[v] = acc / img.data.length;
  }
  return finish(
    img.rows,
    img.cols,
    Float64Array.from(img.data, (v) => 255 * cdf[clip255(v)]),
  );
}

/** Min–max 8-bit rendering of a high-bit-depth plane (render8; also used to prepare CT and MR). */
export function render8(rows: number, cols: number, data: ArrayLike<number>): Plane8 {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    lo = Math.min(lo, data[i]);
    hi = Math.max(hi, data[i]);
  }
  const span = hi > lo ? hi - lo : 1;
  return finish(
    rows,
    cols,
    Float64Array.from(data, (v) => (255 * (v - lo)) / span),
  );
}

/** The attack rows of §10.2, in table order. */
export const ATTACK_IDS = [
  "none",
  "gauss-0.001",
  "gauss-0.005",
  "gauss-0.01",
  "gauss-0.05",
  "sp-0.01",
  "sp-0.05",
  "sp-0.1",
  "speckle-0.01",
  "speckle-0.05",
  "jpeg-10",
  "jpeg-30",
  "jpeg-50",
  "jpeg-70",
  "jpeg-90",
  "median-3",
  "median-5",
  "median-7",
  "glpf-0.5",
  "glpf-1.0",
  "avg-3",
  "crop-corner-1/16",
  "crop-corner-1/4",
  "crop-centre-1/16",
  "rot-1",
  "rot-5",
  "rot-15",
  "scale-0.5",
  "scale-0.25",
  "scale-2",
  "shift-5",
  "shift-20",
  "gamma-0.8",
  "histeq",
] as const;

function fraction(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(s);
  if (!m) throw new AttackError("ATTACK_UNKNOWN", `bad number '${s}'`);
  return m[2] ? Number(m[1]) / Number(m[2]) : Number(m[1]);
}

/**
 * Applies an attack by id (`gauss-0.01`, `jpeg-30`, `rot-5`, `crop-corner-1/16`, …; any parameter
 * value is accepted, the table uses those of ATTACK_IDS). `imageId` seeds the noise.
 */
export function applyAttack(id: string, img: Plane8, imageId: string): Plane8 {
  if (img.data.length !== img.rows * img.cols) {
    throw new AttackError("ATTACK_SHAPE", `${img.data.length} values for ${img.rows}×${img.cols}`);
  }
  if (id === "none") return finish(img.rows, img.cols, Float64Array.from(img.data));
  if (id === "histeq") return histeq(img);
  const m = /^([a-z]+(?:-[a-z]+)?)-([0-9./]+)$/.exec(id);
  if (!m) throw new AttackError("ATTACK_UNKNOWN", `unknown attack '${id}'`);
  const [, kind, arg] = m;
  const x = fraction(arg);
  const rng = () => new AttackRng(id, imageId);
  switch (kind) {
    case "gauss":
      return gaussianNoise(img, x, rng());
    case "sp":
      return saltPepper(img, x, rng());
    case "speckle":
      return speckle(img, x, rng());
    case "jpeg":
      return jpegAttack(img, x);
    case "median":
      return medianFilter(img, x);
    case "glpf":
      return gaussianLowPass(img, x);
    case "avg":
      return averageFilter(img, x);
    case "crop-corner": {
      const s = Math.round(img.rows * Math.sqrt(x));
      return zeroFill(img, 0, 0, s, Math.round(img.cols * Math.sqrt(x)));
    }
    case "crop-centre": {
      const sy = Math.round(img.rows * Math.sqrt(x));
      const sx = Math.round(img.cols * Math.sqrt(x));
      return zeroFill(img, (img.rows - sy) >> 1, (img.cols - sx) >> 1, sy, sx);
    }
    case "rot":
      return rotate(img, x);
    case "scale":
      return rescale(img, x);
    case "shift":
      return shift(img, x);
    case "gamma":
      return gamma(img, x);
    default:
      throw new AttackError("ATTACK_UNKNOWN", `unknown attack '${id}'`);
  }
}
