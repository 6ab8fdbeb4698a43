// The server's FL signing key (federated-learning.md §5.2): an Ed25519 seed
// K("medtrace/v1/fl/server-sign/e<epoch>") as PKCS#8. Nodes pin its public key at enrolment.
import { createPublicKey, type KeyObject } from "node:crypto";
import { deriveEpochKey, ed25519PrivateKeyFromSeed, type MasterSecret } from "../../crypto/keys.ts";

export function serverFlSigningKey(master: MasterSecret, epoch = 1): KeyObject {
  return ed25519PrivateKeyFromSeed(deriveEpochKey(master, "fl/server-sign", epoch));
}

export function serverFlPublicKeyPem(master: MasterSecret, epoch = 1): string {
  return createPublicKey(serverFlSigningKey(master, epoch)).export({ format: "pem", type: "spki" }).toString();
}
