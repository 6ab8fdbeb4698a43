// Errors of the tracing composition (issue a traceable copy, trace a suspect file).
export type TracingErrorCode =
  /** The input is not a DICOM or PNG image this module can issue or trace. */
  | "TRACE_UNSUPPORTED_FORMAT"
  /** No fresh token after several draws: the token index or the random source is broken. */
  | "TRACE_TOKEN_EXHAUSTED"
  /** A field of the request (ids) is not what the ledger schema accepts. */
  | "TRACE_BAD_ARGUMENT";

export class TracingError extends Error {
  readonly code: TracingErrorCode;
  constructor(code: TracingErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "TracingError";
    this.code = code;
  }
}
