// Labels of a source's images: a labels.csv (`key,labels`; key = a Study, Series or SOP Instance
// UID, or a file path relative to the folder; labels separated by ";") and/or one DICOM attribute
// whose value is the label (e.g. 0008103E Series Description). Labels are the hospital's own
// vocabulary; they reach the catalogue, so they must not identify anyone (the admin's choice).
import { readFileSync } from "node:fs";
import { parseCsvRows } from "../../util/csv.ts";
import { EdgeError } from "../errors.ts";

/** Catalogue labels are short terms (the server accepts at most 64 characters). */
export const MAX_LABEL_LENGTH = 64;

export interface LabelRules {
  /** key -> labels, from labels.csv. */
  byKey: Map<string, string[]>;
  /** Tag "GGGGEEEE" whose value is a label. */
  attribute?: string;
}

export function parseLabelsCsv(text: string, where = "labels.csv"): Map<string, string[]> {
  const lines = parseCsvRows(text)
    .filter((r) => !(r[0] ?? "").startsWith("#"))
    .map((r) => r.map((f) => f.trim()));
  const header = (lines[0] ?? []).map((h) => h.toLowerCase());
  // "key,labels" is ours; "file,label[,split]" is the federated-learning folder format
  // (federated-learning.md §4.1), so one labels.csv serves both.
  const keyCol = header.findIndex((h) => h === "key" || h === "file" || h === "uid");
  const labelCol = header.findIndex((h) => h === "labels" || h === "label");
  if (keyCol < 0 || labelCol < 0) {
    throw new EdgeError("LABELS_CSV", `${where}: the first line must name a key column (key, file or uid) and a labels column`);
  }
  const byKey = new Map<string, string[]>();
  for (const [i, fields] of lines.slice(1).entries()) {
    const key = fields[keyCol];
    const labels = fields[labelCol];
    if (!key || labels === undefined) {
      throw new EdgeError("LABELS_CSV", `${where}: row ${i + 2} needs a key and labels`);
    }
    const list = labels.split(";").map((l) => l.trim()).filter((l) => l !== "");
    const long = list.find((l) => l.length > MAX_LABEL_LENGTH);
    if (long !== undefined) {
      throw new EdgeError("LABELS_CSV", `${where}: row ${i + 2}: label "${long.slice(0, 20)}…" is longer than ${MAX_LABEL_LENGTH} characters`);
    }
    byKey.set(key, [...new Set([...(byKey.get(key) ?? []), ...list])]);
  }
  return byKey;
}

export function readLabelsCsv(path: string): Map<string, string[]> {
  return parseLabelsCsv(readFileSync(path, "utf8"), path);
}

export function checkLabelAttribute(tag: string | undefined): string | undefined {
  if (tag === undefined) return undefined;
  const t = tag.replace(/[(),]/g, "").toUpperCase();
  if (!/^[0-9A-F]{8}$/.test(t)) {
    throw new EdgeError("SOURCE_SPEC", `label attribute ${tag} is not a tag such as 0008103E`);
  }
  return t;
}

/** The labels of one instance: every CSV key it answers to, then the attribute's value. */
export function labelsOf(rules: LabelRules, keys: string[], attributeValue?: string): string[] {
  const out = new Set<string>();
  for (const k of keys) for (const l of rules.byKey.get(k) ?? []) out.add(l);
  if (attributeValue !== undefined && attributeValue !== "") out.add(attributeValue.slice(0, MAX_LABEL_LENGTH));
  return [...out].sort();
}
