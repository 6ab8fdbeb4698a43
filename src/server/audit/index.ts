export { type AuditInput, AuditLog, type AuditQuery, type AuditRow } from "./log.ts";
export { eventCoding, searchBundle, toFhirAuditEvent } from "./fhir.ts";
export { dicomAuditMessage, syslogLine } from "./syslog.ts";
