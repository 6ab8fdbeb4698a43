// Both sources describe an instance as a DICOM JSON-shaped record (PS3.18 F.2: tag -> {vr,
// Value}), which is also the shape of dcmjs's raw dictionary; one builder turns records into the
// study/series/instance tree.
import { numberValue, stringValue } from "../../imaging/index.ts";
import type { SourceInstance, SourceSeries, SourceStudy } from "./types.ts";

export type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

export const ATTR = {
  StudyDate: "00080020",
  SeriesDate: "00080021",
  ContentDate: "00080023",
  Modality: "00080060",
  SOPClassUID: "00080016",
  SOPInstanceUID: "00080018",
  BodyPartExamined: "00180015",
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  InstanceNumber: "00200013",
  Rows: "00280010",
  Columns: "00280011",
} as const;

export interface InstanceRecord {
  attrs: DicomJson;
  labels: string[];
}

function instanceOf(r: InstanceRecord): SourceInstance | undefined {
  const studyInstanceUid = stringValue(r.attrs, ATTR.StudyInstanceUID);
  const seriesInstanceUid = stringValue(r.attrs, ATTR.SeriesInstanceUID);
  const sopInstanceUid = stringValue(r.attrs, ATTR.SOPInstanceUID);
  if (!studyInstanceUid || !seriesInstanceUid || !sopInstanceUid) return undefined;
  const inst: SourceInstance = {
    studyInstanceUid,
    seriesInstanceUid,
    sopInstanceUid,
    rows: numberValue(r.attrs, ATTR.Rows) ?? 0,
    columns: numberValue(r.attrs, ATTR.Columns) ?? 0,
    labels: r.labels,
  };
  const sopClassUid = stringValue(r.attrs, ATTR.SOPClassUID);
  if (sopClassUid) inst.sopClassUid = sopClassUid;
  const n = numberValue(r.attrs, ATTR.InstanceNumber);
  if (n !== undefined) inst.instanceNumber = n;
  return inst;
}

function dateOf(attrs: DicomJson): string | undefined {
  for (const tag of [ATTR.StudyDate, ATTR.SeriesDate, ATTR.ContentDate]) {
    const v = stringValue(attrs, tag);
    if (v && /^\d{8}$/.test(v)) return v;
  }
  return undefined;
}

const byInstanceOrder = (a: SourceInstance, b: SourceInstance) =>
  (a.instanceNumber ?? Number.MAX_SAFE_INTEGER) - (b.instanceNumber ?? Number.MAX_SAFE_INTEGER) ||
  a.sopInstanceUid.localeCompare(b.sopInstanceUid);

/** Groups records into studies; records without the three UIDs are skipped. */
export function buildStudies(records: InstanceRecord[]): SourceStudy[] {
  const studies = new Map<string, SourceStudy & { seriesMap: Map<string, SourceSeries> }>();
  for (const r of records) {
    const inst = instanceOf(r);
    if (!inst) continue;
    let study = studies.get(inst.studyInstanceUid);
    if (!study) {
      study = { studyInstanceUid: inst.studyInstanceUid, labels: [], series: [], seriesMap: new Map() };
      studies.set(inst.studyInstanceUid, study);
    }
    const date = dateOf(r.attrs);
    if (date && (!study.studyDate || date < study.studyDate)) study.studyDate = date;
    let series = study.seriesMap.get(inst.seriesInstanceUid);
    if (!series) {
      series = {
        seriesInstanceUid: inst.seriesInstanceUid,
        modality: stringValue(r.attrs, ATTR.Modality) ?? "OT",
        bodyPart: stringValue(r.attrs, ATTR.BodyPartExamined) ?? "",
        instances: [],
      };
      study.seriesMap.set(inst.seriesInstanceUid, series);
    }
    if (!series.instances.some((i) => i.sopInstanceUid === inst.sopInstanceUid)) {
      series.instances.push(inst);
    }
  }
  return [...studies.values()]
    .sort((a, b) => a.studyInstanceUid.localeCompare(b.studyInstanceUid))
    .map(({ seriesMap, ...study }) => {
      const series = [...seriesMap.values()].sort((a, b) =>
        a.seriesInstanceUid.localeCompare(b.seriesInstanceUid),
      );
      for (const s of series) s.instances.sort(byInstanceOrder);
      const labels = new Set(series.flatMap((s) => s.instances.flatMap((i) => i.labels)));
      return { ...study, series, labels: [...labels].sort() };
    });
}
