// Node identity in certificates: SAN URI spiffe://<consortium>/hospital/<nodeId> (SPIFFE ID,
// federated-learning.md §5.1) and SHA-256 fingerprints of the SubjectPublicKeyInfo, which the
// consortium admin compares out of band at enrolment (§5.2).
import { createHash, createPublicKey, type KeyObject, type X509Certificate } from "node:crypto";
import { PkiError } from "./errors.ts";

const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function assertNodeId(nodeId: string): string {
  if (!ID_PATTERN.test(nodeId)) {
    throw new PkiError(
      "bad-node-id",
      `node id '${nodeId}' must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return nodeId;
}

export function assertConsortiumId(id: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{0,127}$/.test(id)) {
    throw new PkiError("bad-consortium-id", `consortium id '${id}' must be a lower-case DNS-like name`);
  }
  return id;
}

export function spiffeUri(consortiumId: string, nodeId: string): string {
  return `spiffe://${assertConsortiumId(consortiumId)}/hospital/${assertNodeId(nodeId)}`;
}

/** The nodeId named by the certificate's single SPIFFE URI for this consortium, else undefined. */
export function nodeIdFromCertificate(
  cert: X509Certificate,
  consortiumId: string,
): string | undefined {
  const prefix = `URI:spiffe://${consortiumId}/hospital/`;
  // Node renders the SAN as "type:value, type:value"; values containing ", " are quoted with JSON
  // escapes, which our IDs never need, so a quoted entry is never ours.
  const uris = (cert.subjectAltName ?? "")
    .split(", ")
    .filter((e) => e.startsWith("URI:"));
  if (uris.length !== 1 || !uris[0].startsWith(prefix)) return undefined;
  const nodeId = uris[0].slice(prefix.length);
  return ID_PATTERN.test(nodeId) ? nodeId : undefined;
}

export const EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
export const EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

export function hasExtendedKeyUsage(cert: X509Certificate, oid: string): boolean {
  return (cert.keyUsage ?? []).includes(oid);
}

/** "sha256:<hex>" of the DER SubjectPublicKeyInfo. */
export function keyFingerprint(key: KeyObject | X509Certificate): string {
  const pub = "publicKey" in key ? key.publicKey : key.type === "public" ? key : createPublicKey(key);
  const spki = pub.export({ format: "der", type: "spki" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}
