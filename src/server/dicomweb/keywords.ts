// Attribute keywords <-> tags (PS3.6), from dcmjs's data dictionary: QIDO-RS query keys and
// includefield values may name an attribute either way (PS3.18 §8.3.4.1).
import dcmjs from "dcmjs";

export interface AttributeInfo {
  /** "GGGGEEEE", upper-case hex, as DICOM JSON keys it. */
  tag: string;
  vr: string;
  keyword: string;
}

type Entry = { tag: string; vr: string; name: string } | undefined;
// dcmjs looks entries up lazily (its tables cannot be enumerated), so both directions are lookups.
const dictionary = dcmjs.data.DicomMetaDictionary as unknown as { dictionary: Record<string, Entry>; nameMap: Record<string, Entry> };

function info(e: Entry): AttributeInfo | undefined {
  const m = e && /^\(([0-9A-F]{4}),([0-9A-F]{4})\)$/i.exec(e.tag);
  // Repeating groups ("(60xx,3000)") cannot be asked for by one tag.
  return e && m ? { tag: `${m[1]}${m[2]}`.toUpperCase(), vr: e.vr, keyword: e.name } : undefined;
}

/** The attribute named by a keyword (`PatientID`) or a tag (`00100020`); undefined if unknown. */
export function attribute(name: string): AttributeInfo | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(name)) {
    const tag = name.toUpperCase();
    return info(dictionary.dictionary[`(${tag.slice(0, 4)},${tag.slice(4)})`]) ?? { tag, vr: "UN", keyword: tag };
  }
  return Object.hasOwn(dictionary.nameMap, name) ? info(dictionary.nameMap[name]) : undefined;
}

/** The tag of a keyword that medtrace itself uses (a typo here is a bug, so it throws). */
export function tagOf(keyword: string): string {
  const a = attribute(keyword);
  if (!a) throw new Error(`unknown DICOM keyword ${keyword}`);
  return a.tag;
}
