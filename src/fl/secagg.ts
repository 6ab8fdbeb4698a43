// Secure aggregation (federated-learning.md §6): Bonawitz et al., CCS 2017, over the complete
// graph. Pairwise masks are the AES-256-CTR keystream of the full 32-byte agreed key (never a
// 32-bit seed); Shamir t-of-n over GF(2^8) lets the round finish when nodes drop out after
// ShareKeys. Node and server steps are pure functions over explicit state; the transport
// (frames, envelopes) is the caller's.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import {
  agreeKey,
  type X25519Pair,
  x25519KeyPair,
  x25519PrivateRaw,
  x25519PublicB64u,
  x25519PublicFromB64u,
} from "../crypto/envelope.ts";
import { canonicalBytes } from "../crypto/jcs.ts";
import { flDerive, keystreamU32 } from "../crypto/prg.ts";
import { type Share, shamirCombine, shamirSplit } from "../crypto/shamir.ts";
import { FlError } from "./errors.ts";

export interface SecAggParams {
  sessionId: string;
  round: number;
  attempt: number;
  roundNonce: Uint8Array;
  quantBits: number; // k, 22
  clip: number; // C, 8
  maxWeight: number; // W, a power of two ≥ max n_k
}

export function defaultSecAggParams(
  p: Pick<SecAggParams, "sessionId" | "round" | "attempt" | "roundNonce">,
  maxN: number,
): SecAggParams {
  return { ...p, quantBits: 22, clip: 8, maxWeight: 2 ** Math.ceil(Math.log2(Math.max(1, maxN))) };
}

export interface Advert {
  nodeId: string;
  cPk: string;
  sPk: string;
  bCommit: string;
}

export interface SecAggNode {
  nodeId: string;
  nodeSecret: Uint8Array;
  c: X25519Pair;
  s: X25519Pair;
  b: Uint8Array;
  /** shares received from each sender: s-share and b-share of that sender. */
  held: Map<string, { s: Uint8Array; b: Uint8Array }>;
  /** hash of the U3 this node answered for (§1.8 local U3 rule). */
  answeredU3?: string;
}

export interface U1 {
  members: Advert[]; // sorted by node id
  index: Map<string, number>; // 1..n
  n: number;
  t: number;
}

export interface ShareCipher {
  from: string;
  to: string;
  nonce: Uint8Array;
  ct: Uint8Array;
}

export interface UnmaskResponse {
  from: string;
  bShares: { of: string; y: Uint8Array }[];
  sShares: { of: string; y: Uint8Array }[];
}

const X25519_PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");

function bCommit(b: Uint8Array): string {
  return createHash("sha256")
    .update("medtrace/v1/fl/bcommit")
    .update(Uint8Array.of(0))
    .update(b)
    .digest("hex");
}

function ctx(p: SecAggParams) {
  return { sessionId: p.sessionId, round: p.round, attempt: p.attempt };
}

/** Phase 0, node: fresh c and s key pairs, self-mask seed b and its commitment. */
export function advertise(
  nodeId: string,
  nodeSecret: Uint8Array,
): { node: SecAggNode; advert: Advert } {
  const node: SecAggNode = {
    nodeId,
    nodeSecret,
    c: x25519KeyPair(),
    s: x25519KeyPair(),
    b: randomBytes(32),
    held: new Map(),
  };
  return {
    node,
    advert: {
      nodeId,
      cPk: x25519PublicB64u(node.c.publicKey),
      sPk: x25519PublicB64u(node.s.publicKey),
      bCommit: bCommit(node.b),
    },
  };
}

/** Server freezes U1; t = floor(n/2)+1 (§6.1). Constraints: 3 ≤ n ≤ 255. */
export function freezeU1(adverts: Advert[], consistencyCheck = false): U1 {
  const members = [...adverts].sort((a, b) =>
    a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0,
  );
  const n = members.length;
  if (n < 3) throw new FlError("fl.secagg.quorum", `secure aggregation needs n ≥ 3 (got ${n})`);
  if (n > 255) throw new FlError("fl.secagg.quorum", "n ≤ 255 (Shamir over GF(2^8))");
  const index = new Map(members.map((m, i) => [m.nodeId, i + 1]));
  const t = consistencyCheck ? Math.floor((2 * n) / 3) + 1 : Math.floor(n / 2) + 1;
  return { members, index, n, t };
}

