// Robustness: corrupted files give ImagingError (or decode), never another exception or a hang.
// MEDTRACE_NIGHTLY=1 runs 20x more cases.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ImagingError, readImage } from "../../src/imaging/index.ts";
import { dicomBytes } from "./helpers.ts";

const CASES = process.env.MEDTRACE_NIGHTLY === "1" ? 4000 : 200;

/** xorshift32: a seeded generator so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const FILES = [
  ["pydicom", "CT_small.dcm"],
  ["pydicom", "MR_small_implicit.dcm"],
  ["pydicom", "MR_small_bigendian.dcm"],
  ["pydicom", "image_dfl.dcm"],
  ["pydicom", "SC_rgb_rle.dcm"],
  ["codecs", "ct_s16_j2k.dcm"],
  ["codecs", "ct_s16_jpegll70.dcm"],
  ["codecs", "ct_s16_jpegls.dcm"],
  ["codecs", "mr_u16_bs12_jpegll57.dcm"],
] as const;

type Mutation = "truncate" | "flip" | "length" | "garbage";

function mutate(src: Uint8Array, kind: Mutation, r: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(r() * n);
  switch (kind) {
    case "truncate":
      return src.slice(0, pick(src.length));
    case "flip": {
      const out = src.slice();
      // Most of a file is pixel data: aim half of the flips at the header.
      const header = Math.min(out.length, 2048);
      for (let k = 1 + pick(8); k > 0; k--) {
        const at = r() < 0.5 ? pick(header) : pick(out.length);
        out[at] ^= 1 << pick(8);
      }
      return out;
    }
    case "length": {
      // Overwrite a 16 or 32-bit word in the header with an extreme value.
      const out = src.slice();
      const at = 132 + pick(Math.min(out.length, 2048) - 136);
      const v = [0xff, 0x00, 0x7f][pick(3)];
      out.fill(v, at, at + (r() < 0.5 ? 2 : 4));
      return out;
    }
    case "garbage": {
      const out = new Uint8Array(132 + pick(4096));
      for (let i = 0; i < out.length; i++) out[i] = pick(256);
      if (r() < 0.7) out.set([0x44, 0x49, 0x43, 0x4d], 128); // "DICM": get past the sniffing
      return out;
    }
  }
}

test(`${CASES} corrupted DICOM files give ImagingError or decode, never anything else`, {
  timeout: 120_000,
}, () => {
  const sources = FILES.map((f) => dicomBytes(...f));
  const kinds: Mutation[] = ["truncate", "flip", "length", "garbage"];
  const counts = { ok: 0, error: 0 };
  for (let c = 0; c < CASES; c++) {
    const r = rng(0x9e3779b9 ^ c);
    const file = Math.floor(r() * sources.length);
    const kind = kinds[c % kinds.length];
    const bytes = mutate(sources[file], kind, r);
    try {
      readImage(bytes);
      counts.ok++;
    } catch (err) {
      assert.ok(
        err instanceof ImagingError,
        `case ${c} (${kind} of ${FILES[file].join("/")}): ${(err as Error)?.stack ?? err}`,
      );
      counts.error++;
    }
  }
  assert.ok(counts.error > CASES / 4, `only ${counts.error} of ${CASES} corruptions were noticed`);
});

test("every truncation point of MR_small gives IMG_PARSE", () => {
  const src = dicomBytes("pydicom", "MR_small.dcm");
  for (let n = 0; n < src.length; n += 97) {
    assert.throws(
      () => readImage(src.subarray(0, n)),
      (e) =>
        e instanceof ImagingError &&
        (e.code === "IMG_PARSE" || (n < 132 && e.code === "IMG_UNSUPPORTED")),
      `truncated at ${n}`,
    );
  }
});
