// Format detection by signature, and one entry point that reads any supported image.
import { readFile } from "node:fs/promises";
import type { DicomImage } from "./dicom-image.ts";
import { decodePixels } from "./dicom-pixels.ts";
import { readDicom } from "./dicom-read.ts";
import { ImagingError } from "./errors.ts";
import { npyToImage, readNpy } from "./npy.ts";
import { readPng } from "./png.ts";
import type { PixelImage } from "./types.ts";

export type ImageFormat = "dicom" | "png" | "npy";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

function startsWith(bytes: Uint8Array, sig: number[], at = 0): boolean {
  return bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b);
}

/** "DICM" at offset 128 (PS3.10 §7.1), the PNG signature, or "\x93NUMPY"; else undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0x44, 0x49, 0x43, 0x4d], 128)) return "dicom";
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  if (startsWith(bytes, NPY_MAGIC)) return "npy";
  return undefined;
}

export interface ReadImageResult {
  format: ImageFormat;
  image: PixelImage;
  /** The parsed DICOM file, kept for writing a derived copy. */
  dicom?: DicomImage;
}

/**
 * Reads a DICOM, PNG or NPY image (an NPY holds one 2-D image or a stack of them). Throws
 * ImagingError: IMG_UNSUPPORTED for an unknown format, else as the format's reader.
 */
export function readImage(bytes: Uint8Array): ReadImageResult {
  const format = sniffFormat(bytes);
  switch (format) {
    case "dicom": {
      const dicom = readDicom(bytes);
      return { format, image: decodePixels(dicom), dicom };
    }
    case "png":
      return { format, image: readPng(bytes) };
    case "npy":
      return { format, image: npyToImage(readNpy(bytes)) };
    default:
      throw new ImagingError(
        "IMG_UNSUPPORTED",
        "not a DICOM Part 10 file, a PNG or an NPY array (no known signature)",
      );
  }
}

export async function readImageFile(path: string): Promise<ReadImageResult> {
  return readImage(new Uint8Array(await readFile(path)));
}
