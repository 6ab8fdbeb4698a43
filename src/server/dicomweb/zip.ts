// The zip download of a grant: every DICOM file, plus one NRRD per series that forms a volume
// (src/imaging seriesToNrrd: geometry-ordered slices, LPS, modality units) so that 3D Slicer opens
// it directly. A series that is not a volume (one slice, gaps, mixed grids) is listed in README.txt
// with the reason instead.
import { type Zippable, zipSync } from "fflate";
import { ImagingError, seriesToNrrd } from "../../imaging/index.ts";

export interface ZipInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  bytes: Uint8Array;
}

export interface GrantZip {
  bytes: Uint8Array;
  /** Series written as NRRD, and series skipped with the reason. */
  volumes: string[];
  skipped: { seriesInstanceUid: string; reason: string }[];
}

export function grantZip(grant: { id: string; expiresAt: string }, instances: ZipInstance[]): GrantZip {
  const files: Zippable = {};
  const bySeries = new Map<string, ZipInstance[]>();
  for (const i of instances) {
    // DICOM files are already dense pixel data; storing them saves CPU for little size.
    files[`DICOM/${i.studyInstanceUid}/${i.seriesInstanceUid}/${i.sopInstanceUid}.dcm`] = [i.bytes, { level: 0 }];
    bySeries.set(i.seriesInstanceUid, [...(bySeries.get(i.seriesInstanceUid) ?? []), i]);
  }
  const volumes: string[] = [];
  const skipped: GrantZip["skipped"] = [];
  for (const [series, members] of bySeries) {
    if (members.length < 2) {
      skipped.push({ seriesInstanceUid: series, reason: "a single image, not a volume" });
      continue;
    }
    try {
      files[`NRRD/${series}.nrrd`] = [seriesToNrrd(members.map((m) => m.bytes)).bytes, { level: 6 }];
      volumes.push(series);
    } catch (err) {
      if (!(err instanceof ImagingError)) throw err;
      skipped.push({ seriesInstanceUid: series, reason: err.message });
    }
  }
  files["README.txt"] = new TextEncoder().encode(readme(grant, instances.length, volumes, skipped));
  return { bytes: zipSync(files), volumes, skipped };
}

function readme(grant: { id: string; expiresAt: string }, count: number, volumes: string[], skipped: GrantZip["skipped"]): string {
  const lines = [
    `medtrace grant ${grant.id}: ${count} DICOM instance(s), valid until ${grant.expiresAt}.`,
    "",
    "Every image is a traceable copy issued to you: it carries a reversible watermark and is",
    "recorded in the consortium's ledger. Do not share it outside the purpose of the request.",
    "",
    "DICOM/<study>/<series>/<instance>.dcm  the marked copies",
    "NRRD/<series>.nrrd                     one volume per series (LPS, modality units)",
    "",
    `Volumes: ${volumes.length}`,
  ];
  if (skipped.length > 0) {
    lines.push("", "Series without an NRRD volume:");
    for (const s of skipped) lines.push(`- ${s.seriesInstanceUid}: ${s.reason}`);
  }
  return `${lines.join("\n")}\n`;
}
