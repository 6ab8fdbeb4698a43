// The demo's fallback when no real images can be had: generated phantoms, labelled SYNTHETIC in
// every file (PatientName, SeriesDescription), so nobody mistakes them for patient data.
// Deterministic from a seed, so two runs of the demo tell the same story.
import { createDicomFromPixels, monochromeImage, newUid } from "../imaging/index.ts";

export const SYNTHETIC_LABEL = "SYNTHETIC PHANTOM - NOT PATIENT DATA";

/** Small deterministic generator for phantom texture (not for anything secret). */
function seededUniform(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

function gaussian(uniform: () => number): number {
  const u = Math.max(uniform(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

interface Ellipsoid {
  centre: [number, number, number];
  radii: [number, number, number];
  hu: number;
}

// A head: skull shell, brain, ventricles and a small dense lesion, in Hounsfield units.
const HEAD: Ellipsoid[] = [
  { centre: [0, 0, 0], radii: [0.72, 0.9, 0.85], hu: 1000 },
  { centre: [0, 0, 0], radii: [0.67, 0.85, 0.8], hu: -965 },
  { centre: [0.2, -0.1, 0.1], radii: [0.1, 0.22, 0.3], hu: -25 },
  { centre: [-0.2, -0.1, 0.1], radii: [0.1, 0.22, 0.3], hu: -25 },
  { centre: [0.3, 0.4, -0.1], radii: [0.06, 0.06, 0.06], hu: 40 },
];

/** A CT head phantom series: `slices` axial slices of size x size, int16 HU, 1.5 mm apart. */
export function syntheticCtSeries(slices = 24, size = 256, seed = 7): Uint8Array[] {
  const uniform = seededUniform(seed);
  const studyInstanceUid = newUid();
  const seriesInstanceUid = newUid();
  const spacing = 0.9;
  const out: Uint8Array[] = [];
  for (let k = 0; k < slices; k++) {
    const z = (k / Math.max(1, slices - 1)) * 1.4 - 0.7;
    const plane = new Int32Array(size * size);
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const x = (c / (size - 1)) * 2 - 1;
        const y = (r / (size - 1)) * 2 - 1;
        let hu = -1000;
        for (const e of HEAD) if (inside(e, x, y, z)) hu += e.hu;
        // Scanner-like noise: flat phantoms would be unrealistically easy to mark.
        plane[r * size + c] = Math.round(hu + (hu > -900 ? 6 * gaussian(uniform) : 0));
      }
    }
    out.push(
      createDicomFromPixels(monochromeImage([plane], { rows: size, cols: size, bits: 16, signed: true }), {
        modality: "CT",
        bodyPartExamined: "HEAD",
        patientName: "SYNTHETIC^PHANTOM",
        patientId: "SYNTHETIC",
        seriesDescription: SYNTHETIC_LABEL,
        studyDescription: SYNTHETIC_LABEL,
        studyInstanceUid,
        seriesInstanceUid,
        instanceNumber: k + 1,
        geometry: {
          position: [-(size * spacing) / 2, -(size * spacing) / 2, k * 1.5],
          orientation: [1, 0, 0, 0, 1, 0],
          pixelSpacing: [spacing, spacing],
          sliceThickness: 1.5,
        },
      }).bytes,
    );
  }
  return out;
}

function inside(e: Ellipsoid, x: number, y: number, z: number): boolean {
  const dx = (x - e.centre[0]) / e.radii[0];
  const dy = (y - e.centre[1]) / e.radii[1];
  const dz = (z - e.centre[2]) / e.radii[2];
  return dx * dx + dy * dy + dz * dz <= 1;
}


export interface SyntheticChestSet {
  /** 28x28 uint8 images, raster order. */
  images: Uint8Array[];
  /** 0 = normal, 1 = "pneumonia" (diffuse opacities). */
  labels: number[];
}

/** 28x28 chest-like images, two classes separable by diffuse bright opacities in the lung fields. */
export function syntheticChestImages(count: number, seed = 11): SyntheticChestSet {
  const uniform = seededUniform(seed);
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = uniform() < 0.6 ? 1 : 0;
    const image = new Uint8Array(28 * 28);
    const blobs = label === 1 ? 2 + Math.floor(uniform() * 3) : 0;
    const centres = Array.from({ length: blobs }, () => [6 + uniform() * 16, 6 + uniform() * 16] as const);
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const lung = Math.abs(c - 13.5) > 2 && Math.abs(c - 13.5) < 11 && r > 3 && r < 25;
        let v = lung ? 60 : 150;
        for (const [br, bc] of centres) v += 90 * Math.exp(-((r - br) ** 2 + (c - bc) ** 2) / 12);
        image[r * 28 + c] = Math.max(0, Math.min(255, Math.round(v + 12 * gaussian(uniform))));
      }
    }
    images.push(image);
    labels.push(label);
  }
  return { images, labels };
}
