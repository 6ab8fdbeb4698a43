// Lists a grant's instances through QIDO-RS / WADO-RS metadata (DICOM PS3.18 §10.6, §10.4) and
// turns them into cornerstone `wadors:` image ids, registering each instance's metadata with the
// loader so it need not ask again.
import { api } from "./api.ts";
import { initCornerstone, wadors } from "./cornerstone.ts";

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

const STUDY_UID = "0020000D";
const SERIES_UID = "0020000E";
const SOP_UID = "00080018";
const INSTANCE_NUMBER = "00200013";
const NUMBER_OF_FRAMES = "00280008";

const first = (item: DicomJson, tag: string): unknown => item[tag]?.Value?.[0];

export interface GrantImage {
  imageId: string;
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  frame: number;
}

export function grantBase(grantId: string): string {
  return `${location.origin}/dicomweb/grants/${encodeURIComponent(grantId)}`;
}

export async function loadGrantImages(grantId: string): Promise<GrantImage[]> {
  // The loader's initialisation empties its metadata store: it must come before we fill it.
  await initCornerstone();
  const base = grantBase(grantId);
  const studies = await api<DicomJson[]>(`${base}/studies`);
  const images: GrantImage[] = [];
  for (const study of studies) {
    const studyUid = String(first(study, STUDY_UID));
    const seriesList = await api<DicomJson[]>(`${base}/studies/${studyUid}/series`);
    for (const series of seriesList) {
      const seriesUid = String(first(series, SERIES_UID));
      const instances = await api<DicomJson[]>(`${base}/studies/${studyUid}/series/${seriesUid}/metadata`);
      instances.sort((a, b) => Number(first(a, INSTANCE_NUMBER) ?? 0) - Number(first(b, INSTANCE_NUMBER) ?? 0));
      for (const meta of instances) {
        const sopInstanceUid = String(first(meta, SOP_UID));
        const frames = Number(first(meta, NUMBER_OF_FRAMES) ?? 1) || 1;
        for (let frame = 1; frame <= frames; frame++) {
          const imageId = `wadors:${base}/studies/${studyUid}/series/${seriesUid}/instances/${sopInstanceUid}/frames/${frame}`;
          wadors.metaDataManager.add(imageId, meta as never);
          images.push({ imageId, studyUid, seriesUid, sopInstanceUid, frame });
        }
      }
    }
  }
  return images;
}
