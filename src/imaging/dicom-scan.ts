// A structural walk over a DICOM Part 10 file before dcmjs sees it (PS3.10 §7, PS3.5 §7).
// dcmjs trusts element lengths: a truncated or corrupt file can make it slice past the end,
// return partial data, or allocate huge buffers. This walk checks every length against the bytes
// that remain, nests sequences and items to a bounded depth, and reports the offset it reached.
import { inflateRawSync, inflateSync } from "node:zlib";
import { isDictionarySequence } from "./dcmjs-api.ts";
import { parseError } from "./errors.ts";

export const TS = {
  implicitLE: "1.2.840.10008.1.2",
  explicitLE: "1.2.840.10008.1.2.1",
  deflatedLE: "1.2.840.10008.1.2.1.99",
  explicitBE: "1.2.840.10008.1.2.2",
} as const;

/** VRs with a 2-byte reserved field and a 32-bit length in explicit VR (PS3.5 §7.1.2). */
const LONG_VRS = new Set([
  "OB",
  "OD",
  "OF",
  "OL",
  "OV",
  "OW",
  "SQ",
  "UC",
  "UR",
  "UT",
  "UN",
  "SV",
  "UV",
]);
const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 32;
const ITEM = 0xe000;
const ITEM_DELIM = 0xe00d;
const SEQ_DELIM = 0xe0dd;

interface ElementInfo {
  group: number;
  element: number;
  vr: string;
  valueOffset: number;
  length: number;
  /** Offset after the element, delimiters included. */
  next: number;
  /** Encapsulated Pixel Data: number of fragments after the Basic Offset Table. */
  fragments: number;
}

interface Syntax {
  implicit: boolean;
  little: boolean;
}

export interface DicomScan {
  transferSyntaxUid: string;
  /** Top-level tags of the data set (gggg eeee, upper-case hex), in file order. */
  tags: string[];
  /** The offset just after the meta information group. */
  datasetOffset: number;
  /** Pixel Data (7FE0,0010): undefined length means encapsulated. */
  pixelData?: { offset: number; length: number; encapsulated: boolean; fragments: number };
}

function tagKey(group: number, element: number): string {
  return (
    group.toString(16).padStart(4, "0") + element.toString(16).padStart(4, "0")
  ).toUpperCase();
}

function tagName(group: number, element: number): string {
  const k = tagKey(group, element);
  return `(${k.slice(0, 4)},${k.slice(4)})`;
}

class Walker {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(offset: number, n: number, end: number, what: string): void {
    if (offset + n > end) {
      throw parseError(
        `${this.what}: truncated ${what}: needs ${n} bytes, ${Math.max(0, end - offset)} remain`,
        offset,
      );
    }
  }

  u16(offset: number, s: Syntax): number {
    return this.view.getUint16(offset, s.little);
  }

  u32(offset: number, s: Syntax): number {
    return this.view.getUint32(offset, s.little);
  }

