// Error codes of reversible-watermark.md §13. The server maps them to HTTP 422 unless noted.
export type WatermarkErrorCode =
  | "WM_UNSUPPORTED_PHOTOMETRIC"
  | "WM_UNSUPPORTED_BITS"
  | "WM_VALUE_OUT_OF_RANGE"
  | "WM_PADDING_AMBIGUOUS"
  | "WM_LOSSY_SOURCE"
  | "WM_TOO_SMALL"
  | "WM_CAPACITY"
  | "WM_ALREADY_MARKED"
  | "WM_KEY_UNAVAILABLE"
  | "WM_SELF_CHECK_FAILED"
  | "WM_BAD_ARGUMENT";

export class WatermarkError extends Error {
  readonly code: WatermarkErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: WatermarkErrorCode, message: string, details?: Record<string, unknown>) {
    super(`${code}: ${message}`);
    this.name = "WatermarkError";
    this.code = code;
    if (details) this.details = details;
  }
}
