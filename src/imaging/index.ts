// src/imaging: DICOM/PNG/NPY reading and writing, pixel access by BitsStored, canonical hashes.

export {
  type CreateDicomOptions,
  type CreatedDicom,
  createDicomFromPixels,
  SOP_CLASS,
} from "./dicom-create.ts";
export {
  CONTRIBUTION_DESCRIPTION,
  DERIVATION_DESCRIPTION,
  type DerivedFile,
  type DerivedOptions,
  restoreDicomHeader,
  type SourceIdentifiers,
  writeDerivedDicom,
} from "./dicom-derived.ts";
export {
  coarsenDate,
  DEID_CODES,
  DEID_METHOD,
  type DeidentifiedDicom,
  type DeidentifyOptions,
  deidentifyDicom,
  deidentifyImage,
  MIN_DEID_KEY_BYTES,
  patientPseudonym,
  replacementUid,
} from "./deidentify.ts";
export { type DicomImage, numberValue, stringValue, TAG } from "./dicom-image.ts";
export { checkBits, decodedPhotometric, decodePixels } from "./dicom-pixels.ts";
export { isLossySyntax, isNativeSyntax, readDicom } from "./dicom-read.ts";
export { TS } from "./dicom-scan.ts";
export {
  MEDTRACE_IMPLEMENTATION_CLASS_UID,
  MEDTRACE_IMPLEMENTATION_VERSION,
  pixelRange,
  writeDicomPixels,
} from "./dicom-write.ts";
export { ImagingError, type ImagingErrorCode } from "./errors.ts";
export { pixelSha256, planePixelSha256 } from "./hash.ts";
export { type MonochromeShape, monochromeImage } from "./monochrome.ts";
export { type NrrdVolume, seriesToNrrd } from "./nrrd.ts";
export { type NpyArray, type NpyData, type NpyDtype, npyToImage, readNpy, readNpz } from "./npy.ts";
export { readPng, writePng } from "./png.ts";
export {
  type ImageFormat,
  type ReadImageResult,
  readImage,
  readImageFile,
  sniffFormat,
} from "./sniff.ts";
export type { Photometric, PixelImage, PixelPadding } from "./types.ts";
export { nameUid, newUid } from "./uid.ts";
