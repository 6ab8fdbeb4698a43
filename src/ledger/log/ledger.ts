// The ledger writer (ledger.md §2, §8.2, §11.2, §14): one in-process append queue over one store,
// batched durable transactions, the right frontier in memory, checkpoint signing with self-check.

import {
  type HeldCheckpoint,
  type VerifyOptions,
  type VerifyReport,
  verifyLog,
} from "../audit/verify-log.ts";
import { parseCanonical } from "../canonical/json.ts";
import type { CheckpointSigner, NoteVerifierKey } from "../checkpoint/keys.ts";
import { formatVkey, keyIdHex, verifierKey } from "../checkpoint/keys.ts";
import { type SignedCheckpoint, signCheckpoint } from "../checkpoint/note.ts";
import {
  advanceTail,
  type ChainTail,
  type Entry,
  type NewEntry,
  sealEntry,
} from "../entry/entry.ts";
import type { EntryType, GenesisBody, KeyEpochBody } from "../entry/schema.ts";
import { validateNew } from "../entry/validate.ts";
import { LedgerError } from "../errors.ts";
import { buildEvidence, type EvidenceBundle } from "../evidence/bundle.ts";
import type { Frontier } from "../merkle/frontier.ts";
import { equalBytes, toBase64, toHex } from "../merkle/hash.ts";
import {
  type Anchor,
  type AnchorFinding,
  type AnchorReceipt,
  checkAnchored,
} from "../anchors/anchor.ts";
import { consistencyProof, inclusionPath, rootOf } from "../merkle/tree.ts";
import { verifyConsistency } from "../merkle/verify.ts";
import type { AppendRow, LedgerStore, ZwIndexRow } from "../store/types.ts";
import { indexRowsOf, type ZwFullbits } from "../trace/rows.ts";
import { loadFrontier, NodeCache, storeSubtree } from "./subtree.ts";

export interface LedgerOptions {
  /** Deployment id; the origin is `<deploymentId>/ledger` (must equal the signer's name). */
  deploymentId: string;
  /** Sign after this many unsigned entries (ledger.md §8.2: 1,000); 0 disables. */
  checkpointEvery?: number;
  /** Sign this long after the first unsigned entry (§8.2: 60 s); 0 disables. */
  checkpointAfterMs?: number;
  /** Largest number of entries per transaction (§11.2: 1,000). */
  batchMax?: number;
  /** Clock, for tests. */
  now?: () => Date;
  zwFullbits?: ZwFullbits;
}

export interface EvidenceExtra {
  suspect?: EvidenceBundle["suspect"];
  findings?: EvidenceBundle["findings"];
  traceEntryIndex?: number;
  /** Checkpoints held elsewhere (edge, anchor, earlier bundle) to prove consistency from. */
  held?: HeldCheckpoint[];
  anchors?: EvidenceBundle["anchors"];
}

export interface Appended {
  index: number;
  leafHash: Uint8Array;
}

export interface StoredEntry {
  index: number;
  entry: Entry;
  bytes: Uint8Array;
  leafHash: Uint8Array;
}

interface Pending {
  entries: NewEntry[];
  resolve: (r: Appended[]) => void;
  reject: (e: unknown) => void;
}

export class Ledger {
  readonly origin: string;
  private readonly store: LedgerStore;
  private signer: CheckpointSigner;
  private readonly opts: Required<Omit<LedgerOptions, "zwFullbits">> & { zwFullbits?: ZwFullbits };
  private tail: ChainTail;
  private frontier: Frontier;
  private signedSize: number;
  private queue: Pending[] = [];
  private scheduled = false;
  private draining: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly cache = new NodeCache();

