// What the grant store keeps of one marked copy for QIDO-RS: identifiers and the non-binary
// attributes in the DICOM JSON Model, read once when the copy is stored.
import { readDicom } from "../../imaging/index.ts";
import { type InstanceSummary } from "./qido.ts";
import { toDicomJson } from "./json.ts";

export class InstanceError extends Error {
  readonly code = "DICOMWEB_NOT_AN_INSTANCE";
  constructor(message: string) {
    super(message);
    this.name = "InstanceError";
  }
}

export function summarizeInstance(bytes: Uint8Array): InstanceSummary {
  const image = readDicom(bytes);
  const { studyInstanceUid, seriesInstanceUid, sopInstanceUid } = image;
  if (!studyInstanceUid || !seriesInstanceUid || !sopInstanceUid)
    throw new InstanceError("a stored instance needs Study, Series and SOP Instance UIDs");
  return { studyInstanceUid, seriesInstanceUid, sopInstanceUid, attributes: toDicomJson(image.dict, { binary: "omit" }) };
}
