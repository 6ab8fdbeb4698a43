// ATNA export (IHE ITI-20): RFC 5424 syslog messages whose MSG is the DICOM audit message
// (PS3.15 A.5, the RFC 3881 schema), one per line. Facility 10 (security/authorization, RFC 5424
// §6.2.1); severity 5 (notice) for a success, 4 (warning) for a failure.
import type { AuditRow } from "./log.ts";
import { eventCoding, outcomeCode } from "./fhir.ts";

const FACILITY_AUTHPRIV = 10;

const xml = (s: string): string =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!);

/** RFC 5424 §6.2.5: printable US-ASCII without spaces, else the nil value. */
const header = (s: string, max: number): string => {
  const clean = s.replace(/[^\x21-\x7e]/g, "").slice(0, max);
  return clean.length > 0 ? clean : "-";
};

export function dicomAuditMessage(row: AuditRow, sourceId: string): string {
  const c = eventCoding(row);
  const parts = [
    `<EventIdentification EventActionCode="${c.action}" EventDateTime="${xml(row.time)}" EventOutcomeIndicator="${outcomeCode(row)}">`,
    `<EventID csd-code="${c.type.code}" codeSystemName="${c.type.system === "http://dicom.nema.org/resources/ontology/DCM" ? "DCM" : xml(c.type.system)}" originalText="${xml(c.type.display)}"/>`,
    ...c.subtype.map((s) => `<EventTypeCode csd-code="${xml(s.code)}" codeSystemName="${s.system.endsWith("/DCM") ? "DCM" : xml(s.system)}" originalText="${xml(s.display)}"/>`),
    `</EventIdentification>`,
  ];
  if (row.actor_user_id || row.actor_ip) {
    const net = row.actor_ip ? ` NetworkAccessPointID="${xml(row.actor_ip)}" NetworkAccessPointTypeCode="2"` : "";
    parts.push(`<ActiveParticipant UserID="${xml(row.actor_user_id ?? "anonymous")}" UserIsRequestor="true"${net}/>`);
  }
  if (row.actor_node_id) parts.push(`<ActiveParticipant UserID="${xml(row.actor_node_id)}" UserIsRequestor="false"/>`);
  parts.push(`<AuditSourceIdentification AuditSourceID="${xml(sourceId)}"/>`);
  if (row.entity_type && row.entity_id) {
    parts.push(
      `<ParticipantObjectIdentification ParticipantObjectID="${xml(row.entity_id)}" ParticipantObjectTypeCode="2">` +
        `<ParticipantObjectIDTypeCode csd-code="${xml(row.entity_type)}" codeSystemName="medtrace" originalText="${xml(row.entity_type)}"/>` +
        `</ParticipantObjectIdentification>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?><AuditMessage>${parts.join("")}</AuditMessage>`;
}

export function syslogLine(row: AuditRow, host: string, sourceId: string): string {
  const pri = FACILITY_AUTHPRIV * 8 + (row.outcome === "success" ? 5 : 4);
  // VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG (RFC 5424 §6)
  return `<${pri}>1 ${row.time} ${header(host, 255)} medtrace ${process.pid} IHE+RFC-3881 - ${dicomAuditMessage(row, sourceId)}`;
}