  /** Reads and checks one element at `offset`; sequences and fragments are walked through. */
  element(offset: number, end: number, s: Syntax, depth: number): ElementInfo {
    this.need(offset, 8, end, "element header");
    const group = this.u16(offset, s);
    const element = this.u16(offset + 2, s);
    let vr = "";
    let length: number;
    let valueOffset: number;
    if (s.implicit) {
      length = this.u32(offset + 4, s);
      valueOffset = offset + 8;
      if (isDictionarySequence(group, element)) vr = "SQ";
    } else {
      const c0 = this.bytes[offset + 4];
      const c1 = this.bytes[offset + 5];
      if (c0 < 0x41 || c0 > 0x5a || c1 < 0x41 || c1 > 0x5a) {
        throw parseError(
          `${this.what}: element ${tagName(group, element)} has no valid VR`,
          offset + 4,
        );
      }
      vr = String.fromCharCode(c0, c1);
      if (LONG_VRS.has(vr)) {
        this.need(offset, 12, end, `header of ${tagName(group, element)}`);
        length = this.u32(offset + 8, s);
        valueOffset = offset + 12;
      } else {
        length = this.u16(offset + 6, s);
        valueOffset = offset + 8;
      }
    }
    let next: number;
    let fragments = 0;
    if (length === UNDEFINED) {
      if (group === 0x7fe0 && element === 0x0010) {
        [next, fragments] = this.fragments(valueOffset, end, s);
      } else if (vr === "SQ" || vr === "" || vr === "UN") {
        // An undefined-length UN holds implicit VR little endian content (PS3.5 §6.2.2).
        const inner = vr === "UN" ? { implicit: true, little: true } : s;
        next = this.sequence(valueOffset, end, inner, depth + 1, true);
      } else {
        throw parseError(
          `${this.what}: element ${tagName(group, element)} (${vr}) has undefined length`,
          offset,
        );
      }
    } else {
      this.need(valueOffset, length, end, `value of ${tagName(group, element)}`);
      if (vr === "SQ") this.sequence(valueOffset, valueOffset + length, s, depth + 1, false);
      next = valueOffset + length;
    }
    return { group, element, vr, valueOffset, length, next, fragments };
  }

  /**
   * Walks elements in [offset, end). With `inItem` (an item of undefined length) it stops after
   * the Item Delimitation Item and returns the offset after it.
   */
  dataset(
    offset: number,
    end: number,
    s: Syntax,
    depth: number,
    inItem: boolean,
    onElement?: (e: ElementInfo) => void,
  ): number {
    if (depth > MAX_DEPTH) throw parseError(`${this.what}: sequences nested too deep`, offset);
    while (offset < end) {
      this.need(offset, 8, end, "element header");
      const group = this.u16(offset, s);
      const element = this.u16(offset + 2, s);
      if (group === 0xfffe) {
        if (inItem && element === ITEM_DELIM) {
          this.zeroLength(offset, s);
          return offset + 8;
        }
        throw parseError(
          `${this.what}: unexpected delimiter ${tagName(group, element)} in a data set`,
          offset,
        );
      }
      const e = this.element(offset, end, s, depth);
      onElement?.(e);
      offset = e.next;
    }
    if (inItem) throw parseError(`${this.what}: item without its delimiter`, offset);
    return offset;
  }

  /** Delimitation items have a zero length (PS3.5 §7.5); dcmjs throws on anything else. */
  zeroLength(offset: number, s: Syntax): void {
    if (this.u32(offset + 4, s) !== 0) {
      throw parseError(`${this.what}: delimitation item with a non-zero length`, offset);
    }
  }

  /** Items of a sequence; returns the offset after it. */
  sequence(
    offset: number,
    end: number,
    s: Syntax,
    depth: number,
    undefinedLength: boolean,
  ): number {
    if (depth > MAX_DEPTH) throw parseError(`${this.what}: sequences nested too deep`, offset);
    while (offset < end) {
      this.need(offset, 8, end, "item header");
      const group = this.u16(offset, s);
      const element = this.u16(offset + 2, s);
      const length = this.u32(offset + 4, s);
      if (group === 0xfffe && element === SEQ_DELIM && undefinedLength) {
        this.zeroLength(offset, s);
        return offset + 8;
      }
      if (group !== 0xfffe || element !== ITEM) {
        throw parseError(
          `${this.what}: expected an item, found ${tagName(group, element)} in a sequence`,
          offset,
        );
      }
      if (length === UNDEFINED) {
        offset = this.dataset(offset + 8, end, s, depth + 1, true);
      } else {
        this.need(offset + 8, length, end, "item");
        this.dataset(offset + 8, offset + 8 + length, s, depth + 1, false);
        offset += 8 + length;
      }
    }
    if (undefinedLength) throw parseError(`${this.what}: sequence without its delimiter`, offset);
    return offset;
  }