function pairCtx(p: SecAggParams, i: number, j: number) {
  return { ...ctx(p), a: Math.min(i, j), b: Math.max(i, j) };
}

/** Phase 1, node: Shamir-split s private key and b, encrypt each pair of shares to its holder. */
export function shareKeys(node: SecAggNode, u1: U1, p: SecAggParams): ShareCipher[] {
  const me = u1.index.get(node.nodeId);
  if (me === undefined) throw new FlError("fl.secagg.not-in-u1", `${node.nodeId} not in U1`);
  const xs = u1.members.map((m) => u1.index.get(m.nodeId) as number);
  const sSh = shamirSplit(x25519PrivateRaw(node.s.privateKey), u1.t, xs);
  const bSh = shamirSplit(node.b, u1.t, xs);
  const out: ShareCipher[] = [];
  u1.members.forEach((m, k) => {
    if (m.nodeId === node.nodeId) {
      node.held.set(node.nodeId, { s: sSh[k].y, b: bSh[k].y });
      return;
    }
    const v = k + 1;
    const key = agreeKey(
      node.c.privateKey,
      x25519PublicFromB64u(m.cPk),
      p.roundNonce,
      "medtrace/v1/fl/share",
      pairCtx(p, me, v),
    );
    const nonce = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", key, nonce);
    c.setAAD(canonicalBytes({ from: node.nodeId, to: m.nodeId, ...ctx(p) }));
    const body = canonicalBytes({
      from: node.nodeId,
      to: m.nodeId,
      ...ctx(p),
      sShare: Buffer.from(sSh[k].y).toString("base64url"),
      bShare: Buffer.from(bSh[k].y).toString("base64url"),
    });
    out.push({
      from: node.nodeId,
      to: m.nodeId,
      nonce,
      ct: Buffer.concat([c.update(body), c.final(), c.getAuthTag()]),
    });
  });
  return out;
}

/** Phase 1, receiving node: decrypt shares addressed to it; a bad one aborts naming the sender. */
export function receiveShares(
  node: SecAggNode,
  u1: U1,
  p: SecAggParams,
  ciphers: ShareCipher[],
): void {
  const me = u1.index.get(node.nodeId) as number;
  for (const sc of ciphers) {
    const from = u1.members.find((m) => m.nodeId === sc.from);
    if (!from || sc.to !== node.nodeId)
      throw new FlError("fl.secagg.bad-share", `share from ${sc.from} misaddressed`);
    const v = u1.index.get(sc.from) as number;
    const key = agreeKey(
      node.c.privateKey,
      x25519PublicFromB64u(from.cPk),
      p.roundNonce,
      "medtrace/v1/fl/share",
      pairCtx(p, me, v),
    );
    let body: { from: string; to: string; sShare: string; bShare: string; round: number };
    try {
      const d = createDecipheriv("aes-256-gcm", key, sc.nonce);
      d.setAAD(canonicalBytes({ from: sc.from, to: sc.to, ...ctx(p) }));
      d.setAuthTag(sc.ct.subarray(sc.ct.length - 16));
      body = JSON.parse(
        Buffer.concat([d.update(sc.ct.subarray(0, sc.ct.length - 16)), d.final()]).toString("utf8"),
      );
    } catch {
      throw new FlError("fl.secagg.bad-share", `share from ${sc.from} failed to decrypt`);
    }
    if (body.from !== sc.from || body.to !== node.nodeId || body.round !== p.round) {
      throw new FlError("fl.secagg.bad-share", `share from ${sc.from} has wrong from/to`);
    }
    node.held.set(sc.from, {
      s: Buffer.from(body.sShare, "base64url"),
      b: Buffer.from(body.bShare, "base64url"),
    });
  }
}

export function quantStep(p: SecAggParams): number {
  return (2 * p.clip) / (2 ** p.quantBits - 1);
}

