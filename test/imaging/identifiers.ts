// Every string of a source DICOM file that could identify a patient, a place or a person, for
// tests that scan what leaves a node. Listed here independently of src/imaging/deidentify.ts so
// a tag the implementation forgets is still looked for.
import type { DcmjsDataset } from "../../src/imaging/dcmjs-api.ts";
import type { DicomImage } from "../../src/imaging/index.ts";

const NAMED = new Set([
  "00080050", // Accession Number
  "00080080", // Institution Name
  "00080081", // Institution Address
  "00081010", // Station Name
  "00081030", // Study Description
  "0008103E", // Series Description
  "00081040", // Institutional Department Name
  "00181000", // Device Serial Number
  "00181030", // Protocol Name
  "00200010", // Study ID
  "00204000", // Image Comments
  "00321032", // Requesting Physician
  "00400254", // Performed Procedure Step Description
]);

/** VRs whose values are dates, times, names or UIDs: identifying wherever they are. */
const ALWAYS = new Set(["PN", "DA", "DT", "TM", "UI"]);
const TEXT_VRS = new Set(["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UT"]);
const STANDARD_UID_ROOT = "1.2.840.10008.";
/** Shorter strings ("O", "05", "CT") occur by chance in any file. */
const MIN_LENGTH = 4;

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value && typeof value === "object") {
    return Object.values(value as Record<string, unknown>).filter(
      (v): v is string => typeof v === "string",
    );
  }
  return [];
}

type Kind = "public" | "identifying" | "private";

interface Found {
  identifying: Set<string>;
  /** Strings of private elements: vendor data that may copy anything from the header. */
  private: Set<string>;
  /** Strings of public attributes that describe the image, not a person ("WHOLE BODY"). */
  descriptive: Set<string>;
}

function kindOf(tag: string, parent: Kind): Kind {
  const group = Number.parseInt(tag.slice(0, 4), 16);
  if (parent === "private" || group % 2 === 1) return "private";
  if (parent === "identifying" || NAMED.has(tag) || group === 0x0010) return "identifying";
  return "public";
}

function textValues(vr: string, values: unknown[]): string[] {
  const out: string[] = [];
  for (const v of values.flatMap(strings)) {
    const s = v.replace(/[\0 ]+$/, "").trim();
    if (s.length < MIN_LENGTH) continue;
    if (vr === "UI" && s.startsWith(STANDARD_UID_ROOT)) continue;
    // Dates leave coarsened to the first of their month: a date on the 1st tells no more.
    if (vr === "DA" && /^\d{6}01$/.test(s)) continue;
    out.push(s);
    // Each component of a name on its own: "DOE^JOHN" must not leak as "DOE".
    if (vr === "PN") out.push(...s.split(/[\^=]/).filter((p) => p.length >= MIN_LENGTH));
  }
  return out;
}

function collect(ds: DcmjsDataset, found: Found, parent: Kind): void {
  for (const [tag, el] of Object.entries(ds)) {
    const kind = kindOf(tag, parent);
    const values = Array.isArray(el.Value) ? el.Value : [];
    if (el.vr === "SQ") {
      for (const item of values) collect(item as DcmjsDataset, found, kind);
      continue;
    }
    if (!TEXT_VRS.has(el.vr)) continue;
    const set =
      ALWAYS.has(el.vr) || kind === "identifying"
        ? found.identifying
        : kind === "private"
          ? found.private
          : found.descriptive;
    for (const s of textValues(el.vr, values)) set.add(s);
  }
}

export function identifierStrings(image: DicomImage): Set<string> {
  const found: Found = { identifying: new Set(), private: new Set(), descriptive: new Set() };
  collect(image.dict, found, "public");
  collect(image.meta, found, "public");
  for (const s of found.private) found.identifying.add(s);
  // A string the source also shows inside an attribute that describes the equipment or image
  // (institution "TOSHIBA" inside manufacturer "TOSHIBA_MEC", private "WHOLE BODY" beside Body
  // Part Examined) is kept there by the profile and cannot be told apart.
  const descriptive = [...found.descriptive];
  return new Set([...found.identifying].filter((s) => !descriptive.some((d) => d.includes(s))));
}

/**
 * `text` with every keyed value medtrace writes (2.25 UIDs from HMAC, "sk:" study keys, "MT-"
 * patient pseudonyms) masked, unless it equals an identifier: those are random digits and hex
 * derived from a key, and a 6-digit time such as "185059" turns up in them by chance (about 1 in
 * 20 runs with fresh keys), which is not a leak.
 */
export function maskKeyedValues(text: string, identifiers: Set<string>): string {
  return text.replace(/2\.25\.\d{1,39}|sk:[0-9a-f]{32}|MT-[0-9A-F]{20}/g, (m) => (identifiers.has(m) ? m : "#".repeat(m.length)));
}
