// The parsed view of a DICOM file that src/imaging passes around: dcmjs's raw dictionaries
// (kept for writing) plus the attributes pixel access needs, named as the standard names them.
import type { DcmjsDataset } from "./dcmjs-api.ts";

export interface DicomImage {
  /** File meta information (group 0002), dcmjs raw form. */
  meta: DcmjsDataset;
  /** The data set, dcmjs raw form (private tags included). */
  dict: DcmjsDataset;
  transferSyntaxUid: string;
  /** Pixel Data is encapsulated (compressed) in this transfer syntax. */
  encapsulated: boolean;
  /** Lossy or possibly lossy source (§12.1): a reversible mark is refused. */
  lossy: boolean;
  /** Why `lossy` is set, for messages. */
  lossyReason?: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  imageType?: string[];
  /** Present only when the data set holds Pixel Data (7FE0,0010). */
  hasPixelData: boolean;
  rows: number;
  cols: number;
  frames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: number;
  photometric: string;
  planarConfiguration: number;
}

/** Data set key of a tag: "GGGGEEEE", upper-case hex, as dcmjs keys its raw dictionary. */
export const TAG = {
  SOPClassUID: "00080016",
  SOPInstanceUID: "00080018",
  ImageType: "00080008",
  InstanceCreationDate: "00080012",
  InstanceCreationTime: "00080013",
  DerivationDescription: "00082111",
  SourceImageSequence: "00082112",
  ContributingEquipmentSequence: "0018A001",
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  SamplesPerPixel: "00280002",
  PhotometricInterpretation: "00280004",
  PlanarConfiguration: "00280006",
  NumberOfFrames: "00280008",
  Rows: "00280010",
  Columns: "00280011",
  BitsAllocated: "00280100",
  BitsStored: "00280101",
  HighBit: "00280102",
  PixelRepresentation: "00280103",
  SmallestImagePixelValue: "00280106",
  LargestImagePixelValue: "00280107",
  SmallestPixelValueInSeries: "00280108",
  LargestPixelValueInSeries: "00280109",
  PixelPaddingValue: "00280120",
  PixelPaddingRangeLimit: "00280121",
  LossyImageCompression: "00282110",
  IconImageSequence: "00880200",
  MACParametersSequence: "4FFE0001",
  DigitalSignaturesSequence: "FFFAFFFA",
  PixelData: "7FE00010",
  // File meta information
  MediaStorageSOPClassUID: "00020002",
  MediaStorageSOPInstanceUID: "00020003",
  TransferSyntaxUID: "00020010",
  ImplementationClassUID: "00020012",
  ImplementationVersionName: "00020013",
} as const;

export function firstValue(ds: DcmjsDataset, tag: string): unknown {
  const v = ds[tag]?.Value;
  return Array.isArray(v) && v.length > 0 ? v[0] : undefined;
}

export function stringValue(ds: DcmjsDataset, tag: string): string | undefined {
  const v = firstValue(ds, tag);
  if (typeof v !== "string") return undefined;
  const t = v.replace(/[\0 ]+$/, "").trim();
  return t === "" ? undefined : t;
}

export function stringValues(ds: DcmjsDataset, tag: string): string[] | undefined {
  const v = ds[tag]?.Value;
  if (!Array.isArray(v) || v.length === 0) return undefined;
  return v.map((x) => (typeof x === "string" ? x.trim() : String(x)));
}

export function numberValue(ds: DcmjsDataset, tag: string): number | undefined {
  const v = firstValue(ds, tag);
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
