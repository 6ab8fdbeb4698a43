// One error class for the zero-watermark, codes as listed in zero-watermark.md §15.
export type ZwErrorCode =
  | "ZW_PARAM_DOMAIN"
  | "ZW_DEGENERATE_SPECTRUM"
  | "ZW_KERNEL_INVALID"
  | "ZW_IMAGE_TOO_SMALL"
  | "ZW_NO_STRUCTURE"
  | "ZW_PARAMS_MISMATCH"
  | "ZW_KEY_UNAVAILABLE"
  | "ZW_SHARE_INVALID";

export class ZeroWatermarkError extends Error {
  readonly code: ZwErrorCode;
  constructor(code: ZwErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "ZeroWatermarkError";
    this.code = code;
  }
}