  private constructor(store: LedgerStore, signer: CheckpointSigner, opts: LedgerOptions) {
    this.store = store;
    this.signer = signer;
    this.origin = `${opts.deploymentId}/ledger`;
    this.opts = {
      checkpointEvery: 1000,
      checkpointAfterMs: 60_000,
      batchMax: 1000,
      now: () => new Date(),
      ...opts,
    };
    const size = store.size();
    const last = size > 0 ? store.entry(size - 1) : null;
    this.tail = {
      size,
      lastHash: last?.leafHash ?? null,
      lastTime: last?.time ?? null,
    };
    this.frontier = loadFrontier(store, size);
    this.signedSize = store.latestCheckpoint()?.treeSize ?? 0;
  }

  /**
   * Opens the log; an empty store receives its genesis entry and the checkpoint of size 1.
   * At start-up the tail is checked against the latest checkpoint (ledger.md §11.2).
   */
  static async open(
    store: LedgerStore,
    signer: CheckpointSigner,
    opts: LedgerOptions,
  ): Promise<Ledger> {
    const l = new Ledger(store, signer, opts);
    if (signer.name !== l.origin)
      throw new LedgerError("LEDGER_SCHEMA", `signer name '${signer.name}' is not the origin`);
    if (l.tail.size === 0) {
      await l.append([
        {
          type: "log.genesis",
          actor: "system",
          body: {
            origin: l.origin,
            deploymentId: opts.deploymentId,
            hashAlg: "sha256",
            schema: 1,
            logKey: {
              name: signer.name,
              publicKey: toBase64(signer.publicKey),
              keyId: keyIdHex(signer),
            },
          },
        },
      ]);
      await l.checkpoint();
    } else {
      const cp = store.latestCheckpoint();
      if (cp) {
        if (cp.treeSize > l.tail.size)
          throw new LedgerError("LEDGER_TRUNCATED", `checkpoint ${cp.treeSize} > log size`, {
            size: cp.treeSize,
          });
        if (!equalBytes(l.rootAt(cp.treeSize), cp.rootHash))
          throw new LedgerError(
            "LEDGER_ROOT_MISMATCH",
            "stored tail disagrees with the checkpoint",
            {
              size: cp.treeSize,
            },
          );
      }
    }
    return l;
  }

  get size(): number {
    return this.tail.size;
  }

  /** The key that signs this epoch's checkpoints. */
  get verifierKey(): NoteVerifierKey {
    return { name: this.signer.name, keyId: this.signer.keyId, publicKey: this.signer.publicKey };
  }

  /** The root of the key chain: the checkpoint key announced by the genesis entry. */
  get genesisKey(): NoteVerifierKey {
    const logKey = (this.entry(0).entry.body as KeyEpochBody | GenesisBody).logKey!;
    return verifierKey(logKey.name, new Uint8Array(Buffer.from(logKey.publicKey, "base64")));
  }

  /**
   * Key rotation (ledger.md §7.3): appends the `key.epoch` entry announcing `next`, signs a
   * checkpoint covering it with the current key (so the announcement is vouched for by the
   * previous epoch), then signs with `next` from here on.
   */
  async rotate(next: CheckpointSigner, body: KeyEpochBody): Promise<Appended> {
    if (next.name !== this.origin)
      throw new LedgerError("LEDGER_SCHEMA", `signer name '${next.name}' is not the origin`);
    const announced = body.logKey;
    if (
      announced.name !== next.name ||
      announced.publicKey !== toBase64(next.publicKey) ||
      announced.keyId !== keyIdHex(next)
    )
      throw new LedgerError("LEDGER_SCHEMA", "key.epoch logKey is not the next signer's key");
    const appended = await this.appendOne({ type: "key.epoch", actor: "system", body });
    await this.checkpoint();
    this.signer = next;
    return appended;
  }

