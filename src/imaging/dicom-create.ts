// A new DICOM Part 10 file around pixels that came from elsewhere (PNG, PneumoniaMNIST arrays):
// a Secondary Capture instance (PS3.3 A.8), Explicit VR Little Endian, fresh 2.25 UIDs.
import type { DcmjsDataset } from "./dcmjs-api.ts";
import { dicomDateTime } from "./dicom-derived.ts";
import { TAG } from "./dicom-image.ts";
import { checkBits } from "./dicom-pixels.ts";
import { TS } from "./dicom-scan.ts";
import {
  element,
  encodePixelData,
  MEDTRACE_IMPLEMENTATION_CLASS_UID,
  MEDTRACE_IMPLEMENTATION_VERSION,
  pixelRange,
  serialize,
} from "./dicom-write.ts";
import { ImagingError } from "./errors.ts";
import type { PixelImage } from "./types.ts";
import { newUid } from "./uid.ts";

/** Secondary Capture SOP classes (PS3.4 B.5). */
export const SOP_CLASS = {
  secondaryCapture: "1.2.840.10008.5.1.4.1.1.7",
  multiFrameGrayscaleByte: "1.2.840.10008.5.1.4.1.1.7.2",
  multiFrameGrayscaleWord: "1.2.840.10008.5.1.4.1.1.7.3",
  multiFrameTrueColor: "1.2.840.10008.5.1.4.1.1.7.4",
} as const;

export interface CreateDicomOptions {
  patientId?: string;
  patientName?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  studyDescription?: string;
  seriesDescription?: string;
  /** Modality (0008,0060); "OT" (other) by default. */
  modality?: string;
  seriesNumber?: number;
  instanceNumber?: number;
  /** Body Part Examined (0018,0015), which catalogues and queries filter on. */
  bodyPartExamined?: string;
  /** Patient-space geometry of a slice, so a series of them reads as a volume (NRRD, viewers). */
  geometry?: SliceGeometry;
  now?: Date;
}

export interface SliceGeometry {
  /** Image Position (Patient), mm. */
  position: [number, number, number];
  /** Image Orientation (Patient): row direction then column direction. */
  orientation: [number, number, number, number, number, number];
  /** Pixel Spacing: between rows, then between columns, mm. */
  pixelSpacing: [number, number];
  sliceThickness?: number;
}

export interface CreatedDicom {
  bytes: Uint8Array;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
}

function sopClassFor(image: PixelImage): string {
  if (image.frames === 1) return SOP_CLASS.secondaryCapture;
  if (image.samplesPerPixel === 3) return SOP_CLASS.multiFrameTrueColor;
  return image.bitsAllocated === 8
    ? SOP_CLASS.multiFrameGrayscaleByte
    : SOP_CLASS.multiFrameGrayscaleWord;
}

