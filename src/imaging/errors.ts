// Errors of the imaging module. Codes WM_* are the strings of reversible-watermark.md §13, shared
// with WatermarkError so the server maps both the same way; IMG_* are this module's own.

export type ImagingErrorCode =
  | "IMG_PARSE"
  | "IMG_UNSUPPORTED"
  | "IMG_DEID_REFUSED"
  | "WM_LOSSY_SOURCE"
  | "WM_UNSUPPORTED_PHOTOMETRIC"
  | "WM_UNSUPPORTED_BITS";

export class ImagingError extends Error {
  readonly code: ImagingErrorCode;
  /** Byte offset reached when a parse failed, when known. */
  readonly offset?: number;
  constructor(code: ImagingErrorCode, message: string, offset?: number) {
    super(`${code}: ${message}`);
    this.name = "ImagingError";
    this.code = code;
    if (offset !== undefined) this.offset = offset;
  }
}

export function parseError(message: string, offset?: number): ImagingError {
  const where = offset === undefined ? "" : ` (at byte offset ${offset})`;
  return new ImagingError("IMG_PARSE", `${message}${where}`, offset);
}
