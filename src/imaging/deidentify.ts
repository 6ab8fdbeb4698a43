// De-identification before anything leaves a hospital: DICOM PS3.15 Annex E, Basic Application
// Level Confidentiality Profile (Table E.1-1) with the Retain Longitudinal Temporal Information
// Modified Dates Option (E.3.6): dates are coarsened to the first day of their month, as the
// catalogue publishes them. Works on dcmjs's raw dictionary so Pixel Data is written back from the
// bytes it was read from, in the source's transfer syntax.
import { createHmac } from "node:crypto";
import type { DcmjsDataset, DcmjsElement } from "./dcmjs-api.ts";
import { type DicomImage, stringValue, TAG } from "./dicom-image.ts";
import { readDicom } from "./dicom-read.ts";
import { TS } from "./dicom-scan.ts";
import {
  element,
  MEDTRACE_IMPLEMENTATION_CLASS_UID,
  MEDTRACE_IMPLEMENTATION_VERSION,
  serialize,
} from "./dicom-write.ts";
import { ImagingError } from "./errors.ts";

/** Actions of Table E.1-1: X remove, Z empty, P replace by the keyed patient pseudonym. */
type Action = "X" | "Z" | "P";

// Attributes of Table E.1-1 that the generic rules below (private groups, PN, UI, DA/DT/TM, the
// patient group 0010) would not already handle as the profile asks.
const X_TAGS = [
  "00080024", "00080025", "00080034", "00080035", // overlay/curve date and time (retired)
  "00080080", "00080081", "00080082", // institution name, address, code sequence
  "00080092", "00080094", "00080096", // referring physician address, phones, identification
  "0008009D", "00081049", "00081052", "00081062", "00081072", // physician identification seqs
  "00080201", // timezone offset from UTC
  "00080054", "00080055", "00081190", // retrieve AE title, station AE title, retrieve URL (names the original UIDs)
  "00081000", "00081010", // network ID (retired), station name
  "00081030", "0008103E", // study and series descriptions
  "00081040", "00081041", // institutional department name and type
  "00081080", "00081084", // admitting diagnoses
  "00081110", "00081111", "00081120", // referenced study, PPS and patient sequences
  "00082111", "00084000", // derivation description, identifying comments
  "00181020", // software versions
  "00189367", "00189371", "00189373", // X-ray source and detector IDs, detector label
  "00180010", // contrast/bolus agent (Z/D in the table; free text naming a product lot)
  "00181000", "00181004", "00181005", "00181007", "00181008", // device serial, plate, generator, cassette, gantry IDs
  "00181030", "00181400", "00184000", "0018700A", // protocol name, processing description, acquisition comments, detector ID
  "00189424", "0018A003", // acquisition protocol description, contribution description
  "00201070", "00203401", "00203404", "00203406", "00204000", "00209158", // other study numbers (retired), modifying device, image and frame comments
  "00284000", // image presentation comments
  "00400001", "00400006", "00400007", "00400009", "0040000B", "00400010", "00400011", "00400012", // scheduled procedure step
  "00400100", "00400241", "00400242", "00400243", "00400253", "00400254", "00400275", "00400280", "00400555", // performed procedure step and request attributes
  "00400512", "0040051A", "00400551", "00400610", "004006FA", // container, specimen and slide identifiers
  "00401001", "00401004", "00401005", "00401010", "00401011", // requested procedure, transport, location, recipients
  "00401101", "00401102", "00401103", "00401400", // person identification, address, phones; procedure comments
  "00402001", "00402008", "00402009", "00402010", "00402400", "00403001", // imaging service request
  "00404025", "00404027", "00404028", "00404030", // station name and geographic location codes
  "00404034", "00404035", "00404036", "00404037", // human performers, their organization and name
  "0040A027", "0040A073", "0040A078", "0040A07A", "0040A07C", "0040A088", "0040A123", "0040A730", // verifying/author/participant, content sequence
  "00700006", // unformatted text value of a graphic annotation
  "00880200", "00880904", "00880906", "00880910", "00880912", // icon image, topic title/subject/author/keywords
  "04000100", "04000402", "04000403", "04000404", "04000550", "04000561", // signatures, MACs, original/modified attributes
  "30060004", "30060006", "30060028", "30060038", // structure set name and description, ROI descriptions
  "300A0003", "300A0004", "300A000E", "300A0016", // RT plan name and description, prescription and dose reference descriptions
  TAG.MACParametersSequence, TAG.DigitalSignaturesSequence, "FFFCFFFC", // data set trailing padding
];
const Z_TAGS = [
  "00080050", // accession number
  "00080030", "00080033", // study time, content time (Type 2: kept, emptied)
  "00100030", "00100040", // patient's birth date and sex
  "00200010", // study ID
  "00402016", "00402017", // placer and filler order numbers
];
const P_TAGS = ["00100010", "00100020"]; // patient's name and ID

const ACTIONS = new Map<string, Action>([
  ...X_TAGS.map((t) => [t, "X"] as const),
  ...Z_TAGS.map((t) => [t, "Z"] as const),
  ...P_TAGS.map((t) => [t, "P"] as const),
]);

