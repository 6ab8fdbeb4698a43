// FHIR R4 AuditEvent rendering (hl7.org/fhir/R4/auditevent.html), coded after IHE BALP: REST
// accesses as type `rest` with the RESTful interaction as subtype, logins as DICOM 110114 User
// Authentication, security-relevant changes as DICOM 110113 Security Alert (PS3.16 CID 400-401).
import type { AuditRow } from "./log.ts";

interface Coding {
  system: string;
  code: string;
  display: string;
}

const DCM = "http://dicom.nema.org/resources/ontology/DCM";
const EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const INTERACTION = "http://hl7.org/fhir/restful-interaction";

const dcm = (code: string, display: string): Coding => ({ system: DCM, code, display });

export interface EventCoding {
  type: Coding;
  subtype: Coding[];
  /** C, R, U, D or E (FHIR audit-event-action). */
  action: "C" | "R" | "U" | "D" | "E";
}

function detailOf(row: AuditRow): Record<string, unknown> {
  if (!row.detail) return {};
  try {
    return JSON.parse(row.detail) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function eventCoding(row: AuditRow): EventCoding {
  const a = row.action;
  if (a === "auth.login") return { type: dcm("110114", "User Authentication"), subtype: [dcm("110122", "Login")], action: "E" };
  if (a === "auth.lockout" || a === "auth.password-change")
    return { type: dcm("110113", "Security Alert"), subtype: [dcm("110137", "User Security Attributes Changed")], action: "E" };
  if (a.startsWith("user.")) {
    const sub = a === "user.roles" ? dcm("110136", "Security Roles Changed") : dcm("110137", "User Security Attributes Changed");
    return { type: dcm("110113", "Security Alert"), subtype: [sub], action: a === "user.create" ? "C" : "U" };
  }
  if (a.startsWith("webhook.") || a.startsWith("config."))
    return { type: dcm("110113", "Security Alert"), subtype: [dcm("110131", "Software Configuration")], action: "U" };
  if (a === "audit.export") return { type: dcm("110106", "Export"), subtype: [], action: "R" };
  const method = String(detailOf(row).method ?? "GET");
  const interaction = method === "POST" ? "create" : method === "PUT" || method === "PATCH" ? "update" : method === "DELETE" ? "delete" : "read";
  const action = interaction === "create" ? "C" : interaction === "update" ? "U" : interaction === "delete" ? "D" : "R";
  return {
    type: { system: EVENT_TYPE, code: "rest", display: "RESTful Operation" },
    subtype: [{ system: INTERACTION, code: interaction, display: interaction }],
    action,
  };
}

/** R4 outcome codes: 0 success, 4 minor failure (refused or invalid request). */
export const outcomeCode = (row: AuditRow): "0" | "4" => (row.outcome === "success" ? "0" : "4");

export function toFhirAuditEvent(row: AuditRow, observer: string): Record<string, unknown> {
  const c = eventCoding(row);
  const detail = detailOf(row);
  const agent: Record<string, unknown>[] = [];
  if (row.actor_user_id || row.actor_ip || !row.actor_node_id) {
    agent.push({
      type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP", display: "information recipient" }] },
      who: row.actor_user_id ? { identifier: { value: row.actor_user_id } } : { display: "anonymous" },
      requestor: true,
      ...(row.actor_ip ? { network: { address: row.actor_ip, type: "2" } } : {}),
    });
  }
  if (row.actor_node_id) agent.push({ who: { identifier: { system: "urn:medtrace:node", value: row.actor_node_id } }, requestor: !row.actor_user_id });
  const entity: Record<string, unknown>[] = [];
  if (row.entity_type && row.entity_id) entity.push({ what: { identifier: { value: row.entity_id } }, description: row.entity_type });
  if (detail.path) entity.push({ what: { display: String(detail.path) }, description: "request" });
  return {
    resourceType: "AuditEvent",
    id: String(row.id),
    type: c.type,
    subtype: c.subtype,
    action: c.action,
    recorded: row.time,
    outcome: outcomeCode(row),
    outcomeDesc: row.action + (detail.status ? ` (HTTP ${String(detail.status)})` : ""),
    agent,
    source: { observer: { display: observer }, type: [{ system: "http://terminology.hl7.org/CodeSystem/security-source-type", code: "4", display: "Application Server" }] },
    entity,
  };
}

export function searchBundle(rows: AuditRow[], total: number, observer: string, selfUrl: string): Record<string, unknown> {
  return {
    resourceType: "Bundle",
    type: "searchset",
    total,
    link: [{ relation: "self", url: selfUrl }],
    entry: rows.map((r) => ({ fullUrl: `urn:medtrace:audit:${r.id}`, resource: toFhirAuditEvent(r, observer), search: { mode: "match" } })),
  };
}
