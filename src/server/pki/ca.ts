// The consortium CA. Algorithm: ECDSA P-256 with SHA-256. Node certificates carry Ed25519 keys
// (the mTLS key is the frame-signing key, §5.2), but the CA's own signature is read by every TLS
// stack and HSM the consortium may meet; P-256 is supported by all of them (FIPS 186-4), while
// Ed25519 signatures on certificates are still refused by some (older OpenSSL, many PKCS#11
// tokens). The spec's TLS measurements were taken with a P-256 CA.
// The private key is stored only sealed (A256GCM, key K("medtrace/v1/pki/ca-seal/e1")).
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openAtRest, type SealedAtRest, sealAtRest } from "../../crypto/at-rest.ts";
import { deriveEpochKey, type MasterSecret } from "../../crypto/keys.ts";
import { subtle, x509 } from "../../crypto/x509.ts";
import { PkiError } from "./errors.ts";
import { assertConsortiumId, keyFingerprint } from "./identity.ts";

export const CA_ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const CA_SEAL_LABEL = "medtrace/v1/pki/ca-key";
const CA_VALIDITY_DAYS = 3650;
const DAY_MS = 86_400_000;
// Certificates start slightly in the past so a node whose clock lags a little accepts them.
export const BACKDATE_MS = 5 * 60_000;

type CryptoKeyT = Awaited<ReturnType<typeof subtle.importKey>>;

export interface ConsortiumCa {
  consortiumId: string;
  cert: x509.X509Certificate;
  certPem: string;
  privateKey: CryptoKeyT;
}

interface CaFile {
  format: "medtrace-ca/v1";
  consortiumId: string;
  certPem: string;
  key: SealedAtRest;
}

export function caFilePath(dataDir: string): string {
  return join(dataDir, "pki", "ca.json");
}

/** Random positive 128-bit serial (RFC 5280 §4.1.2.2: at most 20 octets, positive). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x01;
  return b.toString("hex");
}

export async function createCa(consortiumId: string, now = new Date()): Promise<ConsortiumCa> {
  assertConsortiumId(consortiumId);
  const keys = (await subtle.generateKey(CA_ALG, true, ["sign", "verify"])) as {
    publicKey: CryptoKeyT;
    privateKey: CryptoKeyT;
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=medtrace consortium CA ${consortiumId}, O=${consortiumId}`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: CA_ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { consortiumId, cert, certPem: cert.toString("pem"), privateKey: keys.privateKey };
}

function sealKey(master: MasterSecret): Uint8Array {
  return deriveEpochKey(master, "pki/ca-seal", 1);
}

export async function saveCa(dataDir: string, ca: ConsortiumCa, master: MasterSecret): Promise<string> {
  const path = caFilePath(dataDir);
  if (existsSync(path))
    throw new PkiError("ca-exists", `${path} already exists; refusing to replace the consortium CA`);
  const pkcs8 = new Uint8Array(await subtle.exportKey("pkcs8", ca.privateKey));
  const file: CaFile = {
    format: "medtrace-ca/v1",
    consortiumId: ca.consortiumId,
    certPem: ca.certPem,
    key: sealAtRest(sealKey(master), pkcs8, `${CA_SEAL_LABEL}/${ca.consortiumId}`),
  };
  pkcs8.fill(0);
  mkdirSync(join(dataDir, "pki"), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  return path;
}

export async function loadCa(dataDir: string, master: MasterSecret): Promise<ConsortiumCa> {
  const path = caFilePath(dataDir);
  let file: Partial<CaFile>;
  try {
    file = JSON.parse(readFileSync(path, "utf8")) as Partial<CaFile>;
  } catch {
    throw new PkiError("ca-missing", `no consortium CA at ${path}; run 'medtrace ca init'`);
  }
  if (file.format !== "medtrace-ca/v1" || !file.certPem || !file.key || !file.consortiumId)
    throw new PkiError("ca-format", `${path} is not a medtrace-ca/v1 file`);
  const pkcs8 = openAtRest(sealKey(master), file.key, `${CA_SEAL_LABEL}/${file.consortiumId}`);
  const privateKey = await subtle.importKey("pkcs8", pkcs8, CA_ALG, false, ["sign"]);
  pkcs8.fill(0);
  const cert = new x509.X509Certificate(file.certPem);
  return { consortiumId: file.consortiumId, cert, certPem: file.certPem, privateKey };
}

/** Creates and saves a CA unless one exists; returns it either way. */
export async function initCa(
  dataDir: string,
  master: MasterSecret,
  consortiumId: string,
): Promise<{ ca: ConsortiumCa; created: boolean; path: string }> {
  const path = caFilePath(dataDir);
  if (existsSync(path)) {
    const ca = await loadCa(dataDir, master);
    if (ca.consortiumId !== consortiumId)
      throw new PkiError(
        "ca-consortium",
        `the CA at ${path} belongs to consortium '${ca.consortiumId}', not '${consortiumId}'`,
      );
    return { ca, created: false, path };
  }
  const ca = await createCa(consortiumId);
  await saveCa(dataDir, ca, master);
  return { ca, created: true, path };
}

export function caFingerprint(ca: ConsortiumCa): string {
  return keyFingerprint(createPublicKey(ca.certPem));
}

export function pkcs8Pem(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

export function keyObjectFromPkcs8(der: ArrayBuffer): KeyObject {
  return createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
}
