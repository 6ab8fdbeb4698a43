// Tracing: the product path that composes the reversible mark, the zero-watermark and the ledger
// (DESIGN.md "Data access" and "Tracing", ledger.md §10). Storage is the Ledger passed in.
export { codewordBytes, wmCommit } from "./commit.ts";
export { defaultZeroWatermark, type TracingContext } from "./context.ts";
export { TracingError, type TracingErrorCode } from "./errors.ts";
export { derivedUid, type ImageFacts, readFacts, type TraceFormat } from "./image.ts";
export { type IssuedCopy, type IssueRequest, issueCopy } from "./issue.ts";
export { decodeKeys, type EpochKeys, epochKeys, userPseudonym, zwFullbitsFor } from "./keys.ts";
export { type OpenLedger, openLedgerFile } from "./open.ts";
export { ensureRegistered, findRegistration, type Registration, zwIdentity } from "./register.ts";
export {
  NO_WATERMARK,
  type TracedCopy,
  type TraceMethod,
  type TraceRequest,
  type TraceResult,
  trace,
  type ZwCandidate,
} from "./trace.ts";