/**
 * Groups removed whole: clinical trial attributes (0012, refilled below with the de-identification
 * record), study request (0032), visit (0038), interpretation (4008, retired), curves (50xx) and
 * overlays (60xx), whose data and comments may carry burned-in or typed identifying text.
 */
function removedGroup(group: number): boolean {
  return (
    group === 0x0012 ||
    group === 0x0032 ||
    group === 0x0038 ||
    group === 0x4008 ||
    (group & 0xff00) === 0x5000 ||
    (group & 0xff00) === 0x6000
  );
}

/** UIDs under the DICOM root name standard objects (SOP classes, syntaxes, codes), no patient. */
const STANDARD_UID_ROOT = "1.2.840.10008.";
/** UIDs that name a coding scheme, context group or mapping resource, never an instance. */
const VOCABULARY_UID_TAGS = new Set(["0008010C", "0008010D", "00080117", "00080118"]);

const PatientIdentityRemoved = "00120062";
const DeidentificationMethod = "00120063";
const DeidentificationMethodCodeSequence = "00120064";
const LongitudinalTemporalInformationModified = "00280303";
const BurnedInAnnotation = "00280301";
const SourceApplicationEntityTitle = "00020016";
const SendingApplicationEntityTitle = "00020017";
const ReceivingApplicationEntityTitle = "00020018";
const PrivateInformationCreatorUID = "00020100";
const PrivateInformation = "00020102";

/** PS3.16 CID 7050 codes of what was applied. */
export const DEID_CODES = [
  ["113100", "Basic Application Confidentiality Profile"],
  ["113107", "Retain Longitudinal Temporal Information Modified Dates Option"],
] as const;
export const DEID_METHOD = "PS3.15 E.1 Basic Profile; dates coarsened to month; medtrace deid/v1";

/** Keys shorter than this could be guessed; the node derives a 32-byte key (src/edge/config.ts). */
export const MIN_DEID_KEY_BYTES = 32;

export interface DeidentifyOptions {
  /** The node's de-identification key: UIDs and the patient pseudonym are keyed with it. */
  key: Uint8Array;
}

export interface DeidentifiedDicom {
  bytes: Uint8Array;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

function keyedDigest(key: Uint8Array, domain: string, value: string): Buffer {
  return createHmac("sha256", key)
    .update(`medtrace/v1/deid/${domain}`)
    .update(Uint8Array.of(0))
    .update(value, "utf8")
    .digest();
}

/**
 * The replacement of `uid`: "2.25." and the first 128 bits of HMAC-SHA256(key, uid) as an
 * unsigned decimal (PS3.5 §B.2, at most 39 digits), so one study keeps one UID across requests
 * while the original cannot be recovered without the node's key.
 */
export function replacementUid(key: Uint8Array, uid: string): string {
  const mac = keyedDigest(key, "uid", uid);
  return `2.25.${BigInt(`0x${mac.subarray(0, 16).toString("hex")}`).toString(10)}`;
}

/** The keyed pseudonym written as Patient's Name and Patient ID (LO allows 64 characters). */
export function patientPseudonym(key: Uint8Array, patientId: string): string {
  return `MT-${keyedDigest(key, "patient", patientId).subarray(0, 10).toString("hex").toUpperCase()}`;
}

/** "YYYYMMDD…" -> "YYYYMM01" (DA and DT); undefined when the value is not a date. */
export function coarsenDate(value: string): string | undefined {
  const m = /^(\d{4})(0[1-9]|1[0-2])/.exec(value.trim());
  return m ? `${m[1]}${m[2]}01` : undefined;
}

function isPrivate(group: number): boolean {
  return group % 2 === 1;
}

function emptied(el: DcmjsElement): DcmjsElement {
  return { vr: el.vr, Value: [] };
}

class Deidentifier {
  constructor(
    private readonly key: Uint8Array,
    private readonly pseudonym: string | undefined,
  ) {}

  dataset(ds: DcmjsDataset): DcmjsDataset {
    const out: DcmjsDataset = {};
    for (const [tag, el] of Object.entries(ds)) {
      const kept = this.element(tag, el);
      if (kept) out[tag] = kept;
    }
    return out;
  }

  private element(tag: string, el: DcmjsElement): DcmjsElement | undefined {
    const group = Number.parseInt(tag.slice(0, 4), 16);
    if (isPrivate(group) || removedGroup(group)) return undefined;
    if (tag.endsWith("0000")) return undefined; // group lengths go stale (PS3.5 §7.2)
    const action = ACTIONS.get(tag);
    if (action === "X") return undefined;
    if (action === "Z") return emptied(el);
    if (action === "P") {
      return this.pseudonym === undefined
        ? emptied(el)
        : element(el.vr, [el.vr === "PN" ? { Alphabetic: this.pseudonym } : this.pseudonym]);
    }
    // The patient module beyond name, ID, birth date and sex is all identifying or
    // characterising (Table E.1-1 removes it), so nothing else of group 0010 is kept.
    if (group === 0x0010) return undefined;
    if (VOCABULARY_UID_TAGS.has(tag)) return el;
    return this.byVr(el);
  }

