// Entry envelope and body schemas (ledger.md §4.1, §6.1). Every object is strict
// (additionalProperties: false); every number is an integer except the zero-watermark params.
import { z } from "zod";

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
const hexOf = (...bytes: number[]) =>
  z.string().refine((s) => /^[0-9a-f]*$/.test(s) && bytes.includes(s.length / 2), {
    message: `expected ${bytes.join(" or ")} bytes of lowercase hex`,
  });
// Padded base64 of exactly `bytes` bytes. Once the alphabet and the padding are checked, the
// decoded length follows from the string length; decoding it (once per entry at append and
// at audit) would cost an allocation and a copy for nothing.
const base64 = (bytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/)
    .refine((s) => s.length % 4 === 0 && base64Length(s) === bytes, {
      message: `expected ${bytes} bytes of padded base64`,
    });

function base64Length(s: string): number {
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}
const sha256 = hex(32);
const uint = z.number().int().nonnegative();
const text = z.string().min(1).max(256);
const id = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/);
const uid = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)*$/)
  .max(64);

export const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const time = z.string().regex(TIME);
/** A user pseudonym (ledger.md §7.5). */
export const userPseudonym = z.string().regex(/^u:[0-9a-f]{32}$/);
export const actor = z.union([
  userPseudonym,
  z.string().regex(/^node:[A-Za-z0-9._-]{1,64}$/),
  z.literal("system"),
]);

const logKey = z.strictObject({ name: text, publicKey: base64(32), keyId: hex(4) });

const genesis = z.strictObject({
  origin: text,
  deploymentId: text,
  hashAlg: z.literal("sha256"),
  schema: z.literal(1),
  logKey,
});

const keyEpoch = z.strictObject({
  epoch: z.number().int().min(1),
  startedAt: time,
  commitments: z.strictObject({
    "wm/pos": sha256,
    "wm/mac": sha256,
    "zw/id": sha256,
    "zw/perm": sha256,
    pseudonym: sha256,
  }),
  logKey,
  escrow: z.array(z.strictObject({ holder: text, sealedSha256: sha256 })).optional(),
});

// zero-watermark.md §6.6
const zwRegistered = z.strictObject({
  alg: z.literal("zw/frrom-racah/v1"),
  params: z.strictObject({
    N: uint,
    a: z.number().finite(),
    alpha: z.number().finite(),
    beta: z.number().finite(),
    py: z.number().finite(),
    px: z.number().finite(),
    q: uint,
    L: uint,
    resample: text,
    pre: text,
  }),
  paramsId: hex(8),
  identity: z.strictObject({
    consortium: text,
    hospital: text,
    sopInstanceUid: uid,
    plane: uint,
    pixelSha256: sha256,
  }),
  share: base64(128),
  mask: base64(512),
  keyEpoch: z.number().int().min(1),
});

const imageShared = z.strictObject({
  grantId: id,
  requestId: id,
  recipient: userPseudonym,
  hospital: text,
  source: z.strictObject({
    sopInstanceUid: uid,
    sopClassUid: uid,
    seriesInstanceUid: uid,
    imageType: z.string().max(256),
    pixelSha256: sha256,
    zwEntries: z.array(uint),
  }),
  copy: z.strictObject({
    sopInstanceUid: uid,
    seriesInstanceUid: uid,
    pixelSha256: sha256,
    token: hexOf(8, 16),
    planes: z.array(z.strictObject({ plane: uint, profile: z.enum(["P1", "P2"]), k: uint })),
    alg: z.literal("rw/v1"),
    wmCommit: sha256,
  }),
  keyEpoch: z.number().int().min(1),
  format: z.enum(["dicom", "png", "nrrd"]),
  sealedRecipient: z
    .string()
    .regex(/^[A-Za-z0-9+/]*={0,2}$/)
    .optional(),
});

const grantCreated = z.strictObject({
  grantId: id,
  requestId: id,
  recipient: userPseudonym,
  purposeSha256: sha256,
  hospitals: z.array(text),
  scope: z.strictObject({ studies: z.array(uid), instances: z.array(uid) }),
  access: z.array(z.enum(["viewer", "dicomweb", "download"])),
  notBefore: time,
  notAfter: time,
  approvedBy: z.array(userPseudonym),
});

const grantRevoked = z.strictObject({
  grantId: id,
  reason: z.enum(["expired", "withdrawn", "breach", "other"]),
  revokedBy: actor,
});

const modelReleased = z.strictObject({
  sessionId: id,
  recipient: userPseudonym,
  modelSha256: z.strictObject({ tfjs: sha256, onnx: sha256 }),
  rounds: uint,
  strategy: text,
  hospitals: z.array(text),
  metrics: z.record(z.string().max(64), z.string().regex(/^-?[0-9]+(\.[0-9]+)?$/)),
});

const tracePerformed = z.strictObject({
  traceId: id,
  requestedBy: userPseudonym,
  approvedBy: z.array(userPseudonym),
  suspect: z.strictObject({
    fileSha256: sha256,
    pixelSha256: sha256.optional(),
    format: z.string().max(32),
  }),
  method: z.enum(["exact", "rw", "zw", "none"]),
  result: z.strictObject({
    decision: z.string().max(32),
    entries: z.array(uint),
    token: hexOf(8, 16).optional(),
    ber: z
      .string()
      .regex(/^[0-9]+(\.[0-9]+)?$/)
      .optional(),
  }),
  checkpointSize: uint,
});

const checkpointAnchored = z.strictObject({
  treeSize: uint,
  rootHash: sha256,
  chainId: uint,
  contract: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  txHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  blockNumber: uint,
});

export const BODY_SCHEMAS = {
  "log.genesis": genesis,
  "key.epoch": keyEpoch,
  "zw.registered": zwRegistered,
  "image.shared": imageShared,
  "grant.created": grantCreated,
  "grant.revoked": grantRevoked,
  "model.released": modelReleased,
  "trace.performed": tracePerformed,
  "checkpoint.anchored": checkpointAnchored,
} as const;

export type EntryType = keyof typeof BODY_SCHEMAS;
export const ENTRY_TYPES = Object.keys(BODY_SCHEMAS) as EntryType[];
export type Body<T extends EntryType> = z.infer<(typeof BODY_SCHEMAS)[T]>;
export type GenesisBody = Body<"log.genesis">;
export type KeyEpochBody = Body<"key.epoch">;
export type ZwRegisteredBody = Body<"zw.registered">;
export type ImageSharedBody = Body<"image.shared">;
export type TracePerformedBody = Body<"trace.performed">;
export type CheckpointAnchoredBody = Body<"checkpoint.anchored">;
export type Actor = z.infer<typeof actor>;

export const ENVELOPE = z.strictObject({
  v: z.literal(1),
  index: uint,
  time,
  prevHash: sha256,
  type: z.enum(ENTRY_TYPES as [EntryType, ...EntryType[]]),
  actor,
  // Only "a plain object" here: the type's own schema checks the body, without a copy.
  body: z.custom<Record<string, unknown>>(isPlainObject, { message: "body must be an object" }),
});

function isPlainObject(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