  /** Encapsulated Pixel Data: Basic Offset Table item, fragments, delimiter (PS3.5 A.4). */
  fragments(offset: number, end: number, s: Syntax): [number, number] {
    let count = 0;
    for (;;) {
      this.need(offset, 8, end, "pixel data fragment header");
      const group = this.u16(offset, s);
      const element = this.u16(offset + 2, s);
      const length = this.u32(offset + 4, s);
      if (group === 0xfffe && element === SEQ_DELIM) {
        this.zeroLength(offset, s);
        return [offset + 8, Math.max(0, count - 1)];
      }
      if (group !== 0xfffe || element !== ITEM || length === UNDEFINED) {
        throw parseError(`${this.what}: malformed pixel data fragment`, offset);
      }
      this.need(offset + 8, length, end, "pixel data fragment");
      offset += 8 + length;
      count++;
    }
  }
}

const LE_EXPLICIT: Syntax = { implicit: false, little: true };

function datasetSyntax(uid: string): Syntax {
  if (uid === TS.implicitLE) return { implicit: true, little: true };
  if (uid === TS.explicitBE) return { implicit: false, little: false };
  return LE_EXPLICIT;
}

/** Upper bound on an inflated data set, so a small deflate bomb cannot exhaust memory. */
const MAX_INFLATED = 512 * 1024 * 1024;

/** Inflates a deflated data set (PS3.5 §A.5: RFC 1951 without a zlib header). */
export function inflateDataset(bytes: Uint8Array): Uint8Array {
  try {
    return inflateRawSync(bytes, { maxOutputLength: MAX_INFLATED });
  } catch {
    try {
      return inflateSync(bytes, { maxOutputLength: MAX_INFLATED });
    } catch (err) {
      throw parseError(`deflated data set does not inflate: ${(err as Error).message}`);
    }
  }
}

/**
 * Checks the Part 10 structure of `bytes`: preamble, meta group, and the data set in its
 * transfer syntax (inflated first when deflated). Throws IMG_PARSE with the offset reached.
 */
export function scanDicom(bytes: Uint8Array): DicomScan {
  if (bytes.length < 132) throw parseError(`file of ${bytes.length} bytes is too short for DICOM`);
  if (bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d) {
    throw parseError("not a DICOM Part 10 file: no 'DICM' at offset 128", 128);
  }
  const file = new Walker(bytes, "DICOM file");
  // The meta group is explicit VR little endian (PS3.10 §7.1); it ends at the first non-0002 tag.
  let offset = 132;
  let transferSyntaxUid: string | undefined;
  while (offset + 8 <= bytes.length && file.u16(offset, LE_EXPLICIT) === 0x0002) {
    const e = file.element(offset, bytes.length, LE_EXPLICIT, 0);
    if (e.element === 0x0010) transferSyntaxUid = uidString(bytes, e.valueOffset, e.length);
    offset = e.next;
  }
  if (!transferSyntaxUid) {
    throw parseError("file meta information has no Transfer Syntax UID (0002,0010)", offset);
  }
  const datasetOffset = offset;
  let walker = file;
  let start = offset;
  if (transferSyntaxUid === TS.deflatedLE) {
    walker = new Walker(inflateDataset(bytes.subarray(offset)), "inflated data set");
    start = 0;
  }
  const tags: string[] = [];
  let pixelData: DicomScan["pixelData"];
  walker.dataset(start, walker.bytes.length, datasetSyntax(transferSyntaxUid), 0, false, (e) => {
    tags.push(tagKey(e.group, e.element));
    if (e.group === 0x7fe0 && e.element === 0x0010) {
      pixelData = {
        offset: e.valueOffset,
        length: e.length,
        encapsulated: e.length === UNDEFINED,
        fragments: e.fragments,
      };
    }
  });
  return { transferSyntaxUid, tags, datasetOffset, pixelData };
}

function uidString(bytes: Uint8Array, offset: number, length: number): string {
  return Buffer.from(bytes.subarray(offset, offset + length))
    .toString("latin1")
    .replace(/[\0 ]+$/, "");
}
