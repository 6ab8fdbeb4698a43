// Orthanc (or any PACS) over DICOMweb: QIDO-RS to find studies, series and instances (PS3.18
// §10.6), WADO-RS to retrieve an instance as application/dicom in its stored transfer syntax
// (§10.4). Credentials in the URL (https://user:pass@host/dicom-web) become a Basic header and
// never appear in `description`.
import { stringValue } from "../../imaging/index.ts";
import { EdgeError } from "../errors.ts";
import { checkLabelAttribute, type LabelRules, labelsOf, readLabelsCsv } from "./labels.ts";
import { boundaryOf, parseMultipart } from "./multipart.ts";
import { ATTR, buildStudies, type DicomJson, type InstanceRecord } from "./records.ts";
import type { DataSource, InstanceRef, SourceStudy } from "./types.ts";

export interface OrthancSourceOptions {
  labelsCsv?: string;
  labelAttribute?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
}

const PAGE = 500;

export class OrthancSource implements DataSource {
  readonly kind = "orthanc" as const;
  readonly description: string;
  private readonly root: string;
  private readonly headers: Record<string, string> = {};
  private readonly labelRules: LabelRules;
  private readonly timeoutMs: number;

  constructor(url: string, opts: OrthancSourceOptions = {}) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new EdgeError("SOURCE_SPEC", `orthanc source needs a DICOMweb URL, got "${url}"`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw new EdgeError("SOURCE_SPEC", `orthanc source URL must be http(s), got ${u.protocol}`);
    }
    if (u.username !== "") {
      const user = decodeURIComponent(u.username);
      const pass = decodeURIComponent(u.password);
      this.headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
      u.username = "";
      u.password = "";
    }
    this.root = u.toString().replace(/\/+$/, "");
    this.description = `orthanc:${this.root}`;
    this.labelRules = { byKey: opts.labelsCsv ? readLabelsCsv(opts.labelsCsv) : new Map() };
    const attribute = checkLabelAttribute(opts.labelAttribute);
    if (attribute) this.labelRules.attribute = attribute;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async get(path: string, accept: string): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.root}${path}`, {
        headers: { ...this.headers, accept },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new EdgeError("SOURCE_UNAVAILABLE", `${this.description}${path}: ${(err as Error).message}`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw new EdgeError("SOURCE_NOT_FOUND", `${this.description}${path}: not found`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new EdgeError("SOURCE_UNAVAILABLE", `${this.description}${path}: HTTP ${res.status}`);
    }
    return res;
  }

  /** Every page of a QIDO-RS search (an empty result may come as 204 No Content). */
  private async qido(path: string, fields: string[]): Promise<DicomJson[]> {
    const out: DicomJson[] = [];
    const include = fields.map((f) => `&includefield=${f}`).join("");
    for (let offset = 0; ; offset += PAGE) {
      const res = await this.get(`${path}?limit=${PAGE}&offset=${offset}${include}`, "application/dicom+json");
      const text = res.status === 204 ? "[]" : await res.text();
      let page: unknown;
      try {
        page = JSON.parse(text === "" ? "[]" : text);
      } catch {
        throw new EdgeError("SOURCE_BAD_RESPONSE", `${this.description}${path}: not DICOM JSON`);
      }
      if (!Array.isArray(page)) {
        throw new EdgeError("SOURCE_BAD_RESPONSE", `${this.description}${path}: not a JSON array`);
      }
      out.push(...(page as DicomJson[]));
      if (page.length < PAGE) return out;
    }
  }

  async listStudies(): Promise<SourceStudy[]> {
    const extra = this.labelRules.attribute ? [this.labelRules.attribute] : [];
    const records: InstanceRecord[] = [];
    for (const study of await this.qido("/studies", [ATTR.StudyDate])) {
      const s = stringValue(study, ATTR.StudyInstanceUID);
      if (!s) continue;
      const seriesList = await this.qido(`/studies/${s}/series`, [ATTR.BodyPartExamined, ATTR.SeriesDate, ...extra]);
      for (const series of seriesList) {
        const se = stringValue(series, ATTR.SeriesInstanceUID);
        if (!se) continue;
        const instances = await this.qido(`/studies/${s}/series/${se}/instances`, [
          ATTR.Rows,
          ATTR.Columns,
          ATTR.ContentDate,
          ...extra,
        ]);
        for (const inst of instances) {
          const attrs = { ...study, ...series, ...inst };
          const keys = [s, se, stringValue(inst, ATTR.SOPInstanceUID) ?? ""];
          const attribute = this.labelRules.attribute ? stringValue(attrs, this.labelRules.attribute) : undefined;
          records.push({ attrs, labels: labelsOf(this.labelRules, keys, attribute) });
        }
      }
    }
    return buildStudies(records);
  }

  async readInstance(ref: InstanceRef): Promise<Uint8Array> {
    const path = `/studies/${encodeURIComponent(ref.studyInstanceUid)}/series/${encodeURIComponent(ref.seriesInstanceUid)}/instances/${encodeURIComponent(ref.sopInstanceUid)}`;
    const res = await this.get(path, 'multipart/related; type="application/dicom"; transfer-syntax=*');
    const parts = parseMultipart(new Uint8Array(await res.arrayBuffer()), boundaryOf(res.headers.get("content-type") ?? ""));
    if (parts.length !== 1) {
      throw new EdgeError("SOURCE_BAD_RESPONSE", `${this.description}: ${parts.length} parts for one instance`);
    }
    return parts[0].body;
  }

  async close(): Promise<void> {}
}
