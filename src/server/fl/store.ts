// The coordinator's persistence seam over the server database (federated-learning.md §1.8): blobs
// go to <dataDir>/blobs/<sha256> (temporary file, fsync, rename) before the transaction that
// appends the records; the session row mirrors the state for listing.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Blob, SessionRecord, SessionStore } from "../../fl/protocol/index.ts";
import type { DbSchema } from "../db/index.ts";

export class DbSessionStore implements SessionStore {
  private readonly blobDir: string;
  constructor(
    private readonly db: Kysely<DbSchema>,
    dataDir: string,
  ) {
    this.blobDir = join(dataDir, "blobs");
    mkdirSync(this.blobDir, { recursive: true, mode: 0o700 });
  }

  async commit(sessionId: string, records: SessionRecord[], blobs: Blob[]): Promise<void> {
    for (const b of blobs) this.writeBlob(b);
    if (records.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      const last = await tx
        .selectFrom("fl_records")
        .select((eb) => eb.fn.max("idx").as("idx"))
        .where("session_id", "=", sessionId)
        .executeTakeFirst();
      let idx = last?.idx === null || last?.idx === undefined ? 0 : Number(last.idx) + 1;
      await tx
        .insertInto("fl_records")
        .values(records.map((r) => ({ session_id: sessionId, idx: idx++, record: JSON.stringify(r) })))
        .execute();
    });
  }

  async records(sessionId: string): Promise<SessionRecord[]> {
    const rows = await this.db.selectFrom("fl_records").select("record").where("session_id", "=", sessionId).orderBy("idx").execute();
    return rows.map((r) => JSON.parse(r.record) as SessionRecord);
  }

  async blob(sha256: string): Promise<Uint8Array | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const path = join(this.blobDir, sha256);
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
  }

  private writeBlob(b: Blob): void {
    const path = join(this.blobDir, b.sha256);
    if (existsSync(path)) return;
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, b.bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
}
