// QIDO-RS search over the instances of one grant (PS3.18 §10.6): matching on any attribute by
// keyword or tag, UID lists, wildcards, date/time ranges, ModalitiesInStudy; includefield, limit,
// offset. The attributes returned by default are those of PS3.18 Tables 10.6.3-3, -4 and -5;
// the ones 3D Slicer's DICOMweb browser and OHIF's study list read are all among them.
import { attribute } from "./keywords.ts";
import { type DicomJson, type DicomJsonAttribute, firstString } from "./json.ts";

export type Level = "study" | "series" | "instance";

/** What the grant store keeps per instance for searching: its non-binary attributes. */
export interface InstanceSummary {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  attributes: DicomJson;
}

export class QidoError extends Error {
  readonly code = "DICOMWEB_BAD_QUERY";
  constructor(message: string) {
    super(message);
    this.name = "QidoError";
  }
}

const T = {
  SpecificCharacterSet: "00080005",
  StudyDate: "00080020",
  StudyTime: "00080030",
  AccessionNumber: "00080050",
  ModalitiesInStudy: "00080061",
  ReferringPhysicianName: "00080090",
  RetrieveURL: "00081190",
  SOPClassUID: "00080016",
  SOPInstanceUID: "00080018",
  Modality: "00080060",
  StudyDescription: "00081030",
  SeriesDescription: "0008103E",
  PatientName: "00100010",
  PatientID: "00100020",
  PatientBirthDate: "00100030",
  PatientSex: "00100040",
  BodyPartExamined: "00180015",
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  StudyID: "00200010",
  SeriesNumber: "00200011",
  InstanceNumber: "00200013",
  NumberOfStudyRelatedSeries: "00201206",
  NumberOfStudyRelatedInstances: "00201208",
  NumberOfSeriesRelatedInstances: "00201209",
  Rows: "00280010",
  Columns: "00280011",
  BitsAllocated: "00280100",
  NumberOfFrames: "00280008",
  PerformedProcedureStepStartDate: "00400244",
  PerformedProcedureStepStartTime: "00400245",
} as const;

const DEFAULT_FIELDS: Record<Level, string[]> = {
  study: [
    T.SpecificCharacterSet, T.StudyDate, T.StudyTime, T.AccessionNumber, T.ModalitiesInStudy,
    T.ReferringPhysicianName, T.RetrieveURL, T.StudyDescription, T.PatientName, T.PatientID,
    T.PatientBirthDate, T.PatientSex, T.StudyInstanceUID, T.StudyID,
    T.NumberOfStudyRelatedSeries, T.NumberOfStudyRelatedInstances,
  ],
  series: [
    T.SpecificCharacterSet, T.Modality, T.RetrieveURL, T.SeriesDescription, T.BodyPartExamined,
    T.StudyInstanceUID, T.SeriesInstanceUID, T.SeriesNumber, T.NumberOfSeriesRelatedInstances,
    T.PerformedProcedureStepStartDate, T.PerformedProcedureStepStartTime,
  ],
  instance: [
    T.SpecificCharacterSet, T.SOPClassUID, T.SOPInstanceUID, T.RetrieveURL, T.StudyInstanceUID,
    T.SeriesInstanceUID, T.InstanceNumber, T.Rows, T.Columns, T.BitsAllocated, T.NumberOfFrames,
  ],
};

/** Query parameters that are not attribute matches (PS3.18 Table 8.3.4-1). */
const CONTROL = new Set(["includefield", "limit", "offset", "fuzzymatching", "fuzzyMatching", "orderby"]);
const MAX_LIMIT = 10_000;

export interface ParsedQuery {
  matches: { tag: string; vr: string; values: string[] }[];
  include: Set<string> | "all";
  limit: number;
  offset: number;
}

type Raw = Record<string, string | string[] | undefined>;