/** q = floor((clip(x,−C,C)+C)/δ + U), U uniform from the node's secret stochastic-rounding PRG (§6.2). */
export function quantise(
  x: Float64Array | Float32Array,
  p: SecAggParams,
  srKey: Uint8Array,
): Uint32Array {
  const delta = quantStep(p);
  const u = keystreamU32(srKey, x.length);
  const max = 2 ** p.quantBits - 1;
  const q = new Uint32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.min(p.clip, Math.max(-p.clip, x[i]));
    q[i] = Math.min(max, Math.floor((c + p.clip) / delta + u[i] / 4294967296));
  }
  return q;
}

function addMask(y: Uint32Array, key: Uint8Array, sign: 1 | -1): void {
  const m = keystreamU32(key, y.length);
  if (sign === 1) for (let i = 0; i < y.length; i++) y[i] += m[i];
  else for (let i = 0; i < y.length; i++) y[i] -= m[i];
}

export function selfMaskKey(b: Uint8Array, nodeId: string, p: SecAggParams): Uint8Array {
  return agreeKeyFromSecret(b, p.roundNonce, "medtrace/v1/fl/self", { ...ctx(p), node: nodeId });
}

/** HKDF-SHA256 over a secret that is not a DH output (the self-mask seed b_u). */
function agreeKeyFromSecret(
  ikm: Uint8Array,
  salt: Uint8Array,
  label: string,
  context: unknown,
): Uint8Array {
  const info = Buffer.concat([Buffer.from(label, "utf8"), Buffer.of(0), canonicalBytes(context)]);
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, 32));
}

function pairKey(
  sPriv: X25519Pair["privateKey"],
  otherPk: string,
  p: SecAggParams,
  i: number,
  j: number,
): Uint8Array {
  return agreeKey(
    sPriv,
    x25519PublicFromB64u(otherPk),
    p.roundNonce,
    "medtrace/v1/fl/mask",
    pairCtx(p, i, j),
  );
}

/** Phase 2, node: y_u = q([w, w·Δ]) + PRG(b_u) + Σ_{v∈U2, v≠u} σ(u,v)·PRG(k_uv) mod 2^32. */
export function maskedInput(
  node: SecAggNode,
  u1: U1,
  u2: string[],
  p: SecAggParams,
  delta: Float32Array,
  n: number,
): Uint32Array {
  const me = u1.index.get(node.nodeId) as number;
  if (!u2.every((v) => u1.index.has(v)) || u2.length < u1.t || !u2.includes(node.nodeId)) {
    throw new FlError(
      "fl.secagg.bad-set",
      "U2 must be a subset of U1 with |U2| ≥ t containing this node",
    );
  }
  const w = Math.min(n, p.maxWeight) / p.maxWeight;
  const x = new Float64Array(delta.length + 1);
  x[0] = w;
  for (let i = 0; i < delta.length; i++) x[i + 1] = w * delta[i];
  const sr = flDerive(node.nodeSecret, `sr/${p.sessionId}/r${p.round}/n${node.nodeId}`);
  const y = quantise(x, p, sr);
  addMask(y, selfMaskKey(node.b, node.nodeId, p), 1);
  for (const v of u2) {
    if (v === node.nodeId) continue;
    const vi = u1.index.get(v) as number;
    const adv = u1.members[vi - 1];
    addMask(y, pairKey(node.s.privateKey, adv.sPk, p, me, vi), vi > me ? 1 : -1);
  }
  return y;
}

export function u3Hash(u3: string[]): string {
  return createHash("sha256")
    .update(canonicalBytes([...u3].sort()))
    .digest("hex");
}

/** Phase 3, node: b-shares of U3 members, s-shares of U2 \ U3 members; never both for one node. */
export function unmaskResponse(
  node: SecAggNode,
  u1: U1,
  u2: string[],
  u3: string[],
): UnmaskResponse {
  if (!u3.every((v) => u2.includes(v)) || u3.length < u1.t) {
    throw new FlError("fl.secagg.bad-set", "U3 must be a subset of U2 with |U3| ≥ t");
  }
  const h = u3Hash(u3);
  if (node.answeredU3 !== undefined && node.answeredU3 !== h) {
    throw new FlError(
      "unmask-conflict",
      "this node already answered for a different U3 in this round",
    );
  }
  node.answeredU3 = h;
  const bShares: UnmaskResponse["bShares"] = [];
  const sShares: UnmaskResponse["sShares"] = [];
  for (const v of u2) {
    const held = node.held.get(v);
    if (!held) continue;
    if (u3.includes(v)) bShares.push({ of: v, y: held.b });
    else sShares.push({ of: v, y: held.s });
  }
  return { from: node.nodeId, bShares, sShares };
}