  /**
   * Appends entries atomically: the promise resolves after COMMIT with each entry's index and
   * leaf hash. Schema errors reject at once; concurrent callers share one transaction.
   */
  append(entries: NewEntry[]): Promise<Appended[]> {
    if (this.closed) return Promise.reject(new LedgerError("LEDGER_CLOSED", "ledger is closed"));
    try {
      for (const e of entries) validateNew(e.type, e.actor, e.body);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ entries, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.draining = this.drain();
        });
      }
    });
  }

  /** Convenience: one entry. */
  async appendOne<T extends EntryType>(e: NewEntry<T>): Promise<Appended> {
    const [r] = await this.append([e as NewEntry]);
    return r;
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch: Pending[] = [];
      let n = 0;
      while (
        this.queue.length > 0 &&
        (batch.length === 0 || n + this.queue[0].entries.length <= this.opts.batchMax)
      ) {
        const p = this.queue.shift()!;
        batch.push(p);
        n += p.entries.length;
      }
      try {
        const results = this.commit(batch.flatMap((p) => p.entries));
        let o = 0;
        for (const p of batch) {
          p.resolve(results.slice(o, o + p.entries.length));
          o += p.entries.length;
        }
      } catch (err) {
        // One caller's failure (e.g. a duplicate token) must not fail the others: retry alone.
        if (batch.length === 1) batch[0].reject(err);
        else
          for (const p of batch) {
            try {
              p.resolve(this.commit(p.entries));
            } catch (e) {
              p.reject(e);
            }
          }
      }
    }
    this.afterAppend();
  }

  /** One transaction; the in-memory tail and frontier move only after COMMIT. */
  private commit(entries: NewEntry[]): Appended[] {
    let tail = this.tail;
    const frontier = this.frontier.clone();
    const rows: AppendRow[] = [];
    const now = this.opts.now();
    for (const e of entries) {
      const sealed = sealEntry(e, tail, now, true);
      rows.push({
        row: {
          index: sealed.entry.index,
          time: sealed.entry.time,
          type: sealed.entry.type,
          body: sealed.bytes,
          prevHash: tail.lastHash ?? new Uint8Array(32),
          leafHash: sealed.leafHash,
        },
        nodes: frontier.push(sealed.leafHash),
        index: indexRowsOf(sealed.entry, this.opts.zwFullbits),
      });
      tail = advanceTail(tail, sealed);
    }
    this.store.append(rows);
    this.tail = tail;
    this.frontier = frontier;
    for (const r of rows)
      for (const n of r.nodes) if (n.level >= NodeCache.PINNED) this.cache.set(n.level, n.idx, n.hash);
    return rows.map((r) => ({ index: r.row.index, leafHash: r.row.leafHash }));
  }

  private afterAppend(): void {
    const unsigned = this.tail.size - this.signedSize;
    if (unsigned <= 0 || this.closed) return;
    if (this.opts.checkpointEvery > 0 && unsigned >= this.opts.checkpointEvery) {
      try {
        this.signNow();
      } catch {
        // Left unsigned: the next explicit checkpoint() reports the cause to its caller.
      }
    } else if (this.opts.checkpointAfterMs > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.closed) void this.checkpoint().catch(() => {});
      }, this.opts.checkpointAfterMs);
      this.timer.unref();
    }
  }

  /** Waits until every queued append is committed. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.draining;
    }
    await this.draining;
  }

  /** Signs a checkpoint of the current size if the tree grew; returns the latest checkpoint. */
  async checkpoint(): Promise<SignedCheckpoint> {
    await this.flush();
    if (this.tail.size > this.signedSize) this.signNow();
    return this.latestCheckpoint()!;
  }

  private signNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const size = this.tail.size;
    const root = this.frontier.root();
    const prev = this.store.latestCheckpoint();
    // Never sign a checkpoint inconsistent with an earlier one (ledger.md §8.1, self-check).
    if (prev) {
      const proof = consistencyProof(this.subtree(), prev.treeSize, size);
      try {
        verifyConsistency(prev.treeSize, size, prev.rootHash, root, proof);
      } catch (err) {
        throw new LedgerError(
          "LEDGER_INCONSISTENT",
          `refusing to sign: ${(err as Error).message}`,
          {
            size: prev.treeSize,
          },
        );
      }
    }
    const cp = signCheckpoint(this.signer, { origin: this.origin, size, root });
    this.store.addCheckpoint({
      treeSize: size,
      rootHash: root,
      note: cp.note,
      keyId: cp.keyId,
      createdAt: this.opts.now().toISOString(),
    });
    this.signedSize = size;
  }

  private subtree() {
    return storeSubtree(this.store, this.cache);
  }

  latestCheckpoint(): SignedCheckpoint | null {
    const r = this.store.latestCheckpoint();
    return r
      ? { origin: this.origin, size: r.treeSize, root: r.rootHash, note: r.note, keyId: r.keyId }
      : null;
  }

  /** The stored checkpoint of exactly this size, if one was signed. */
  checkpointAt(size: number): SignedCheckpoint | null {
    const r = this.store.checkpoints().find((c) => c.treeSize === size);
    return r
      ? { origin: this.origin, size: r.treeSize, root: r.rootHash, note: r.note, keyId: r.keyId }
      : null;
  }

  entry(index: number): StoredEntry {
    const r = this.store.entry(index);
    if (!r) throw new LedgerError("LEDGER_NOT_FOUND", `no entry ${index}`, { index });
    return {
      index,
      entry: parseCanonical(r.body) as unknown as Entry,
      bytes: r.body,
      leafHash: r.leafHash,
    };
  }

  rootAt(size: number): Uint8Array {
    this.checkSize(size);
    return size === this.tail.size ? this.frontier.root() : rootOf(this.subtree(), size);
  }

  inclusionProof(index: number, size = this.tail.size): Uint8Array[] {
    this.checkSize(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size)
      throw new LedgerError("LEDGER_NOT_FOUND", `index ${index} is not below size ${size}`, {
        index,
      });
    return inclusionPath(this.subtree(), index, size);
  }

  consistencyProof(from: number, to = this.tail.size): Uint8Array[] {
    this.checkSize(to);
    if (!Number.isSafeInteger(from) || from < 0 || from > to)
      throw new LedgerError("LEDGER_NOT_FOUND", `size ${from} is not within 0..${to}`, {
        size: from,
      });
    return from === 0 ? [] : consistencyProof(this.subtree(), from, to);
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.tail.size)
      throw new LedgerError("LEDGER_NOT_FOUND", `tree size ${size} exceeds ${this.tail.size}`, {
        size,
      });
  }

  /** Full audit (ledger.md §12); trusts this ledger's own key unless told otherwise. */
  async verify(opts: VerifyOptions = {}): Promise<VerifyReport> {
    await this.flush();
    return verifyLog(this.store, { trustedKeys: [this.genesisKey], ...opts });
  }

  // Trace index (ledger.md §9).
  lookupMarkedPixels(pixelSha256: Uint8Array): number | null {
    return this.store.findMarkedPixels(pixelSha256);
  }
  lookupToken(token: Uint8Array): number | null {
    return this.store.findToken(token);
  }
  lookupSourcePixels(pixelSha256: Uint8Array): number[] {
    return this.store.findSourcePixels(pixelSha256);
  }
  lookupShare(share: Uint8Array): number[] {
    return this.store.findShare(share);
  }
  zwCandidates(paramsId?: string): ZwIndexRow[] {
    return this.store.zwCandidates(paramsId);
  }
  /** Entries of a type, optionally filtered, in index order (a scan: for tools, not hot paths). */
  *scan(from = 0, chunk = 10_000): Generator<StoredEntry> {
    for (let i = from; ; ) {
      const rows = this.store.entries(i, chunk);
      if (rows.length === 0) return;
      for (const r of rows)
        yield {
          index: r.index,
          entry: parseCanonical(r.body) as unknown as Entry,
          bytes: r.body,
          leafHash: r.leafHash,
        };
      i = rows[rows.length - 1].index + 1;
    }
  }

  /** Rebuilds the trace index from the log (ledger.md §9). */
  async rebuildIndex(zwFullbits = this.opts.zwFullbits): Promise<void> {
    await this.flush();
    this.store.rebuildIndex(this.indexSource(zwFullbits));
  }

  /** Rebuilds into scratch tables and compares; INDEX_MISMATCH names the differing tables. */
  async checkIndex(zwFullbits = this.opts.zwFullbits): Promise<{ ok: boolean; differs: string[] }> {
    await this.flush();
    this.store.rebuildIndex(this.indexSource(zwFullbits), true);
    const live = this.store.indexDigest(false);
    const fresh = this.store.indexDigest(true);
    const differs = Object.keys(live).filter((k) => live[k] !== fresh[k]);
    return { ok: differs.length === 0, differs };
  }

  // The index is derived from entries the audit checks; here they are only parsed.
  private *indexSource(zwFullbits?: ZwFullbits) {
    for (let i = 0; ; ) {
      const rows = this.store.entries(i, 10_000);
      if (rows.length === 0) return;
      for (const r of rows) {
        if (r.type !== "image.shared" && r.type !== "zw.registered") continue;
        const entry = JSON.parse(Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength).toString("utf8")) as Entry;
        yield { index: r.index, rows: indexRowsOf(entry, zwFullbits) };
      }
      i = rows[rows.length - 1].index + 1;
    }
  }

  /**
   * Evidence bundle for `indices` (ledger.md §10.2): signs a checkpoint covering them if needed,
   * adds consistency proofs from held checkpoints. Verify with verifyEvidence(bundle, vkey).
   */
  async evidence(indices: readonly number[], extra: EvidenceExtra = {}): Promise<EvidenceBundle> {
    const cp = await this.checkpoint();
    const all = [
      ...new Set([
        ...indices,
        ...(extra.traceEntryIndex !== undefined ? [extra.traceEntryIndex] : []),
      ]),
    ].sort((a, b) => a - b);
    const sub = this.subtree();
    return buildEvidence({
      vkey: formatVkey(this.signer),
      checkpoint: cp,
      entries: all.map((i) => ({
        index: i,
        bytes: this.entry(i).bytes,
        proof: inclusionPath(sub, i, cp.size),
      })),
      consistency: extra.held?.map((h) => ({
        fromSize: h.size,
        fromRoot: h.root,
        source: h.source ?? "held",
        proof: this.consistencyProof(h.size, cp.size),
      })),
      anchors: extra.anchors,
      suspect: extra.suspect,
      findings: extra.findings,
      traceEntryIndex: extra.traceEntryIndex,
    });
  }

  /**
   * Publishes the current checkpoint to an anchor if the tree grew since the last anchor
   * (ledger.md §13.4), stores the receipt, and optionally logs `checkpoint.anchored`.
   */
  async anchor(anchor: Anchor, opts: { logEntry?: boolean } = {}): Promise<AnchorReceipt | null> {
    const cp = await this.checkpoint();
    const last = this.store.anchors().at(-1);
    if (last && last.treeSize >= cp.size) return null;
    const r = await anchor.publish(cp);
    this.store.addAnchor({ ...r, rootHash: r.root, createdAt: this.opts.now().toISOString() });
    if (opts.logEntry)
      await this.appendOne({
        type: "checkpoint.anchored",
        actor: "system",
        body: {
          treeSize: r.treeSize,
          rootHash: toHex(r.root),
          chainId: r.chainId,
          contract: r.contract,
          txHash: r.txHash,
          blockNumber: r.blockNumber,
        },
      });
    return r;
  }

  /** Every checkpoint the anchor holds must match the log (§13.4 verification). */
  async checkAnchors(anchor: Anchor): Promise<AnchorFinding[]> {
    await this.flush();
    const list = await anchor.list();
    return checkAnchored(list, (s) => (s <= this.tail.size ? this.rootAt(s) : null));
  }

  get vkey(): string {
    return formatVkey(this.signer);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
