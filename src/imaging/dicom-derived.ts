// The marked copy's header (reversible-watermark.md §12.2) and its reversal (§12.3).
import type { DcmjsDataset } from "./dcmjs-api.ts";
import { type DicomImage, stringValue, TAG } from "./dicom-image.ts";
import { element, serialize, setPixelRange, withPixels } from "./dicom-write.ts";
import { ImagingError } from "./errors.ts";
import type { PixelImage } from "./types.ts";
import { newUid } from "./uid.ts";

export const DERIVATION_DESCRIPTION =
  "medtrace rw/v1: reversible watermark, max change 1 per pixel, original restorable";
export const CONTRIBUTION_DESCRIPTION = "Reversible watermark embedded";
export const MEDTRACE_MANUFACTURER = "medtrace";

// Codes from DICOM PS3.16 (DCM coding scheme).
const SOURCE_IMAGE_CODE = ["121322", "DCM", "Source image for image processing operation"];
const MODIFYING_EQUIPMENT_CODE = ["109103", "DCM", "Modifying Equipment"];

const REMOVED = [
  TAG.SmallestPixelValueInSeries,
  TAG.LargestPixelValueInSeries,
  TAG.IconImageSequence,
  TAG.DigitalSignaturesSequence,
  TAG.MACParametersSequence,
];

const ReferencedSOPClassUID = "00081150";
const ReferencedSOPInstanceUID = "00081155";
const PurposeOfReferenceCodeSequence = "0040A170";
const CodeValue = "00080100";
const CodingSchemeDesignator = "00080102";
const CodeMeaning = "00080104";
const Manufacturer = "00080070";
const SoftwareVersions = "00181020";
const ContributionDateTime = "0018A002";
const ContributionDescription = "0018A003";

