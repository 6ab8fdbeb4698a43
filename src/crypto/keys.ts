// Key hierarchy: one master secret per deployment, every other key derived with HKDF and a label.
// Spec: ledger.md §7. No key ever leaves this module in a log line or a ledger entry.
import { createHash, createHmac, createPrivateKey, hkdfSync, type KeyObject } from "node:crypto";
import { CryptoError } from "./errors.ts";

export const MIN_MASTER_BYTES = 32;

export type KeyPurpose =
  | "wm/pos"
  | "wm/mac"
  | "zw/id"
  | "zw/perm"
  | "pseudonym"
  | "ledger/sign"
  | "anchor/evm"
  | "fl/server-sign"
  | "pki/ca-seal"
  | "server/jwt"
  | "server/webhook";

/** Every purpose a key is derived for (ledger.md §7.2). */
export const KEY_PURPOSES: readonly KeyPurpose[] = [
  "wm/pos",
  "wm/mac",
  "zw/id",
  "zw/perm",
  "pseudonym",
  "ledger/sign",
  "anchor/evm",
  // federated-learning.md §5.2: the server's frame-signing seed, pinned on nodes at enrolment.
  "fl/server-sign",
  // Seals the consortium CA private key at rest; never used to sign anything.
  "pki/ca-seal",
  // Signs the API access tokens (EdDSA JWTs) of local accounts.
  "server/jwt",
  // Derives each webhook's HMAC secret from its id, so no webhook secret is stored.
  "server/webhook",
];

export interface MasterSecret {
  readonly bytes: Uint8Array;
  readonly deploymentId: string;
}

export function masterSecret(bytes: Uint8Array, deploymentId: string): MasterSecret {
  if (bytes.length < MIN_MASTER_BYTES) {
    throw new CryptoError(
      "KEY_MASTER_TOO_SHORT",
      `master secret has ${bytes.length} bytes; at least ${MIN_MASTER_BYTES} are required`,
    );
  }
  if (deploymentId.length === 0) {
    throw new CryptoError("KEY_DEPLOYMENT_ID", "deploymentId must not be empty");
  }
  return { bytes: Uint8Array.from(bytes), deploymentId };
}

export function keyLabel(purpose: KeyPurpose, epoch: number): string {
  if (!Number.isInteger(epoch) || epoch < 1) {
    throw new CryptoError("KEY_EPOCH", `key epoch must be a positive integer, got ${epoch}`);
  }
  return `medtrace/v1/${purpose}/e${epoch}`;
}

/** K(label) = HKDF-SHA256(IKM = master, salt = deploymentId, info = label, L = 32); RFC 5869. */
export function deriveKey(master: MasterSecret, label: string): Uint8Array {
  const salt = Buffer.from(master.deploymentId, "utf8");
  return new Uint8Array(hkdfSync("sha256", master.bytes, salt, Buffer.from(label, "utf8"), 32));
}

export function deriveEpochKey(
  master: MasterSecret,
  purpose: KeyPurpose,
  epoch: number,
): Uint8Array {
  return deriveKey(master, keyLabel(purpose, epoch));
}

/** Hiding commitment to a derived key, published in key.epoch entries (ledger.md §7.4). */
export function keyCommitment(label: string, key: Uint8Array): string {
  return createHash("sha256")
    .update("medtrace/v1/key-commit")
    .update(Uint8Array.of(0))
    .update(label, "utf8")
    .update(Uint8Array.of(0))
    .update(key)
    .digest("hex");
}

/** Keyed recipient pseudonym (ledger.md §7.5); the mapping back lives outside the ledger. */
export function pseudonym(pseudonymKey: Uint8Array, userId: string): string {
  const mac = createHmac("sha256", pseudonymKey)
    .update("medtrace/v1/pseudonym/user")
    .update(Uint8Array.of(0))
    .update(userId, "utf8")
    .digest();
  return `u:${mac.subarray(0, 16).toString("hex")}`;
}

// PKCS#8 prefix for a raw Ed25519 seed (RFC 8410 §7).
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) {
    throw new CryptoError("KEY_SEED_LENGTH", `Ed25519 seed must be 32 bytes, got ${seed.length}`);
  }
  return createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
}
