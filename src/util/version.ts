import { readFileSync } from "node:fs";

/** medtrace's package version, written into derived DICOM (Software Versions) and reports. */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;