function code([value, scheme, meaning]: string[]): DcmjsDataset {
  return {
    [CodeValue]: element("SH", [value]),
    [CodingSchemeDesignator]: element("SH", [scheme]),
    [CodeMeaning]: element("LO", [meaning]),
  };
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** DICOM DA, TM and DT (with its UTC offset) of a moment, in UTC. */
export function dicomDateTime(now: Date): { da: string; tm: string; dt: string } {
  const da = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const tm = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds(), 3)}000`;
  return { da, tm, dt: `${da}${tm}+0000` };
}

function items(dict: DcmjsDataset, tag: string): DcmjsDataset[] {
  const v = dict[tag]?.Value;
  return Array.isArray(v) ? (v as DcmjsDataset[]) : [];
}

function codeOf(item: DcmjsDataset): string | undefined {
  const purpose = items(item, PurposeOfReferenceCodeSequence)[0];
  return purpose ? stringValue(purpose, CodeValue) : undefined;
}

export interface DerivedOptions {
  /** The copy's Series Instance UID: one per (grant, source series); new when absent. */
  seriesInstanceUid?: string;
  /** medtrace's package version, written as Software Versions. */
  softwareVersion: string;
  now?: Date;
}

export interface DerivedFile {
  bytes: Uint8Array;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

/**
 * Writes the marked copy of `source` with pixels `marked`, tagged as a derived image (§12.2).
 * Throws WM_LOSSY_SOURCE for a lossy source, IMG_UNSUPPORTED when the pixels do not match it.
 */
export function writeDerivedDicom(
  source: DicomImage,
  marked: PixelImage,
  opts: DerivedOptions,
): DerivedFile {
  if (source.lossy) {
    throw new ImagingError(
      "WM_LOSSY_SOURCE",
      `${source.lossyReason ?? "lossy source"}: no marked copy is written`,
    );
  }
  const { meta, dict } = withPixels(source, marked);
  const { da, tm, dt } = dicomDateTime(opts.now ?? new Date());
  const sopInstanceUid = newUid();
  const seriesInstanceUid = opts.seriesInstanceUid ?? newUid();

  dict[TAG.SOPInstanceUID] = element("UI", [sopInstanceUid]);
  meta[TAG.MediaStorageSOPInstanceUID] = element("UI", [sopInstanceUid]);
  if (source.sopClassUid) meta[TAG.MediaStorageSOPClassUID] = element("UI", [source.sopClassUid]);
  dict[TAG.SeriesInstanceUID] = element("UI", [seriesInstanceUid]);

  const imageType = source.imageType ? [...source.imageType] : ["DERIVED", "SECONDARY"];
  imageType[0] = "DERIVED";
  dict[TAG.ImageType] = element("CS", imageType);
  dict[TAG.DerivationDescription] = element("ST", [DERIVATION_DESCRIPTION]);

  const sourceRef: DcmjsDataset = {
    [PurposeOfReferenceCodeSequence]: element("SQ", [code(SOURCE_IMAGE_CODE)]),
  };
  if (source.sopClassUid) sourceRef[ReferencedSOPClassUID] = element("UI", [source.sopClassUid]);
  if (source.sopInstanceUid)
    sourceRef[ReferencedSOPInstanceUID] = element("UI", [source.sopInstanceUid]);
  dict[TAG.SourceImageSequence] = element("SQ", [
    ...items(dict, TAG.SourceImageSequence),
    sourceRef,
  ]);

  const equipment: DcmjsDataset = {
    [Manufacturer]: element("LO", [MEDTRACE_MANUFACTURER]),
    [SoftwareVersions]: element("LO", [opts.softwareVersion]),
    [ContributionDateTime]: element("DT", [dt]),
    [ContributionDescription]: element("ST", [CONTRIBUTION_DESCRIPTION]),
    [PurposeOfReferenceCodeSequence]: element("SQ", [code(MODIFYING_EQUIPMENT_CODE)]),
  };
  dict[TAG.ContributingEquipmentSequence] = element("SQ", [
    ...items(dict, TAG.ContributingEquipmentSequence),
    equipment,
  ]);

  dict[TAG.InstanceCreationDate] = element("DA", [da]);
  dict[TAG.InstanceCreationTime] = element("TM", [tm]);
  // Lossy Image Compression keeps the source's value (absent or 00): a lossy source was refused.
  if (TAG.SmallestImagePixelValue in dict || TAG.LargestImagePixelValue in dict) {
    setPixelRange(dict, marked);
  }
  for (const k of REMOVED) delete dict[k];
  return { bytes: serialize(meta, dict), sopInstanceUid, seriesInstanceUid };
}

export interface SourceIdentifiers {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  /** The source's Image Type; absent when the source had none. */
  imageType?: string[];
}

/**
 * Writes the restored file of a marked copy (§12.3): restored pixels, the source's SOP Instance,
 * Series Instance UIDs and Image Type put back, the items medtrace added to the Source Image and
 * Contributing Equipment sequences removed, Smallest/Largest recomputed. Removed icons and
 * signatures are not recreated.
 */
export function restoreDicomHeader(
  marked: DicomImage,
  restored: PixelImage,
  source: SourceIdentifiers,
): Uint8Array {
  const { meta, dict } = withPixels(marked, restored);
  dict[TAG.SOPInstanceUID] = element("UI", [source.sopInstanceUid]);
  meta[TAG.MediaStorageSOPInstanceUID] = element("UI", [source.sopInstanceUid]);
  dict[TAG.SeriesInstanceUID] = element("UI", [source.seriesInstanceUid]);
  if (source.imageType) dict[TAG.ImageType] = element("CS", [...source.imageType]);
  else delete dict[TAG.ImageType];
  if (stringValue(dict, TAG.DerivationDescription) === DERIVATION_DESCRIPTION) {
    delete dict[TAG.DerivationDescription];
  }

  const keepSource = items(dict, TAG.SourceImageSequence).filter(
    (it) =>
      !(
        stringValue(it, ReferencedSOPInstanceUID) === source.sopInstanceUid &&
        codeOf(it) === SOURCE_IMAGE_CODE[0]
      ),
  );
  if (keepSource.length > 0) dict[TAG.SourceImageSequence] = element("SQ", keepSource);
  else delete dict[TAG.SourceImageSequence];

  const keepEquipment = items(dict, TAG.ContributingEquipmentSequence).filter(
    (it) =>
      !(
        stringValue(it, Manufacturer) === MEDTRACE_MANUFACTURER &&
        stringValue(it, ContributionDescription) === CONTRIBUTION_DESCRIPTION &&
        codeOf(it) === MODIFYING_EQUIPMENT_CODE[0]
      ),
  );
  if (keepEquipment.length > 0)
    dict[TAG.ContributingEquipmentSequence] = element("SQ", keepEquipment);
  else delete dict[TAG.ContributingEquipmentSequence];

  if (TAG.SmallestImagePixelValue in dict || TAG.LargestImagePixelValue in dict) {
    setPixelRange(dict, restored);
  }
  return serialize(meta, dict);
}
