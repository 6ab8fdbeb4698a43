// Data sources of the edge node, chosen by a spec string: "folder:PATH" (default when the spec has
// no scheme) or "orthanc:URL" (a DICOMweb root such as http://127.0.0.1:8042/dicom-web).
import { EdgeError } from "../errors.ts";
import { FolderSource } from "./folder.ts";
import { OrthancSource } from "./orthanc.ts";
import type { DataSource } from "./types.ts";

export { FolderSource, type FolderSourceOptions, LABELS_FILE } from "./folder.ts";
export { parseLabelsCsv } from "./labels.ts";
export { boundaryOf, parseMultipart } from "./multipart.ts";
export { OrthancSource, type OrthancSourceOptions } from "./orthanc.ts";
export type { DataSource, InstanceRef, SourceInstance, SourceSeries, SourceStudy } from "./types.ts";

export interface SourceOptions {
  labelsCsv?: string;
  labelAttribute?: string;
}

export function openSource(spec: string, opts: SourceOptions = {}): DataSource {
  const m = /^(folder|orthanc):(.+)$/.exec(spec);
  if (m?.[1] === "orthanc") return new OrthancSource(m[2], opts);
  if (m?.[1] === "folder") return new FolderSource(m[2], opts);
  if (/^[a-z]+:\/\//i.test(spec) || /^[a-z]{2,}:/i.test(spec)) {
    throw new EdgeError("SOURCE_SPEC", `unknown source "${spec}": use folder:PATH or orthanc:URL`);
  }
  return new FolderSource(spec, opts);
}
