// End-entity certificates issued by the consortium CA: the node port's server certificate
// (EKU serverAuth, SAN = configured host) and node certificates (EKU clientAuth, SAN = SPIFFE ID,
// the node's own Ed25519 key from its CSR). RFC 5280 profiles; the CA chooses every field itself,
// nothing requested in a CSR but the public key is copied.
import { isIP } from "node:net";
import { subtle, x509 } from "../../crypto/x509.ts";
import { BACKDATE_MS, CA_ALG, type ConsortiumCa, pkcs8Pem, randomSerial } from "./ca.ts";
import { PkiError } from "./errors.ts";
import { spiffeUri } from "./identity.ts";

const DAY_MS = 86_400_000;
export const NODE_CERT_DAYS = 365;
export const SERVER_CERT_DAYS = 30;

async function endEntity(
  ca: ConsortiumCa,
  subject: string,
  publicKey: x509.PublicKey | Awaited<ReturnType<typeof subtle.importKey>>,
  san: x509.JsonGeneralName[],
  eku: string,
  days: number,
): Promise<x509.X509Certificate> {
  const now = Date.now();
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: ca.cert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + days * DAY_MS),
    signingAlgorithm: CA_ALG,
    publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([eku], false),
      new x509.SubjectAlternativeNameExtension(san, false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
}

export interface ServerCredentials {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** A fresh P-256 key and certificate for the node port; reissued at every start, never stored. */
export async function issueServerCertificate(
  ca: ConsortiumCa,
  hosts: string[],
): Promise<ServerCredentials> {
  if (hosts.length === 0) throw new PkiError("bad-host", "the server certificate needs a host");
  const keys = (await subtle.generateKey(CA_ALG, true, ["sign", "verify"])) as {
    publicKey: Awaited<ReturnType<typeof subtle.importKey>>;
    privateKey: Awaited<ReturnType<typeof subtle.importKey>>;
  };
  const san: x509.JsonGeneralName[] = hosts.map((h) =>
    isIP(h) ? { type: "ip", value: h } : { type: "dns", value: h },
  );
  const cert = await endEntity(
    ca,
    `CN=${hosts[0]}, O=${ca.consortiumId}`,
    keys.publicKey,
    san,
    x509.ExtendedKeyUsage.serverAuth,
    SERVER_CERT_DAYS,
  );
  return {
    certPem: cert.toString("pem"),
    keyPem: pkcs8Pem(await subtle.exportKey("pkcs8", keys.privateKey)),
    caPem: ca.certPem,
  };
}

export interface IssuedNodeCertificate {
  certPem: string;
  serial: string;
  notAfter: Date;
}

/** Verifies the CSR's proof of possession, requires an Ed25519 key, and certifies it for nodeId. */
export async function signNodeCsr(
  ca: ConsortiumCa,
  csrPem: string,
  nodeId: string,
  days = NODE_CERT_DAYS,
): Promise<IssuedNodeCertificate> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new PkiError("bad-csr", "the certificate request is not a PEM PKCS#10 request");
  }
  if (csr.publicKey.algorithm.name !== "Ed25519")
    throw new PkiError(
      "bad-csr",
      `node keys must be Ed25519 (federated-learning.md §5.2), got ${csr.publicKey.algorithm.name}`,
    );
  if (!(await csr.verify().catch(() => false)))
    throw new PkiError("bad-csr", "the certificate request's self-signature does not verify");
  const cert = await endEntity(
    ca,
    `CN=${nodeId}, O=${ca.consortiumId}`,
    csr.publicKey,
    [{ type: "url", value: spiffeUri(ca.consortiumId, nodeId) }],
    x509.ExtendedKeyUsage.clientAuth,
    days,
  );
  return { certPem: cert.toString("pem"), serial: cert.serialNumber, notAfter: cert.notAfter };
}
