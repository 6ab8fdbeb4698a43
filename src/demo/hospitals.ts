// The demo's hospitals: each node folder holds a contiguous part of the CT series (the real head
// series or the synthetic phantom) and its share of chest X-rays (PneumoniaMNIST, or the synthetic
// chest set) as DICOM, with a labels.csv in the `file,label` format both the catalogue and
// federated training (issue 7) read.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDicomFromPixels, monochromeImage, nameUid, type PixelImage, readNpz } from "../imaging/index.ts";
import type { DemoData } from "./data.ts";
import { SYNTHETIC_LABEL, syntheticChestImages, syntheticCtSeries } from "./synthetic.ts";

export const CHEST_CLASSES = ["normal", "pneumonia"] as const;

export interface HospitalFolder {
  dir: string;
  ctSlices: number;
  chestImages: number;
  /** Counts per class name, as written to labels.csv. */
  labels: Record<string, number>;
}

interface ChestSet {
  images: Uint8Array[];
  labels: number[];
  synthetic: boolean;
}

/** Splits `items` into `parts` contiguous runs, sizes differing by at most one. */
export function contiguousParts<T>(items: readonly T[], parts: number): T[][] {
  return Array.from({ length: parts }, (_, k) => items.slice(Math.floor((k * items.length) / parts), Math.floor(((k + 1) * items.length) / parts)));
}

function ctSeries(data: DemoData): Uint8Array[] {
  if (!data.ctDir) return syntheticCtSeries();
  const dir = data.ctDir;
  return readdirSync(dir)
    .filter((f) => f.endsWith(".dcm"))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

function chestSet(data: DemoData, count: number): ChestSet {
  if (!data.pneumoniaNpz) return { ...syntheticChestImages(count), synthetic: true };
  const arrays = readNpz(new Uint8Array(readFileSync(data.pneumoniaNpz)), ["train_images", "train_labels"]);
  const x = arrays.get("train_images");
  const y = arrays.get("train_labels");
  if (!x || !y || x.dtype !== "uint8" || x.shape.length < 3) throw new Error(`${data.pneumoniaNpz}: no uint8 train_images / train_labels`);
  const [n, rows, cols] = x.shape;
  const per = rows * cols;
  const take = Math.min(count, n);
  const pixels = x.data as Uint8Array;
  const stride = y.data.length / n;
  // Evenly spaced over the whole training split: its order need not mix the classes.
  const picked = Array.from({ length: take }, (_, i) => Math.floor((i * n) / take));
  return {
    images: picked.map((j) => pixels.slice(j * per, (j + 1) * per)),
    labels: picked.map((j) => Number(y.data[j * stride])),
    synthetic: false,
  };
}

function chestImage(pixels: Uint8Array): PixelImage {
  const side = Math.round(Math.sqrt(pixels.length));
  return monochromeImage([Int32Array.from(pixels)], { rows: side, cols: side, bits: 8 });
}

/**
 * Writes `count` hospital folders under `root` (hospital-a, -b, ...): `ct/` and `chest/` DICOM
 * files and labels.csv. Chest images get one pseudo-patient each, so training splits by patient.
 */
export function writeHospitalFolders(data: DemoData, root: string, opts: { count?: number; chestPerNode?: number } = {}): HospitalFolder[] {
  const count = opts.count ?? 3;
  const chestPerNode = opts.chestPerNode ?? 200;
  const ct = contiguousParts(ctSeries(data), count);
  const chest = chestSet(data, count * chestPerNode);
  // Dealt round-robin so every hospital holds both classes in about the same proportion.
  const chestParts = Array.from({ length: count }, (_, k) =>
    chest.images.map((image, i) => ({ image, label: chest.labels[i], i })).filter(({ i }) => i % count === k),
  );
  return ct.map((slices, k) => {
    const dir = join(root, `hospital-${String.fromCharCode(97 + k)}`, "images");
    mkdirSync(join(dir, "ct"), { recursive: true });
    mkdirSync(join(dir, "chest"), { recursive: true });
    slices.forEach((bytes, s) => writeFileSync(join(dir, "ct", `slice-${String(s + 1).padStart(3, "0")}.dcm`), bytes));
    const rows = ["file,label,patientId"];
    const labels: Record<string, number> = {};
    for (const { image, label, i } of chestParts[k]) {
      const file = `chest/xray-${String(i + 1).padStart(4, "0")}.dcm`;
      const name = CHEST_CLASSES[label] ?? String(label);
      const patientId = chest.synthetic ? `SYNTHETIC-${i + 1}` : `PMNIST-${i + 1}`;
      const created = createDicomFromPixels(chestImage(image), {
        modality: "CR",
        bodyPartExamined: "CHEST",
        patientId,
        patientName: chest.synthetic ? "SYNTHETIC^PHANTOM" : `PNEUMONIAMNIST^${i + 1}`,
        studyDescription: chest.synthetic ? SYNTHETIC_LABEL : "PneumoniaMNIST (MedMNIST v2, CC BY 4.0)",
        seriesDescription: chest.synthetic ? SYNTHETIC_LABEL : "PneumoniaMNIST train",
        // Same UIDs on every run: a hospital's training data (order, split) is then the same, and a
        // session with the same seed gives the same model hash on every run of the demo.
        studyInstanceUid: nameUid(`demo/${patientId}/study`),
        seriesInstanceUid: nameUid(`demo/${patientId}/series`),
        sopInstanceUid: nameUid(`demo/${patientId}/instance`),
      });
      writeFileSync(join(dir, file), created.bytes);
      rows.push(`${file},${name},${patientId}`);
      labels[name] = (labels[name] ?? 0) + 1;
    }
    writeFileSync(join(dir, "labels.csv"), `${rows.join("\n")}\n`);
    return { dir, ctSlices: slices.length, chestImages: chestParts[k].length, labels };
  });
}
