// Thin, typed access to dcmjs's raw (un-naturalized) path: DicomMessage.readFile -> dict, and
// DicomDict.write. The raw dictionary keeps private tags, which the naturalized path drops.
import dcmjs, { type DcmjsDataset, type DcmjsDicomDict, type DcmjsElement } from "dcmjs";

export type { DcmjsDataset, DcmjsDicomDict, DcmjsElement };

// dcmjs reports VRs it maps itself (e.g. "xs" -> US in implicit VR) on its validation logger;
// medtrace validates the structure itself (dicom-scan.ts), so that channel is only noise.
dcmjs.log.getLogger("validation.dcmjs").setLevel("silent");

export function readRaw(bytes: Uint8Array, ignoreErrors: boolean): DcmjsDicomDict {
  // A copy of exactly these bytes: a Node Buffer may be a view into a larger shared pool.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return dcmjs.data.DicomMessage.readFile(copy.buffer, { ignoreErrors });
}

export function newDicomDict(meta: DcmjsDataset, dict: DcmjsDataset): DcmjsDicomDict {
  const d = new dcmjs.data.DicomDict(meta);
  d.dict = dict;
  return d;
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, "0").toUpperCase();
}

/** True when the standard dictionary gives VR SQ to this tag (needed for implicit VR). */
export function isDictionarySequence(group: number, element: number): boolean {
  if (group % 2 === 1) return false;
  const entry = dcmjs.data.DicomMetaDictionary.dictionary[`(${hex4(group)},${hex4(element)})`];
  return entry?.vr === "SQ";
}
