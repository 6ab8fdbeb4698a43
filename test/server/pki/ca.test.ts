import assert from "node:assert/strict";
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { masterSecret } from "../../../src/crypto/keys.ts";
import { x509 } from "../../../src/crypto/x509.ts";
import {
  createNodeKeyAndCsr,
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  hasExtendedKeyUsage,
  initCa,
  issueServerCertificate,
  keyFingerprint,
  loadCa,
  nodeIdFromCertificate,
  signNodeCsr,
} from "../../../src/server/pki/index.ts";

const master = masterSecret(randomBytes(32), "test.medtrace");

describe("consortium CA", () => {
  test("is sealed at rest, reloads with the master secret and not with another", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mt-ca-"));
    const { ca, created, path } = await initCa(dir, master, "c1");
    assert.equal(created, true);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, "utf8");
    assert.doesNotMatch(text, /PRIVATE KEY/);
    const again = await initCa(dir, master, "c1");
    assert.equal(again.created, false);
    assert.equal(again.ca.certPem, ca.certPem);
    const other = masterSecret(randomBytes(32), "test.medtrace");
    await assert.rejects(loadCa(dir, other), { code: "SEALED_OPEN" });
    await assert.rejects(initCa(dir, master, "c2"), { code: "ca-consortium" });
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal((cert.publicKey.asymmetricKeyDetails ?? {}).namedCurve, "prime256v1");
  });

  test("issues a server certificate for the host with EKU serverAuth", async () => {
    const { ca } = await initCa(mkdtempSync(join(tmpdir(), "mt-ca-")), master, "c1");
    const creds = await issueServerCertificate(ca, ["127.0.0.1", "localhost"]);
    const cert = new X509Certificate(creds.certPem);
    assert.equal(cert.checkIssued(new X509Certificate(ca.certPem)), true);
    assert.equal(cert.verify(new X509Certificate(ca.certPem).publicKey), true);
    assert.equal(cert.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(cert.checkHost("localhost"), "localhost");
    assert.equal(cert.checkHost("evil.example"), undefined);
    assert.ok(hasExtendedKeyUsage(cert, EKU_SERVER_AUTH));
    assert.ok(!hasExtendedKeyUsage(cert, EKU_CLIENT_AUTH));
    assert.equal(cert.ca, false);
    assert.ok(createPrivateKey(creds.keyPem));
  });

  test("certifies a node's Ed25519 CSR with its SPIFFE ID and EKU clientAuth", async () => {
    const { ca } = await initCa(mkdtempSync(join(tmpdir(), "mt-ca-")), master, "c1");
    const { keyPem, csrPem } = await createNodeKeyAndCsr("hosp-a");
    const issued = await signNodeCsr(ca, csrPem, "hosp-a");
    const cert = new X509Certificate(issued.certPem);
    assert.equal(cert.subjectAltName, "URI:spiffe://c1/hospital/hosp-a");
    assert.equal(nodeIdFromCertificate(cert, "c1"), "hosp-a");
    assert.equal(nodeIdFromCertificate(cert, "c2"), undefined);
    assert.ok(hasExtendedKeyUsage(cert, EKU_CLIENT_AUTH));
    assert.equal(cert.publicKey.asymmetricKeyType, "ed25519");
    assert.equal(keyFingerprint(cert), keyFingerprint(createPrivateKey(keyPem)));
    assert.equal(cert.serialNumber.toLowerCase(), issued.serial.toLowerCase());
    assert.equal(cert.verify(new X509Certificate(ca.certPem).publicKey), true);
  });

  test("refuses CSRs that are not Ed25519, not PKCS#10 or not self-signed", async () => {
    const { ca } = await initCa(mkdtempSync(join(tmpdir(), "mt-ca-")), master, "c1");
    await assert.rejects(signNodeCsr(ca, "garbage", "hosp-a"), { code: "bad-csr" });
    const ec = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=x",
      keys: (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
        "sign",
        "verify",
      ])) as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]["keys"],
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    });
    await assert.rejects(signNodeCsr(ca, ec.toString("pem"), "hosp-a"), /Ed25519/);
    // Proof of possession: a CSR whose signature was made by another key is refused.
    const { csrPem } = await createNodeKeyAndCsr("hosp-a");
    const der = Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).rawData);
    der[der.length - 1] ^= 1;
    await assert.rejects(
      signNodeCsr(ca, x509.PemConverter.encode(der, "CERTIFICATE REQUEST"), "hosp-a"),
      { code: "bad-csr" },
    );
    await assert.rejects(signNodeCsr(ca, csrPem, "Bad Id!"), { code: "bad-node-id" });
  });
});
