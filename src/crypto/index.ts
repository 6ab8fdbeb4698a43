export {
  agreeKey,
  DEFAULT_CHUNK,
  ENVELOPE_ALG,
  type EnvelopeParams,
  keyId,
  open,
  type SealedEnvelope,
  seal,
  type X25519Pair,
  x25519KeyPair,
  x25519PublicB64u,
  x25519PublicFromB64u,
} from "./envelope.ts";
export {
  ed25519PublicKeyFromSeed,
  ed25519PublicKeyObject,
  ed25519RawPublicKey,
  ed25519Sign,
  ed25519Verify,
} from "./ed25519.ts";
export { CryptoError } from "./errors.ts";
export {
  bodyDigestOk,
  type ChunkInfo,
  decodeFrame,
  encodeFrame,
  FRAME_CONTENT_TYPE,
  type Frame,
  type FrameHeader,
  nextSeq,
  sha256Hex,
  verifyFrameSignature,
} from "./frame.ts";
export {
  ChunkAssembly,
  checkChunkInfo,
  DEFAULT_CHUNK_BYTES,
  MAX_CHUNK_BYTES,
  MIN_CHUNK_BYTES,
  splitPayload,
} from "./chunks.ts";
export { canonicalBytes, canonicalJson } from "./jcs.ts";
export {
  deriveEpochKey,
  deriveKey,
  ed25519PrivateKeyFromSeed,
  type KeyPurpose,
  KEY_PURPOSES,
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
export { flDerive, flSeedBytes, keystream, keystreamU32, Prg } from "./prg.ts";
export { type Share, shamirCombine, shamirSplit } from "./shamir.ts";
export { AT_REST_ALG, openAtRest, type SealedAtRest, sealAtRest } from "./at-rest.ts";
