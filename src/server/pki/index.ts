export {
  CA_ALG,
  type ConsortiumCa,
  caFilePath,
  caFingerprint,
  createCa,
  initCa,
  loadCa,
  saveCa,
} from "./ca.ts";
export {
  issueServerCertificate,
  type IssuedNodeCertificate,
  NODE_CERT_DAYS,
  type ServerCredentials,
  signNodeCsr,
} from "./certs.ts";
export { createNodeKeyAndCsr, type NodeKeyAndCsr } from "./csr.ts";
export { PkiError } from "./errors.ts";
export {
  assertNodeId,
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  hasExtendedKeyUsage,
  keyFingerprint,
  nodeIdFromCertificate,
  spiffeUri,
} from "./identity.ts";
export {
  type Admission,
  ENROLMENT_TOKEN_TTL_MS,
  type EnrolmentResult,
  NodeRegistry,
  type NodeRecord,
} from "./registry.ts";