export function parseQuery(raw: Raw): ParsedQuery {
  const matches: ParsedQuery["matches"] = [];
  let include: ParsedQuery["include"] = new Set();
  for (const [key, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    if (key === "includefield") {
      for (const name of values.flatMap((x) => x.split(","))) {
        if (name === "all") include = "all";
        else if (include !== "all") include.add(known(name.trim()).tag);
      }
      continue;
    }
    if (CONTROL.has(key)) continue;
    if (key.includes(".")) throw new QidoError(`${key}: sequence matching is not supported`);
    const a = known(key);
    const value = values[values.length - 1] ?? "";
    if (value === "") continue; // universal matching
    matches.push({ tag: a.tag, vr: a.vr, values: splitValues(a.vr, value) });
  }
  return { matches, include, limit: count(raw.limit, "limit", MAX_LIMIT), offset: count(raw.offset, "offset", Number.MAX_SAFE_INTEGER) };
}

function known(name: string) {
  const a = attribute(name);
  if (!a) throw new QidoError(`${name} is neither a DICOM keyword nor a tag`);
  return a;
}

function count(v: string | string[] | undefined, name: string, max: number): number {
  if (v === undefined) return name === "limit" ? max : 0;
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  if (s === undefined || !/^\d{1,15}$/.test(s)) throw new QidoError(`${name} must be a non-negative integer`);
  return Math.min(Number(s), max);
}

/** UID lists are comma- or backslash-separated (PS3.18 §8.3.4.1); other values are one value. */
function splitValues(vr: string, value: string): string[] {
  return vr === "UI" || vr === "CS" ? value.split(/[,\\]/).map((s) => s.trim()).filter(Boolean) : [value];
}

function stringsOf(a: DicomJsonAttribute | undefined): string[] {
  return (a?.Value ?? []).map((v) =>
    v !== null && typeof v === "object" ? ((v as { Alphabetic?: string }).Alphabetic ?? "") : v === null ? "" : String(v),
  );
}

function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, caseInsensitive ? "i" : "");
}

/** One value against one query value (PS3.4 §C.2.2.2). */
function valueMatches(vr: string, have: string, want: string): boolean {
  if ((vr === "DA" || vr === "TM" || vr === "DT") && want.includes("-")) {
    const [lo, hi] = want.split("-", 2) as [string, string];
    const h = have.replace(/[^0-9.]/g, "");
    return (lo === "" || h >= lo) && (hi === "" || h.slice(0, hi.length) <= hi);
  }
  if (vr === "IS" || vr === "DS" || vr === "US" || vr === "UL" || vr === "SS" || vr === "SL") return Number(have) === Number(want);
  if (vr !== "UI" && /[*?]/.test(want)) return wildcard(want, vr === "PN").test(have);
  return vr === "PN" ? have.toLowerCase() === want.toLowerCase() : have === want;
}

function matches(record: DicomJson, q: ParsedQuery): boolean {
  return q.matches.every((m) => {
    const have = stringsOf(record[m.tag]);
    return have.some((h) => m.values.some((w) => valueMatches(m.vr, h, w)));
  });
}

export interface SearchOptions {
  /** RetrieveURL (0008,1190) of a result. */
  retrieveUrl(level: Level, record: InstanceSummary): string;
}

/** Records of `level` built from the instances, matched, paged and rendered. */
export function search(level: Level, instances: InstanceSummary[], raw: Raw, opts: SearchOptions): DicomJson[] {
  const q = parseQuery(raw);
  const records = recordsOf(level, instances);
  return records
    .filter((r) => matches(r.json, q))
    .slice(q.offset, q.offset + q.limit)
    .map((r) => render(level, r, q, opts));
}

interface LevelRecord {
  first: InstanceSummary;
  json: DicomJson;
}

function recordsOf(level: Level, instances: InstanceSummary[]): LevelRecord[] {
  if (level === "instance") return instances.map((i) => ({ first: i, json: i.attributes }));
  const key = (i: InstanceSummary) => (level === "study" ? i.studyInstanceUid : i.seriesInstanceUid);
  const groups = new Map<string, InstanceSummary[]>();
  for (const i of instances) groups.set(key(i), [...(groups.get(key(i)) ?? []), i]);
  return [...groups.values()].map((members) => {
    const first = members[0]!;
    const json: DicomJson = { ...first.attributes };
    if (level === "series") {
      json[T.NumberOfSeriesRelatedInstances] = { vr: "IS", Value: [members.length] };
    } else {
      const modalities = [...new Set(members.map((m) => firstString(m.attributes, T.Modality)).filter((m): m is string => !!m))].sort();
      if (modalities.length > 0) json[T.ModalitiesInStudy] = { vr: "CS", Value: modalities };
      json[T.NumberOfStudyRelatedSeries] = { vr: "IS", Value: [new Set(members.map((m) => m.seriesInstanceUid)).size] };
      json[T.NumberOfStudyRelatedInstances] = { vr: "IS", Value: [members.length] };
    }
    return { first, json };
  });
}

function render(level: Level, r: LevelRecord, q: ParsedQuery, opts: SearchOptions): DicomJson {
  const out: DicomJson = {};
  const wanted = q.include === "all" ? Object.keys(r.json) : [...DEFAULT_FIELDS[level], ...q.include, ...q.matches.map((m) => m.tag)];
  for (const tag of wanted) {
    const a = r.json[tag];
    if (a) out[tag] = a;
  }
  out[T.RetrieveURL] = { vr: "UR", Value: [opts.retrieveUrl(level, r.first)] };
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}
