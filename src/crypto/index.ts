export { CryptoError } from "./errors.ts";
export {
  deriveEpochKey,
  deriveKey,
  ed25519PrivateKeyFromSeed,
  type KeyPurpose,
  keyCommitment,
  keyLabel,
  type MasterSecret,
  MIN_MASTER_BYTES,
  masterSecret,
  pseudonym,
} from "./keys.ts";
export {
  createMasterFile,
  DEFAULT_DEPLOYMENT_ID,
  loadMasterSecret,
  readMasterFile,
} from "./master-file.ts";
