// The part of dcmjs's API that src/imaging uses (dcmjs ships no type declarations).
declare module "dcmjs" {
  export interface DcmjsElement {
    vr: string;
    Value?: unknown[];
    _rawValue?: unknown;
  }
  export type DcmjsDataset = Record<string, DcmjsElement>;
  export interface DcmjsDicomDict {
    meta: DcmjsDataset;
    dict: DcmjsDataset;
    write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
  }
  export interface DcmjsReadOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }
  interface Logger {
    setLevel(level: "trace" | "debug" | "info" | "warn" | "error" | "silent"): void;
    getLogger(name: string): Logger;
  }
  const dcmjs: {
    data: {
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: DcmjsReadOptions): DcmjsDicomDict;
      };
      DicomDict: new (meta: DcmjsDataset) => DcmjsDicomDict;
      DicomMetaDictionary: {
        dictionary: Record<string, { tag: string; vr: string; name: string } | undefined>;
      };
    };
    log: Logger;
  };
  export default dcmjs;
}
