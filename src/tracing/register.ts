// Zero-watermark registration of a source image (zero-watermark.md §6, ledger.md §6.1
// `zw.registered`): one share per frame, written once per source. A later copy of the same pixels
// reuses the registration found through the trace index's source-pixel table (ledger.md §9).
import type { Ledger, NewEntry, ZwRegisteredBody } from "../ledger/index.ts";
import type { ZeroWatermark, ZwIdentity, ZwKeys } from "../watermark/zero/index.ts";
import { type ImageFacts, type SourceIds, zwPlane } from "./image.ts";

export interface Registration {
  /** Ledger index of the `zw.registered` entry of each frame, in frame order. */
  entries: number[];
  /** True when at least one share was registered by this call. */
  created: boolean;
}

export interface RegisterInput {
  facts: ImageFacts;
  ids: SourceIds;
  consortium: string;
  hospital: string;
  actor: string;
}

/** The identity of zero-watermark.md §6.1 (no patient identifier). */
export function zwIdentity(input: RegisterInput, frame: number): ZwIdentity {
  return {
    consortium: input.consortium,
    hospital: input.hospital,
    sopInstanceUid: input.ids.sopInstanceUid,
    plane: frame,
    pixelSha256: input.facts.framePixelSha256[frame],
  };
}

function sameRegistration(b: ZwRegisteredBody, identity: ZwIdentity, zw: ZeroWatermark, epoch: number) {
  return (
    b.paramsId === zw.paramsId &&
    b.keyEpoch === epoch &&
    b.identity.consortium === identity.consortium &&
    b.identity.hospital === identity.hospital &&
    b.identity.plane === identity.plane &&
    b.identity.pixelSha256 === identity.pixelSha256
  );
}

/** An existing `zw.registered` entry for this frame's pixels, parameters and epoch, if any. */
export function findRegistration(
  ledger: Ledger,
  identity: ZwIdentity,
  zw: ZeroWatermark,
  epoch: number,
): number | null {
  const hash = Buffer.from(identity.pixelSha256 as string, "hex");
  for (const i of ledger.lookupSourcePixels(hash)) {
    const e = ledger.entry(i).entry;
    if (e.type === "zw.registered" && sameRegistration(e.body as ZwRegisteredBody, identity, zw, epoch))
      return i;
  }
  return null;
}

export async function ensureRegistered(
  ledger: Ledger,
  input: RegisterInput,
  zw: ZeroWatermark,
  keys: ZwKeys,
): Promise<Registration> {
  const entries: number[] = [];
  let created = false;
  for (let f = 0; f < input.facts.image.frames; f++) {
    const identity = zwIdentity(input, f);
    const found = findRegistration(ledger, identity, zw, keys.epoch);
    if (found !== null) {
      entries.push(found);
      continue;
    }
    const share = zw.register(zwPlane(input.facts, f), identity, keys);
    const entry: NewEntry<"zw.registered"> = {
      type: "zw.registered",
      actor: input.actor,
      body: share as unknown as ZwRegisteredBody,
    };
    entries.push((await ledger.appendOne(entry)).index);
    created = true;
  }
  return { entries, created };
}
