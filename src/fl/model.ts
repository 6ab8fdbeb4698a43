// Models (federated-learning.md §3): the default CNN `mt-cnn-s`, medtrace's own initialiser,
// flat Float32 weights with a manifest, the model hash and the tfjs artefact format.
import { createHash } from "node:crypto";
import { canonicalJson } from "../crypto/jcs.ts";
import { flDerive, flSeedBytes, Prg } from "../crypto/prg.ts";
import { tf } from "./backend.ts";
import { FlError } from "./errors.ts";

export interface CnnOptions {
  inputSize?: number; // 28 (or 64)
  channels?: number; // 1
  classes?: number; // K >= 2
  padding?: "valid" | "same";
  width?: 1 | 2;
}

/** mt-cnn-s (§3.1). Layer names are explicit: tfjs's automatic names depend on process history. */
export function buildCnn(opts: CnnOptions = {}): tf.Sequential {
  const size = opts.inputSize ?? 28;
  const channels = opts.channels ?? 1;
  const k = opts.classes ?? 2;
  const padding = opts.padding ?? "valid";
  const w = opts.width ?? 1;
  if (k < 2) throw new FlError("CONFIG_INVALID", "a model needs at least 2 classes");
  const m = tf.sequential({ name: "mt-cnn-s" });
  const zeros = "zeros";
  m.add(
    tf.layers.conv2d({
      name: "c1",
      inputShape: [size, size, channels],
      filters: 16 * w,
      kernelSize: 3,
      padding,
      activation: "relu",
      kernelInitializer: zeros,
    }),
  );
  m.add(tf.layers.maxPooling2d({ name: "p1", poolSize: 2 }));
  m.add(
    tf.layers.conv2d({
      name: "c2",
      filters: 32 * w,
      kernelSize: 3,
      padding,
      activation: "relu",
      kernelInitializer: zeros,
    }),
  );
  m.add(tf.layers.maxPooling2d({ name: "p2", poolSize: 2 }));
  m.add(tf.layers.flatten({ name: "f" }));
  m.add(tf.layers.dense({ name: "d1", units: 64, activation: "relu", kernelInitializer: zeros }));
  m.add(
    tf.layers.dense({ name: "out", units: k, activation: "softmax", kernelInitializer: zeros }),
  );
  return m;
}

export interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
  trainable: boolean;
}

export interface WeightManifest {
  format: "medtrace-weights/1";
  dtype: "float32";
  byteOrder: "little";
  length: number;
  tensors: TensorEntry[];
}

/** §3.4: the tensors of model.getWeights(), in that order. */
export function manifestOf(model: tf.LayersModel): WeightManifest {
  const trainable = new Set(model.trainableWeights.map((w) => w.originalName));
  let offset = 0;
  const tensors = model.weights.map((w) => {
    const length = (w.shape as number[]).reduce((a, b) => a * b, 1);
    const e = {
      name: w.originalName,
      shape: w.shape as number[],
      offset,
      length,
      trainable: trainable.has(w.originalName),
    };
    offset += length;
    return e;
  });
  return {
    format: "medtrace-weights/1",
    dtype: "float32",
    byteOrder: "little",
    length: offset,
    tensors,
  };
}

export function manifestHash(m: WeightManifest): string {
  return createHash("sha256").update(canonicalJson(m)).digest("hex");
}

/** Glorot uniform kernels, zero biases, from the PRG derive(seedBytes(seed), "init") (§3.3). */
export function initialWeights(manifest: WeightManifest, seed: string): Float32Array {
  const prg = new Prg(flDerive(flSeedBytes(seed), "init"));
  const out = new Float32Array(manifest.length);
  for (const t of manifest.tensors) {
    const leaf = t.name.slice(t.name.lastIndexOf("/") + 1);
    if (leaf === "gamma" || leaf === "moving_variance") {
      out.fill(1, t.offset, t.offset + t.length);
      continue;
    }
    if (leaf !== "kernel") continue; // biases, beta, moving_mean stay 0
    let fanIn: number;
    let fanOut: number;
    if (t.shape.length === 4) {
      const [kh, kw, cin, cout] = t.shape;
      fanIn = kh * kw * cin;
      fanOut = kh * kw * cout;
    } else {
      [fanIn, fanOut] = t.shape;
    }
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < t.length; i++) out[t.offset + i] = (2 * prg.uniform() - 1) * limit;
  }
  return out;
}

