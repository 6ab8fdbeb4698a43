// Node side of enrolment: the Ed25519 key is generated where it will live and never leaves it;
// only the PKCS#10 request (public key + proof of possession) is sent with the one-time token.
import { subtle, x509 } from "../../crypto/x509.ts";
import { pkcs8Pem } from "./ca.ts";
import { assertNodeId } from "./identity.ts";

const ED25519 = { name: "Ed25519" } as const;

export interface NodeKeyAndCsr {
  keyPem: string;
  csrPem: string;
}

export async function createNodeKeyAndCsr(nodeId: string): Promise<NodeKeyAndCsr> {
  assertNodeId(nodeId);
  const keys = (await subtle.generateKey(ED25519, true, ["sign", "verify"])) as {
    publicKey: Awaited<ReturnType<typeof subtle.importKey>>;
    privateKey: Awaited<ReturnType<typeof subtle.importKey>>;
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${nodeId}`,
    keys,
    signingAlgorithm: ED25519,
  });
  return {
    keyPem: pkcs8Pem(await subtle.exportKey("pkcs8", keys.privateKey)),
    csrPem: csr.toString("pem"),
  };
}