function combineChecked(
  shares: Share[],
  t: number,
  ok: (secret: Uint8Array) => boolean,
  of: string,
): Uint8Array {
  if (shares.length < t)
    throw new FlError("fl.secagg.quorum", `only ${shares.length} shares of ${of}, need ${t}`);
  const first = shamirCombine(shares.slice(0, t));
  if (ok(first)) return first;
  // subset search over t-combinations (bounded), §6.4
  const idx = Array.from({ length: t }, (_, i) => i);
  for (let tries = 0; tries < 5000; tries++) {
    let i = t - 1;
    while (i >= 0 && idx[i] === shares.length - t + i) i--;
    if (i < 0) break;
    idx[i]++;
    for (let j = i + 1; j < t; j++) idx[j] = idx[j - 1] + 1;
    const s = shamirCombine(idx.map((k) => shares[k]));
    if (ok(s)) return s;
  }
  throw new FlError("fl.secagg.bad-share", `no consistent subset of shares for ${of}`);
}

export interface UnmaskResult {
  /** X = S·δ − |U3|·C, length d+1: X[0] = Σw, X[1..] = Σ w·Δ. */
  sum: Float64Array;
  meanDelta: Float32Array;
  totalWeight: number;
}

/** Server: remove self masks of U3 and pairwise masks towards dropped D = U2 \ U3, then dequantise. */
export function unmask(
  u1: U1,
  u2: string[],
  u3: string[],
  masked: Map<string, Uint32Array>,
  responses: UnmaskResponse[],
  p: SecAggParams,
): UnmaskResult {
  if (responses.length < u1.t)
    throw new FlError("fl.secagg.quorum", `${responses.length} unmask responses, need ${u1.t}`);
  const len = masked.get(u3[0])?.length ?? 0;
  const S = new Uint32Array(len);
  for (const u of u3) {
    const y = masked.get(u);
    if (!y || y.length !== len)
      throw new FlError("fl.aggregate.invalid", `masked input of ${u} missing or wrong length`);
    for (let i = 0; i < len; i++) S[i] += y[i];
  }
  const sharesOf = (v: string, kind: "b" | "s"): Share[] =>
    responses.flatMap((r) =>
      (kind === "b" ? r.bShares : r.sShares)
        .filter((s) => s.of === v)
        .map((s) => ({ x: u1.index.get(r.from) as number, y: s.y })),
    );
  for (const u of u3) {
    const adv = u1.members[(u1.index.get(u) as number) - 1];
    const b = combineChecked(sharesOf(u, "b"), u1.t, (s) => bCommit(s) === adv.bCommit, u);
    addMask(S, selfMaskKey(b, u, p), -1);
  }
  const dropped = u2.filter((v) => !u3.includes(v));
  for (const v of dropped) {
    const vi = u1.index.get(v) as number;
    const adv = u1.members[vi - 1];
    let priv: KeyObject | undefined;
    combineChecked(
      sharesOf(v, "s"),
      u1.t,
      (raw) => {
        try {
          const k = createPrivateKey({
            key: Buffer.concat([X25519_PKCS8, raw]),
            format: "der",
            type: "pkcs8",
          });
          if (x25519PublicB64u(createPublicKey(k)) !== adv.sPk) return false;
          priv = k;
          return true;
        } catch {
          return false;
        }
      },
      v,
    );
    for (const u of u3) {
      const ui = u1.index.get(u) as number;
      // u added σ(u,v)·PRG(k_uv); remove it
      addMask(
        S,
        pairKey(priv as unknown as KeyObject, u1.members[ui - 1].sPk, p, ui, vi),
        vi > ui ? -1 : 1,
      );
    }
  }
  const delta = quantStep(p);
  const X = new Float64Array(len);
  for (let i = 0; i < len; i++) X[i] = S[i] * delta - u3.length * p.clip;
  const meanDelta = new Float32Array(len - 1);
  for (let i = 1; i < len; i++) meanDelta[i - 1] = X[i] / X[0];
  return { sum: X, meanDelta, totalWeight: X[0] * p.maxWeight };
}