/** Reads the weights as one canonical vector (−0 normalised to +0; NaN/Inf refused). */
export function getFlat(model: tf.LayersModel): Float32Array {
  const ws = model.getWeights();
  const total = ws.reduce((a, w) => a + w.size, 0);
  const out = new Float32Array(total);
  let o = 0;
  for (const w of ws) {
    out.set(w.dataSync() as Float32Array, o);
    o += w.size;
  }
  return canonicalise(out);
}

export function setFlat(model: tf.LayersModel, flat: Float32Array): void {
  const m = manifestOf(model);
  if (flat.length !== m.length) {
    throw new FlError("WRONG_SHAPE", `weights have ${flat.length} values, the model ${m.length}`);
  }
  const ts = m.tensors.map((t) => tf.tensor(flat.subarray(t.offset, t.offset + t.length), t.shape));
  model.setWeights(ts);
  for (const t of ts) t.dispose();
}

export function canonicalise(v: Float32Array): Float32Array {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) throw new FlError("NON_FINITE", `weight ${i} is ${x}`);
    if (x === 0) v[i] = 0; // -0 -> +0
  }
  return v;
}

/** Little-endian bytes of the vector (the machine is little-endian or we swap). */
export function weightBytes(v: Float32Array): Uint8Array {
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (le) return bytes;
  const out = new Uint8Array(v.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) dv.setFloat32(i * 4, v[i], true);
  return out;
}

/** §3.5: modelHash = SHA-256(canonical weight bytes). */
export function modelHash(v: Float32Array): string {
  return createHash("sha256")
    .update(weightBytes(canonicalise(v)))
    .digest("hex");
}

export interface ModelArtifacts {
  modelJson: Record<string, unknown>;
  weightsBin: Uint8Array;
}

/** tfjs `model.json` + `weights.bin`, written from the canonical vector (§3.6). No file I/O here. */
export async function saveModel(
  model: tf.LayersModel,
  metadata: Record<string, unknown> = {},
): Promise<ModelArtifacts> {
  let topology: unknown;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      topology = a.modelTopology;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  const manifest = manifestOf(model);
  const flat = getFlat(model);
  const hash = modelHash(flat);
  const weightSpecs = manifest.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    dtype: "float32",
  }));
  const modelJson = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: ["weights.bin"], weights: weightSpecs }],
    userDefinedMetadata: {
      medtrace: { ...metadata, modelHash: hash, manifestHash: manifestHash(manifest) },
    },
  };
  return { modelJson, weightsBin: Uint8Array.from(weightBytes(flat)) };
}

/** Loads artefacts, verifying SHA-256(weights.bin) against the recorded model hash. */
export async function loadModel(a: ModelArtifacts): Promise<tf.LayersModel> {
  const meta = (
    a.modelJson.userDefinedMetadata as { medtrace?: { modelHash?: string } } | undefined
  )?.medtrace;
  const got = createHash("sha256").update(a.weightsBin).digest("hex");
  if (meta?.modelHash !== undefined && meta.modelHash !== got) {
    throw new FlError(
      "MODEL_HASH_MISMATCH",
      `weights.bin hashes to ${got}, model.json says ${meta.modelHash}`,
    );
  }
  const wm = a.modelJson.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[];
  const buf = a.weightsBin.buffer.slice(
    a.weightsBin.byteOffset,
    a.weightsBin.byteOffset + a.weightsBin.byteLength,
  );
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: a.modelJson.modelTopology as object,
      weightSpecs: wm.flatMap((g) => g.weights),
      weightData: buf as ArrayBuffer,
    }),
  );
}
