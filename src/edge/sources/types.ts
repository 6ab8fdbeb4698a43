// The one interface the edge node reads images through: a folder of DICOM files or a PACS over
// DICOMweb. It lists what the catalogue and the request matcher need and reads an instance's
// Part 10 bytes; everything it returns still carries identifiers, so nothing here leaves the node.

export interface InstanceRef {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

export interface SourceInstance extends InstanceRef {
  sopClassUid?: string;
  instanceNumber?: number;
  rows: number;
  columns: number;
  /** Labels of this instance from labels.csv or the label attribute. */
  labels: string[];
}

export interface SourceSeries {
  seriesInstanceUid: string;
  /** Modality (0008,0060), "OT" when absent. */
  modality: string;
  /** Body Part Examined (0018,0015), "" when absent. */
  bodyPart: string;
  /** Ordered by Instance Number, then SOP Instance UID. */
  instances: SourceInstance[];
}

export interface SourceStudy {
  studyInstanceUid: string;
  /** Study Date (0008,0020) as DA "YYYYMMDD", else the earliest series or content date. */
  studyDate?: string;
  /** Union of its instances' labels, sorted. */
  labels: string[];
  /** Ordered by Series Instance UID. */
  series: SourceSeries[];
}

export interface DataSource {
  readonly kind: "folder" | "orthanc";
  /** Where the images come from, for logs (no credentials). */
  readonly description: string;
  /** Every study with its series and instances, ordered by Study Instance UID. */
  listStudies(): Promise<SourceStudy[]>;
  /** The instance's DICOM Part 10 bytes. Throws SOURCE_NOT_FOUND for an unknown instance. */
  readInstance(ref: InstanceRef): Promise<Uint8Array>;
  close(): Promise<void>;
}