  private byVr(el: DcmjsElement): DcmjsElement | undefined {
    const values = Array.isArray(el.Value) ? el.Value : [];
    switch (el.vr) {
      case "SQ":
        return element("SQ", values.map((item) => this.dataset(item as DcmjsDataset)));
      case "PN":
        return emptied(el); // any person's name: operator, physician, observer
      case "UI":
        return element(
          "UI",
          values.map((v) =>
            typeof v === "string" && v !== "" && !v.startsWith(STANDARD_UID_ROOT)
              ? replacementUid(this.key, v.replace(/\0+$/, "").trim())
              : v,
          ),
        );
      case "DA":
      case "DT":
        return element(
          el.vr,
          values.flatMap((v) => {
            const c = typeof v === "string" ? coarsenDate(v) : undefined;
            return c === undefined ? [] : [c];
          }),
        );
      case "TM":
        return undefined;
      default:
        return el;
    }
  }
}

function refuseBurnedIn(image: DicomImage): void {
  if (stringValue(image.dict, BurnedInAnnotation) === "YES") {
    throw new ImagingError(
      "IMG_DEID_REFUSED",
      "Burned In Annotation (0028,0301) is YES: identifying text may be in the pixels, which the Basic Profile without Clean Pixel Data cannot remove",
    );
  }
}

function deidentificationRecord(): DcmjsDataset {
  const codes = DEID_CODES.map(([value, meaning]) => ({
    "00080100": element("SH", [value]),
    "00080102": element("SH", ["DCM"]),
    "00080104": element("LO", [meaning]),
  }));
  return {
    [PatientIdentityRemoved]: element("CS", ["YES"]),
    [DeidentificationMethod]: element("LO", [DEID_METHOD]),
    [DeidentificationMethodCodeSequence]: element("SQ", codes),
    [LongitudinalTemporalInformationModified]: element("CS", ["MODIFIED"]),
  };
}

function deidentifiedMeta(meta: DcmjsDataset, sopInstanceUid: string): DcmjsDataset {
  const out: DcmjsDataset = { ...meta };
  for (const k of [
    "00020000",
    SourceApplicationEntityTitle,
    SendingApplicationEntityTitle,
    ReceivingApplicationEntityTitle,
    PrivateInformationCreatorUID,
    PrivateInformation,
  ]) {
    delete out[k];
  }
  out[TAG.MediaStorageSOPInstanceUID] = element("UI", [sopInstanceUid]);
  out[TAG.ImplementationClassUID] = element("UI", [MEDTRACE_IMPLEMENTATION_CLASS_UID]);
  out[TAG.ImplementationVersionName] = element("SH", [MEDTRACE_IMPLEMENTATION_VERSION]);
  // dcmjs writes a deflated data set uncompressed; the bytes are then Explicit VR Little Endian.
  if (stringValue(out, TAG.TransferSyntaxUID) === TS.deflatedLE) {
    out[TAG.TransferSyntaxUID] = element("UI", [TS.explicitLE]);
  }
  return out;
}

function requiredUid(dict: DcmjsDataset, tag: string, name: string): string {
  const v = stringValue(dict, tag);
  if (v === undefined) {
    throw new ImagingError("IMG_DEID_REFUSED", `the data set has no ${name}`);
  }
  return v;
}

/** De-identifies a parsed file. Throws IMG_DEID_REFUSED for burned-in text or missing UIDs. */
export function deidentifyImage(image: DicomImage, opts: DeidentifyOptions): DeidentifiedDicom {
  if (opts.key.length < MIN_DEID_KEY_BYTES) {
    throw new RangeError(`de-identification key has ${opts.key.length} bytes, needs ${MIN_DEID_KEY_BYTES}`);
  }
  refuseBurnedIn(image);
  const patientId = stringValue(image.dict, "00100020");
  const pseudonym = patientId === undefined ? undefined : patientPseudonym(opts.key, patientId);
  const dict = {
    ...new Deidentifier(opts.key, pseudonym).dataset(image.dict),
    ...deidentificationRecord(),
  };
  const sopInstanceUid = requiredUid(dict, TAG.SOPInstanceUID, "SOP Instance UID");
  const studyInstanceUid = requiredUid(dict, TAG.StudyInstanceUID, "Study Instance UID");
  const seriesInstanceUid = requiredUid(dict, TAG.SeriesInstanceUID, "Series Instance UID");
  const meta = deidentifiedMeta(image.meta, sopInstanceUid);
  return { bytes: serialize(meta, dict), sopInstanceUid, studyInstanceUid, seriesInstanceUid };
}

/** De-identifies a DICOM Part 10 file. Throws IMG_PARSE for unreadable input. */
export function deidentifyDicom(bytes: Uint8Array, opts: DeidentifyOptions): DeidentifiedDicom {
  return deidentifyImage(readDicom(bytes), opts);
}