/** Wraps `image` as a new Secondary Capture DICOM file. */
export function createDicomFromPixels(
  image: PixelImage,
  opts: CreateDicomOptions = {},
): CreatedDicom {
  checkBits(image);
  const spp = image.samplesPerPixel;
  const photometric = image.photometric;
  if (
    !(
      (spp === 1 && (photometric === "MONOCHROME1" || photometric === "MONOCHROME2")) ||
      (spp === 3 && photometric === "RGB")
    )
  ) {
    throw new ImagingError(
      "WM_UNSUPPORTED_PHOTOMETRIC",
      `cannot wrap ${photometric} with ${spp} samples per pixel`,
    );
  }
  const { da, tm } = dicomDateTime(opts.now ?? new Date());
  const sopClassUid = sopClassFor(image);
  const sopInstanceUid = opts.sopInstanceUid ?? newUid();
  const seriesInstanceUid = opts.seriesInstanceUid ?? newUid();
  const studyInstanceUid = opts.studyInstanceUid ?? newUid();
  const signed = image.pixelRepresentation === 1;
  const xs = signed ? "SS" : "US";
  const [lo, hi] = pixelRange(image);
  const { vr, bytes } = encodePixelData(image);

  const dict: DcmjsDataset = {
    "00080005": element("CS", ["ISO_IR 192"]),
    [TAG.ImageType]: element("CS", ["DERIVED", "SECONDARY"]),
    [TAG.InstanceCreationDate]: element("DA", [da]),
    [TAG.InstanceCreationTime]: element("TM", [tm]),
    [TAG.SOPClassUID]: element("UI", [sopClassUid]),
    [TAG.SOPInstanceUID]: element("UI", [sopInstanceUid]),
    "00080020": element("DA", [da]), // Study Date
    "00080023": element("DA", [da]), // Content Date
    "00080030": element("TM", [tm]), // Study Time
    "00080033": element("TM", [tm]), // Content Time
    "00080050": element("SH", []), // Accession Number
    "00080060": element("CS", [opts.modality ?? "OT"]),
    "00080064": element("CS", ["WSD"]), // Conversion Type: workstation
    "00080070": element("LO", ["medtrace"]), // Manufacturer
    "00080090": element("PN", []), // Referring Physician's Name
    "00100010": element("PN", [opts.patientName ?? ""]),
    "00100020": element("LO", [opts.patientId ?? ""]),
    "00100030": element("DA", []), // Patient's Birth Date
    "00100040": element("CS", []), // Patient's Sex
    [TAG.StudyInstanceUID]: element("UI", [studyInstanceUid]),
    [TAG.SeriesInstanceUID]: element("UI", [seriesInstanceUid]),
    "00200010": element("SH", ["1"]), // Study ID
    "00200011": element("IS", [opts.seriesNumber ?? 1]),
    "00200013": element("IS", [opts.instanceNumber ?? 1]),
    "00200020": element("CS", []), // Patient Orientation
    [TAG.SamplesPerPixel]: element("US", [spp]),
    [TAG.PhotometricInterpretation]: element("CS", [photometric]),
    [TAG.Rows]: element("US", [image.rows]),
    [TAG.Columns]: element("US", [image.cols]),
    [TAG.BitsAllocated]: element("US", [image.bitsAllocated]),
    [TAG.BitsStored]: element("US", [image.bitsStored]),
    [TAG.HighBit]: element("US", [image.highBit]),
    [TAG.PixelRepresentation]: element("US", [image.pixelRepresentation]),
    [TAG.SmallestImagePixelValue]: element(xs, [lo]),
    [TAG.LargestImagePixelValue]: element(xs, [hi]),
    [TAG.PixelData]: element(vr, [bytes.buffer]),
  };
  if (spp === 3) dict[TAG.PlanarConfiguration] = element("US", [0]);
  if (image.frames > 1) {
    dict[TAG.NumberOfFrames] = element("IS", [image.frames]);
    // Multi-frame SC (PS3.3 C.8.6.3): Frame Increment Pointer -> Frame Label Vector "1".."n",
    // when the labels fit a short-length SH value.
    const labels = Array.from({ length: image.frames }, (_, i) => String(i + 1));
    if (labels.join("\\").length < 0xfff0) {
      dict["00280009"] = element("AT", [0x00182002]);
      dict["00182002"] = element("SH", labels);
    }
  }
  if (opts.bodyPartExamined) dict["00180015"] = element("CS", [opts.bodyPartExamined]);
  if (opts.geometry) addGeometry(dict, opts.geometry);
  if (opts.studyDescription) dict["00081030"] = element("LO", [opts.studyDescription]);
  if (opts.seriesDescription) dict["0008103E"] = element("LO", [opts.seriesDescription]);
  if (image.padding) {
    dict[TAG.PixelPaddingValue] = element(xs, [image.padding.value]);
    if (image.padding.rangeLimit !== undefined) {
      dict[TAG.PixelPaddingRangeLimit] = element(xs, [image.padding.rangeLimit]);
    }
  }
  const meta: DcmjsDataset = {
    "00020001": element("OB", [new Uint8Array([0, 1]).buffer]),
    [TAG.MediaStorageSOPClassUID]: element("UI", [sopClassUid]),
    [TAG.MediaStorageSOPInstanceUID]: element("UI", [sopInstanceUid]),
    [TAG.TransferSyntaxUID]: element("UI", [TS.explicitLE]),
    [TAG.ImplementationClassUID]: element("UI", [MEDTRACE_IMPLEMENTATION_CLASS_UID]),
    [TAG.ImplementationVersionName]: element("SH", [MEDTRACE_IMPLEMENTATION_VERSION]),
  };
  return { bytes: serialize(meta, dict), sopInstanceUid, seriesInstanceUid, studyInstanceUid };
}

function addGeometry(dict: DcmjsDataset, g: SliceGeometry): void {
  dict["00200032"] = element("DS", g.position);
  dict["00200037"] = element("DS", g.orientation);
  dict["00280030"] = element("DS", g.pixelSpacing);
  if (g.sliceThickness !== undefined) dict["00180050"] = element("DS", [g.sliceThickness]);
}
