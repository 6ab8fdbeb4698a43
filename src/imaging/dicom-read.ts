// Reading a DICOM Part 10 file (reversible-watermark.md §12.1): structure checked by our own walk,
// then parsed with dcmjs's raw path so the dictionary can be written back with every private tag.
import { readRaw } from "./dcmjs-api.ts";
import { type DicomImage, numberValue, stringValue, stringValues, TAG } from "./dicom-image.ts";
import { scanDicom, TS } from "./dicom-scan.ts";
import { ImagingError, parseError } from "./errors.ts";

const NATIVE = new Set<string>([TS.implicitLE, TS.explicitLE, TS.deflatedLE, TS.explicitBE]);

/**
 * Lossy or possibly lossy transfer syntaxes (PS3.5 §10 and Annex A.4): JPEG baseline and extended
 * (.50, .51) and the retired lossy JPEG processes (.52–.56, .59–.64), JPEG-LS near-lossless (.81),
 * JPEG 2000 (.91), JPIP referenced (.94, .95), MPEG-2/MPEG-4/HEVC video (.100–.108), JPEG XL
 * recompression and lossy (.111, .112), HTJ2K (.203).
 */
const LOSSY_SUFFIXES = [
  "50",
  "51",
  "52",
  "53",
  "54",
  "55",
  "56",
  "59",
  "60",
  "61",
  "62",
  "63",
  "64",
  "81",
  "91",
  "94",
  "95",
  "100",
  "100.1",
  "101",
  "101.1",
  "102",
  "102.1",
  "103",
  "103.1",
  "104",
  "104.1",
  "105",
  "105.1",
  "106",
  "106.1",
  "107",
  "108",
  "111",
  "112",
  "203",
];
const LOSSY = new Set(LOSSY_SUFFIXES.map((s) => `1.2.840.10008.1.2.4.${s}`));

export function isLossySyntax(uid: string): boolean {
  return LOSSY.has(uid);
}

export function isNativeSyntax(uid: string): boolean {
  return NATIVE.has(uid);
}

function positiveInt(v: number | undefined, name: string, fallback?: number): number {
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw parseError(`the data set has Pixel Data but no ${name}`);
  }
  if (!Number.isInteger(v) || v < 0) throw parseError(`${name} is ${v}, not a count`);
  return v;
}

/** Parses a DICOM Part 10 file. Throws ImagingError IMG_PARSE for unreadable or truncated files. */
export function readDicom(bytes: Uint8Array): DicomImage {
  const scan = scanDicom(bytes);
  let raw: ReturnType<typeof readRaw>;
  try {
    // The walk has already checked every length; ignoreErrors only lets dcmjs read past what it
    // refuses but we accept (e.g. ISO 2022 character set extensions).
    raw = readRaw(bytes, true);
  } catch (err) {
    throw parseError(`dcmjs cannot read the data set: ${(err as Error).message}`);
  }
  const dict = raw.dict;
  const missing = scan.tags.find((t) => !(t in dict));
  if (missing !== undefined) {
    throw parseError(
      `dcmjs stopped reading before element (${missing.slice(0, 4)},${missing.slice(4)})`,
    );
  }
  const transferSyntaxUid = scan.transferSyntaxUid;
  const encapsulated = !NATIVE.has(transferSyntaxUid);
  if (scan.pixelData && scan.pixelData.encapsulated !== encapsulated) {
    throw parseError(
      `Pixel Data is ${scan.pixelData.encapsulated ? "" : "not "}encapsulated in transfer syntax ${transferSyntaxUid}`,
      scan.pixelData.offset,
    );
  }

  let lossy = false;
  let lossyReason: string | undefined;
  if (LOSSY.has(transferSyntaxUid)) {
    lossy = true;
    lossyReason = `transfer syntax ${transferSyntaxUid} is lossy`;
  } else if (stringValue(dict, TAG.LossyImageCompression) === "01") {
    lossy = true;
    lossyReason = "Lossy Image Compression (0028,2110) is 01";
  }

  const hasPixelData = TAG.PixelData in dict;
  const samplesPerPixel = positiveInt(
    numberValue(dict, TAG.SamplesPerPixel),
    "Samples per Pixel",
    1,
  );
  const bitsAllocated = hasPixelData
    ? positiveInt(numberValue(dict, TAG.BitsAllocated), "Bits Allocated")
    : (numberValue(dict, TAG.BitsAllocated) ?? 0);
  const bitsStored = positiveInt(numberValue(dict, TAG.BitsStored), "Bits Stored", bitsAllocated);
  const highBit = positiveInt(
    numberValue(dict, TAG.HighBit),
    "High Bit",
    Math.max(0, bitsStored - 1),
  );
  const image: DicomImage = {
    meta: raw.meta,
    dict,
    transferSyntaxUid,
    encapsulated,
    lossy,
    hasPixelData,
    rows: hasPixelData ? positiveInt(numberValue(dict, TAG.Rows), "Rows") : 0,
    cols: hasPixelData ? positiveInt(numberValue(dict, TAG.Columns), "Columns") : 0,
    frames: positiveInt(numberValue(dict, TAG.NumberOfFrames), "Number of Frames", 1),
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: numberValue(dict, TAG.PixelRepresentation) ?? 0,
    photometric:
      stringValue(dict, TAG.PhotometricInterpretation) ??
      (samplesPerPixel === 3 ? "RGB" : "MONOCHROME2"),
    planarConfiguration: numberValue(dict, TAG.PlanarConfiguration) ?? 0,
  };
  if (lossyReason !== undefined) image.lossyReason = lossyReason;
  const ids: [keyof DicomImage, string][] = [
    ["sopClassUid", TAG.SOPClassUID],
    ["sopInstanceUid", TAG.SOPInstanceUID],
    ["studyInstanceUid", TAG.StudyInstanceUID],
    ["seriesInstanceUid", TAG.SeriesInstanceUID],
  ];
  for (const [key, tag] of ids) {
    const v = stringValue(dict, tag);
    if (v !== undefined) (image as unknown as Record<string, unknown>)[key] = v;
  }
  const imageType = stringValues(dict, TAG.ImageType);
  if (imageType) image.imageType = imageType;
  if (image.frames < 1 && hasPixelData) throw parseError("Number of Frames is 0");
  if (image.pixelRepresentation !== 0 && image.pixelRepresentation !== 1) {
    throw new ImagingError(
      "IMG_UNSUPPORTED",
      `Pixel Representation ${image.pixelRepresentation} is neither 0 nor 1`,
    );
  }
  return image;
}
