// The marked copies of a grant on disk: <dataDir>/grants/<grantId>/<SOP Instance UID>.dcm, written
// once (owner-only permissions), deleted with the grant's folder when it is revoked.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

const GRANT_ID = /^[A-Za-z0-9-]{1,64}$/;
const UID = /^[0-9]+(\.[0-9]+)*$/;

export class GrantFiles {
  constructor(private readonly dataDir: string) {}

  private dir(grantId: string): string {
    if (!GRANT_ID.test(grantId)) throw new RangeError(`not a grant id: ${grantId}`);
    return join(this.dataDir, "grants", grantId);
  }

  /** Stores one copy; returns the file name kept in grant_instances. */
  async put(grantId: string, sopInstanceUid: string, bytes: Uint8Array): Promise<string> {
    if (!UID.test(sopInstanceUid) || sopInstanceUid.length > 64) throw new RangeError(`not a UID: ${sopInstanceUid}`);
    const dir = this.dir(grantId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = `${sopInstanceUid}.dcm`;
    await writeFile(join(dir, file), bytes, { mode: 0o600, flag: "wx" });
    return file;
  }

  async get(grantId: string, file: string): Promise<Uint8Array> {
    if (file.includes("/") || file.includes("\\") || file.startsWith(".")) throw new RangeError(`not a stored file name: ${file}`);
    return new Uint8Array(await readFile(join(this.dir(grantId), file)));
  }

  /** Removes a grant's copies (revocation: nothing is left to serve). */
  async remove(grantId: string): Promise<void> {
    await rm(this.dir(grantId), { recursive: true, force: true });
  }
}
