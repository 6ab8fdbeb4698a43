// NRRD export of a DICOM series as one volume, for "download as NRRD" of a grant: 3D Slicer opens
// it directly with correct geometry. Slices are ordered along the slice normal (not by file order
// or InstanceNumber, which scanners do not always keep monotonic), values are rescaled to modality
// units (HU for CT) the way Slicer's own DICOM import does, and the LPS geometry comes from
// ImagePositionPatient / ImageOrientationPatient / PixelSpacing.
import type { DicomImage } from "./dicom-image.ts";
import { decodePixels } from "./dicom-pixels.ts";
import { readDicom } from "./dicom-read.ts";
import { ImagingError } from "./errors.ts";

const TAG_GEOMETRY = {
  ImagePositionPatient: "00200032",
  ImageOrientationPatient: "00200037",
  PixelSpacing: "00280030",
  RescaleIntercept: "00281052",
  RescaleSlope: "00281053",
} as const;

type Vec3 = [number, number, number];

interface Slice {
  image: DicomImage;
  position: Vec3;
  /** Distance along the slice normal, for ordering. */
  depth: number;
}

export interface NrrdVolume {
  bytes: Uint8Array;
  sizes: [number, number, number];
  type: "int16" | "int32" | "float";
}

/** Builds one NRRD (raw encoding, little-endian) from the DICOM files of a single series. */
export function seriesToNrrd(files: Uint8Array[]): NrrdVolume {
  if (files.length === 0) throw new ImagingError("IMG_UNSUPPORTED", "NRRD export needs at least one slice");
  const images = files.map((f) => readDicom(f));
  const first = images[0] as DicomImage;
  const orientation = numbers(first, TAG_GEOMETRY.ImageOrientationPatient, 6) ?? [1, 0, 0, 0, 1, 0];
  const rowDir: Vec3 = [orientation[0] ?? 1, orientation[1] ?? 0, orientation[2] ?? 0];
  const colDir: Vec3 = [orientation[3] ?? 0, orientation[4] ?? 1, orientation[5] ?? 0];
  const normal = cross(rowDir, colDir);
  const slices = images.map((image, i) => toSlice(image, i, normal)).sort((a, b) => a.depth - b.depth);
  checkSameGrid(slices);
  const [rowSpacing, colSpacing] = numbers(first, TAG_GEOMETRY.PixelSpacing, 2) ?? [1, 1];
  const sliceStep = slices.length > 1 ? sliceSpacing(slices) : 1;
  const values = slices.map((s) => modalityValues(s.image));
  const type = voxelType(values);
  const sizes: [number, number, number] = [first.cols, first.rows, slices.length];
  const header = [
    "NRRD0004",
    "# medtrace: DICOM series export (values in modality units)",
    `type: ${type}`,
    "dimension: 3",
    "space: left-posterior-superior",
    `sizes: ${sizes.join(" ")}`,
    `space directions: ${vec(scale(rowDir, colSpacing ?? 1))} ${vec(scale(colDir, rowSpacing ?? 1))} ${vec(scale(normal, sliceStep))}`,
    "kinds: domain domain domain",
    "endian: little",
    "encoding: raw",
    `space origin: ${vec((slices[0] as Slice).position)}`,
    "",
    "",
  ].join("\n");
  const body = packVoxels(values, type);
  const head = new TextEncoder().encode(header);
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head, 0);
  bytes.set(body, head.length);
  return { bytes, sizes, type };
}

function toSlice(image: DicomImage, index: number, normal: Vec3): Slice {
  const position = numbers(image, TAG_GEOMETRY.ImagePositionPatient, 3) as Vec3 | undefined;
  // Without positions (secondary captures), the file order is the only order there is.
  const p: Vec3 = position ?? [0, 0, index];
  return { image, position: p, depth: dot(p, normal) };
}

function checkSameGrid(slices: Slice[]): void {
  const first = (slices[0] as Slice).image;
  for (const { image } of slices) {
    if (image.rows !== first.rows || image.cols !== first.cols || image.samplesPerPixel !== 1 || image.frames !== 1) {
      throw new ImagingError(
        "IMG_UNSUPPORTED",
        `NRRD export needs single-frame greyscale slices of one size (got ${image.rows}x${image.cols}, ${image.samplesPerPixel} samples, ${image.frames} frames; first slice ${first.rows}x${first.cols})`,
      );
    }
    if (image.seriesInstanceUid !== first.seriesInstanceUid) {
      throw new ImagingError("IMG_UNSUPPORTED", "NRRD export takes the slices of one series only");
    }
  }
  for (let i = 1; i < slices.length; i++) {
    if ((slices[i] as Slice).depth === (slices[i - 1] as Slice).depth) {
      throw new ImagingError("IMG_UNSUPPORTED", "two slices share one position: not a volume");
    }
  }
}

function sliceSpacing(slices: Slice[]): number {
  const steps = slices.slice(1).map((s, i) => s.depth - (slices[i] as Slice).depth);
  const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
  // A gap or a missing slice would silently stretch anatomy; refuse rather than mislead.
  if (steps.some((d) => Math.abs(d - mean) > Math.max(1e-3, 0.01 * mean))) {
    throw new ImagingError("IMG_UNSUPPORTED", "slices are not evenly spaced (missing slice?): export them as DICOM instead");
  }
  return mean;
}

function modalityValues(image: DicomImage): Float64Array {
  const pixels = decodePixels(image);
  const plane = pixels.planes[0] as Int32Array;
  const slope = numbers(image, TAG_GEOMETRY.RescaleSlope, 1)?.[0] ?? 1;
  const intercept = numbers(image, TAG_GEOMETRY.RescaleIntercept, 1)?.[0] ?? 0;
  const out = new Float64Array(plane.length);
  for (let i = 0; i < plane.length; i++) out[i] = (plane[i] as number) * slope + intercept;
  return out;
}

function voxelType(values: Float64Array[]): NrrdVolume["type"] {
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  for (const v of values) {
    for (const x of v) {
      if (x < min) min = x;
      if (x > max) max = x;
      if (integral && !Number.isInteger(x)) integral = false;
    }
  }
  if (!integral) return "float";
  return min >= -32768 && max <= 32767 ? "int16" : "int32";
}

function packVoxels(values: Float64Array[], type: NrrdVolume["type"]): Uint8Array {
  const perSlice = (values[0] as Float64Array).length;
  const width = type === "int16" ? 2 : 4;
  const out = new Uint8Array(values.length * perSlice * width);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const slice of values) {
    for (const x of slice) {
      if (type === "int16") view.setInt16(offset, x, true);
      else if (type === "int32") view.setInt32(offset, x, true);
      else view.setFloat32(offset, x, true);
      offset += width;
    }
  }
  return out;
}

function numbers(image: DicomImage, tag: string, count: number): number[] | undefined {
  const value = image.dict[tag]?.Value;
  if (!Array.isArray(value) || value.length < count) return undefined;
  const parsed = value.slice(0, count).map((v) => Number(v));
  return parsed.every(Number.isFinite) ? parsed : undefined;
}

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const vec = (a: Vec3) => `(${a.map((x) => Number(x.toPrecision(10))).join(",")})`;
