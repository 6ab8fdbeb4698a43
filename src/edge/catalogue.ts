// The de-identified catalogue a node publishes (contract: CatalogueEntry): one entry per study and
// (modality, body part), with the study date coarsened to its month and the study named by a
// keyed hash, so the server can ask for a study again without ever learning its UID.
import { createHmac } from "node:crypto";
import type { SourceSeries, SourceStudy } from "./sources/index.ts";

export interface CatalogueEntry {
  nodeId: string;
  studyKey: string;
  modality: string;
  bodyPart: string;
  /** "YYYY-MM", or "" when the source has no date. */
  studyMonth: string;
  labels: string[];
  seriesCount: number;
  instanceCount: number;
  rows: number;
  columns: number;
}

/** "sk:" + 128 bits of HMAC-SHA256(catalogue key, Study Instance UID), hex. */
export function studyKey(key: Uint8Array, studyInstanceUid: string): string {
  const mac = createHmac("sha256", key)
    .update("medtrace/v1/edge/study-key")
    .update(Uint8Array.of(0))
    .update(studyInstanceUid, "utf8")
    .digest();
  return `sk:${mac.subarray(0, 16).toString("hex")}`;
}

export function studyMonth(da: string | undefined): string {
  const m = da ? /^(\d{4})(0[1-9]|1[0-2])/.exec(da) : null;
  return m ? `${m[1]}-${m[2]}` : "";
}

/** The series of a study grouped as the catalogue lists them, in a stable order. */
export function seriesGroups(study: SourceStudy): { modality: string; bodyPart: string; series: SourceSeries[] }[] {
  const groups = new Map<string, { modality: string; bodyPart: string; series: SourceSeries[] }>();
  for (const s of study.series) {
    const modality = s.modality.toUpperCase();
    const bodyPart = s.bodyPart.toUpperCase();
    const k = `${modality}\0${bodyPart}`;
    const g = groups.get(k) ?? { modality, bodyPart, series: [] };
    g.series.push(s);
    groups.set(k, g);
  }
  return [...groups.values()];
}

function commonSize(series: SourceSeries[]): { rows: number; columns: number } {
  const counts = new Map<string, number>();
  for (const i of series.flatMap((s) => s.instances)) {
    const k = `${i.rows}x${i.columns}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const [best] = [...counts].sort((a, b) => b[1] - a[1]);
  const [rows, columns] = (best?.[0] ?? "0x0").split("x").map(Number);
  return { rows, columns };
}

export function buildCatalogue(nodeId: string, key: Uint8Array, studies: SourceStudy[]): CatalogueEntry[] {
  return studies.flatMap((study) =>
    seriesGroups(study).map((g) => {
      const instances = g.series.flatMap((s) => s.instances);
      return {
        nodeId,
        studyKey: studyKey(key, study.studyInstanceUid),
        modality: g.modality,
        bodyPart: g.bodyPart,
        studyMonth: studyMonth(study.studyDate),
        labels: [...new Set(instances.flatMap((i) => i.labels))].sort(),
        seriesCount: g.series.length,
        instanceCount: instances.length,
        ...commonSize(g.series),
      };
    }),
  );
}
