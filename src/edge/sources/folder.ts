// A folder of DICOM Part 10 files (the default source). Files are parsed once and re-parsed only
// when their size or modification time changes; files that are not DICOM, or broken, are skipped
// and listed in `skipped` so the admin can see them.
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { readDicom, sniffFormat, stringValue } from "../../imaging/index.ts";
import { EdgeError } from "../errors.ts";
import { checkLabelAttribute, type LabelRules, labelsOf, readLabelsCsv } from "./labels.ts";
import { ATTR, buildStudies, type DicomJson, type InstanceRecord } from "./records.ts";
import type { DataSource, InstanceRef, SourceStudy } from "./types.ts";

export const LABELS_FILE = "labels.csv";

export interface FolderSourceOptions {
  /** labels.csv to use; default <root>/labels.csv when it exists. */
  labelsCsv?: string;
  /** Tag whose value is a label (e.g. "0008103E"). */
  labelAttribute?: string;
}

interface Cached {
  mtimeMs: number;
  size: number;
  attrs?: DicomJson;
}

const KEPT_ATTRS = Object.values(ATTR);

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return listFiles(p);
    return d.isFile() ? [p] : [];
  });
}

export class FolderSource implements DataSource {
  readonly kind = "folder" as const;
  readonly description: string;
  readonly skipped = new Map<string, string>();
  private readonly cache = new Map<string, Cached>();
  private readonly paths = new Map<string, string>();
  private readonly labelRules: LabelRules;

  constructor(
    private readonly root: string,
    opts: FolderSourceOptions = {},
  ) {
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      throw new EdgeError("SOURCE_SPEC", `folder source ${root} is not a directory`);
    }
    this.description = `folder:${root}`;
    const csv = opts.labelsCsv ?? join(root, LABELS_FILE);
    const byKey = opts.labelsCsv !== undefined || existsSync(csv) ? readLabelsCsv(csv) : new Map();
    this.labelRules = { byKey };
    const attribute = checkLabelAttribute(opts.labelAttribute);
    if (attribute) this.labelRules.attribute = attribute;
  }

  private async header(path: string): Promise<DicomJson | undefined> {
    const st = statSync(path);
    const hit = this.cache.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.attrs;
    const entry: Cached = { mtimeMs: st.mtimeMs, size: st.size };
    this.cache.set(path, entry);
    const bytes = new Uint8Array(await readFile(path));
    if (sniffFormat(bytes) !== "dicom") return undefined;
    try {
      const { dict } = readDicom(bytes);
      const keep = this.labelRules.attribute ? [...KEPT_ATTRS, this.labelRules.attribute] : KEPT_ATTRS;
      entry.attrs = Object.fromEntries(keep.filter((t) => t in dict).map((t) => [t, dict[t]]));
      this.skipped.delete(path);
    } catch (err) {
      this.skipped.set(path, (err as Error).message);
    }
    return entry.attrs;
  }

  async listStudies(): Promise<SourceStudy[]> {
    const records: InstanceRecord[] = [];
    this.paths.clear();
    for (const path of listFiles(this.root).sort()) {
      if (path.endsWith(`${sep}${LABELS_FILE}`)) continue;
      const attrs = await this.header(path);
      const sop = attrs && stringValue(attrs, ATTR.SOPInstanceUID);
      if (!attrs || !sop) continue;
      this.paths.set(sop, path);
      const keys = [
        stringValue(attrs, ATTR.StudyInstanceUID) ?? "",
        stringValue(attrs, ATTR.SeriesInstanceUID) ?? "",
        sop,
        relative(this.root, path).split(sep).join("/"),
      ];
      const attribute = this.labelRules.attribute
        ? stringValue(attrs, this.labelRules.attribute)
        : undefined;
      records.push({ attrs, labels: labelsOf(this.labelRules, keys, attribute) });
    }
    return buildStudies(records);
  }

  async readInstance(ref: InstanceRef): Promise<Uint8Array> {
    if (!this.paths.has(ref.sopInstanceUid)) await this.listStudies();
    const path = this.paths.get(ref.sopInstanceUid);
    const attrs = path ? this.cache.get(path)?.attrs : undefined;
    if (
      !path ||
      !attrs ||
      stringValue(attrs, ATTR.StudyInstanceUID) !== ref.studyInstanceUid ||
      stringValue(attrs, ATTR.SeriesInstanceUID) !== ref.seriesInstanceUid
    ) {
      throw new EdgeError("SOURCE_NOT_FOUND", "no such instance in the folder");
    }
    return new Uint8Array(await readFile(path));
  }

  async close(): Promise<void> {}
}
