// Password hashes: scrypt (RFC 7914) from node:crypto with a per-user random salt, parameters
// stored beside the hash so they can be raised later; compared in constant time.
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

// N = 2^15, r = 8, p = 1: 32 MiB per hash, the OWASP minimum for scrypt (Password Storage Cheat Sheet).
const PARAMS = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, KEY_BYTES, { N, r, p, maxmem: 256 * N * r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS.N, PARAMS.r, PARAMS.p);
  return ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split("$");
  if (alg !== "scrypt" || !salt || !hash) return false;
  const want = Buffer.from(hash, "base64url");
  const got = await derive(password, Buffer.from(salt, "base64url"), Number(n), Number(r), Number(p));
  return got.length === want.length && timingSafeEqual(got, want);
}

// Unknown accounts still cost one scrypt, so response time does not tell which usernames exist.
let dummy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<false> {
  await verifyPassword(password, await (dummy ??= hashPassword(randomBytes(16).toString("hex"))));
  return false;
}

/** One-time passwords (first admin, new accounts): 144 random bits, URL-safe. */
export const oneTimePassword = (): string => randomBytes(18).toString("base64url");
