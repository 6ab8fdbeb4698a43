// Errors of the edge node. A task handler turns them into a refusal the server can show; none of
// their messages carries a patient identifier.

export type EdgeErrorCode =
  | "EDGE_BAD_TASK"
  | "EDGE_UNKNOWN_TASK"
  | "EDGE_CONFIG"
  | "EDGE_NOT_FOUND"
  | "EDGE_SOURCE_FAILED"
  | "SOURCE_SPEC"
  | "SOURCE_NOT_FOUND"
  | "SOURCE_UNAVAILABLE"
  | "SOURCE_BAD_RESPONSE"
  | "LABELS_CSV";

export class EdgeError extends Error {
  readonly code: EdgeErrorCode;
  constructor(code: EdgeErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "EdgeError";
    this.code = code;
  }
}
