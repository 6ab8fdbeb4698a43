// Deterministic, realistic entry mix for tests and the benchmark (ledger.md §17.3):
// 70 % image.shared, 20 % zw.registered, 10 % others. Pseudonyms come from the demo key.
import { createHash } from "node:crypto";
import { deriveEpochKey, masterSecret, pseudonym } from "../../src/crypto/keys.ts";
import type { NewEntry } from "../../src/ledger/index.ts";

export const DEMO_MASTER = masterSecret(new Uint8Array(32).fill(0x42), "demo.medtrace.local");
export const PSEUDONYM_KEY = deriveEpochKey(DEMO_MASTER, "pseudonym", 1);
export const USERS = Array.from({ length: 20 }, (_, i) => `user${i}@hospital-${i % 3}.example`);

function sha(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}
function bytes(seed: string, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let o = 0, i = 0; o < n; i++)
    o += createHash("sha256").update(`${seed}/${i}`).digest().copy(out, o);
  return out;
}

/** Entry k of the mix (k is any integer; the same k always gives the same entry). */
export function mixEntry(k: number, seed = 1): NewEntry {
  const r = Number.parseInt(sha(`${seed}/${k}`).slice(0, 8), 16) % 100;
  const user = pseudonym(PSEUDONYM_KEY, USERS[k % USERS.length]);
  const uid = `2.25.${seed}${k}`;
  if (r < 70) {
    return {
      type: "image.shared",
      actor: user,
      body: {
        grantId: `g-${k % 97}`,
        requestId: `r-${k % 89}`,
        recipient: user,
        hospital: `hosp-${k % 3}`,
        source: {
          sopInstanceUid: `${uid}.1`,
          sopClassUid: "1.2.840.10008.5.1.4.1.1.2",
          seriesInstanceUid: `${uid}.9`,
          imageType: "ORIGINAL\\PRIMARY\\AXIAL",
          pixelSha256: sha(`src/${seed}/${k >> 2}`),
          zwEntries: [k],
        },
        copy: {
          sopInstanceUid: `${uid}.2`,
          seriesInstanceUid: `${uid}.8`,
          pixelSha256: sha(`copy/${seed}/${k}`),
          token: sha(`token/${seed}/${k}`).slice(0, 32),
          planes: [{ plane: 0, profile: "P1", k: 37 }],
          alg: "rw/v1",
          wmCommit: sha(`commit/${seed}/${k}`),
        },
        keyEpoch: 1,
        format: "dicom",
      },
    };
  }
  if (r < 90) {
    return {
      type: "zw.registered",
      actor: "system",
      body: {
        alg: "zw/frrom-racah/v1",
        params: {
          N: 512,
          a: 0,
          alpha: 0,
          beta: 0,
          py: 0.7,
          px: 0.9,
          q: 64,
          L: 1024,
          resample: "tri/v1",
          pre: "modality-mean/v1",
        },
        paramsId: "3f2a9c0d1e5b7a66",
        identity: {
          consortium: "demo",
          hospital: `hosp-${k % 3}`,
          sopInstanceUid: `${uid}.1`,
          plane: 0,
          pixelSha256: sha(`src/${seed}/${k}`),
        },
        share: bytes(`share/${seed}/${k}`, 128).toString("base64"),
        mask: bytes(`mask/${seed}/${k % 7}`, 512).toString("base64"),
        keyEpoch: 1,
      },
    };
  }
  if (r < 95) {
    return {
      type: "grant.created",
      actor: pseudonym(PSEUDONYM_KEY, "dpo@consortium.example"),
      body: {
        grantId: `g-${k}`,
        requestId: `r-${k}`,
        recipient: user,
        purposeSha256: sha(`purpose ${k}`),
        hospitals: ["hosp-0", "hosp-1"],
        scope: { studies: [`${uid}.5`], instances: [`${uid}.1`] },
        access: ["viewer", "download"],
        notBefore: "2025-01-01T00:00:00.000Z",
        notAfter: "2025-02-01T00:00:00.000Z",
        approvedBy: [pseudonym(PSEUDONYM_KEY, "dpo@consortium.example")],
      },
    };
  }
  return {
    type: "grant.revoked",
    actor: "system",
    body: { grantId: `g-${k}`, reason: "expired", revokedBy: "system" },
  };
}
