// Edge side of federated training: datasets built from the node's own DICOM folder by the declared
// selector and labels.csv, the hospital's policy over session plans, and peer keys accepted only
// when certified by the pinned consortium CA.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { writeHospitalFolders } from "../../src/demo/hospitals.ts";
import { FolderSource } from "../../src/edge/sources/folder.ts";
import { buildTrainingDatasets, PeerKeys } from "../../src/edge/training.ts";
import { refuseSession, trainingPolicySchema } from "../../src/edge/training-policy.ts";
import { parseSessionConfig } from "../../src/fl/protocol/index.ts";
import { createCa, createNodeKeyAndCsr, signNodeCsr } from "../../src/server/pki/index.ts";
import { dataRoot } from "../../src/util/data-path.ts";

const root = mkdtempSync(join(tmpdir(), "medtrace-edge-training-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("edge training", () => {
  test("the selector picks the labelled chest images of the folder, preprocessed and split by patient", async () => {
    const [folder] = writeHospitalFolders({ origin: "env", pneumoniaNpz: join(dataRoot(), "pneumoniamnist", "pneumoniamnist.npz"), description: "test" }, root, { count: 1, chestPerNode: 60 });
    const source = new FolderSource(folder.dir);
    const policy = trainingPolicySchema.parse({ datasets: [{ tag: "pneumonia", classes: ["normal", "pneumonia"], modality: ["CR"], bodyPart: ["CHEST"] }] });
    const [d] = await buildTrainingDatasets(source, policy, new Uint8Array(32));
    assert.equal(d.tag, "pneumonia");
    assert.equal(d.train.n + (d.val?.n ?? 0), 60, "every chest image, no CT slice");
    assert.ok((d.val?.n ?? 0) > 0 && (d.val?.n ?? 0) < 20, `a ~10% validation split, got ${d.val?.n}`);
    assert.equal(d.train.h, 28);
    assert.equal(d.train.classes, 2);
    assert.ok(d.train.x.every((v) => v >= 0 && v <= 1));
    const counts = [0, 0];
    for (const y of d.train.y) counts[y]++;
    assert.ok(counts[0] > 0 && counts[1] > 0, `both classes: ${counts}`);
    // the split is deterministic: the same folder gives the same datasets
    const [again] = await buildTrainingDatasets(source, policy, new Uint8Array(32));
    assert.deepEqual(again.train.y, d.train.y);
    // a label outside the declared classes makes the dataset invalid, naming the row
    writeFileSync(join(folder.dir, "labels.csv"), "file,label\nchest/xray-0001.dcm,covid\n");
    const relabelled = new FolderSource(folder.dir);
    const bad = trainingPolicySchema.parse({ datasets: [{ tag: "p", classes: ["normal", "pneumonia"], modality: ["CR"] }] });
    await assert.rejects(buildTrainingDatasets(relabelled, bad, new Uint8Array(32)), /unknown label 'covid'/);
    await source.close();
    await relabelled.close();
  });

  test("the hospital's policy declines sessions it does not allow", () => {
    const policy = trainingPolicySchema.parse({ datasets: [{ tag: "pneumonia", classes: ["normal", "pneumonia"] }], maxRounds: 20 });
    const plan = (over: object) => ({ planHash: "a".repeat(64), config: parseSessionConfig({ dataset: { tag: "pneumonia" }, ...over }) });
    assert.equal(refuseSession(policy, plan({})), undefined);
    assert.match(refuseSession(policy, plan({ dataset: { tag: "ct" } })) ?? "", /no dataset tagged "ct"/);
    assert.match(refuseSession(policy, plan({ secureAggregation: { enabled: false }, nodes: { min: 2 } })) ?? "", /secure aggregation/);
    assert.match(refuseSession(policy, plan({ rounds: 21 })) ?? "", /allows 20/);
    assert.match(refuseSession({ ...policy, enabled: false }, plan({})) ?? "", /disabled/);
    assert.match(refuseSession({ ...policy, approvedPlans: ["b".repeat(64)] }, plan({})) ?? "", /approvals/);
    assert.equal(refuseSession({ ...policy, approvedPlans: ["a".repeat(64)] }, plan({})), undefined);
  });

  test("peer keys: only certificates of the pinned CA for this consortium", async () => {
    const ca = await createCa("test.medtrace");
    const rogue = await createCa("test.medtrace");
    const other = await createCa("other.medtrace");
    const cert = async (c: typeof ca, nodeId: string) => (await signNodeCsr(c, (await createNodeKeyAndCsr(nodeId)).csrPem, nodeId)).certPem;
    const peers = new PeerKeys(new X509Certificate(ca.certPem), "test.medtrace");
    peers.add([await cert(ca, "hospital-a"), await cert(rogue, "hospital-b"), await cert(other, "hospital-c"), "not a certificate"]);
    assert.equal(peers.get("hospital-a")?.asymmetricKeyType, "ed25519");
    assert.equal(peers.get("hospital-b"), undefined, "signed by another CA");
    assert.equal(peers.get("hospital-c"), undefined, "another consortium");
    const expired = new PeerKeys(new X509Certificate(ca.certPem), "test.medtrace");
    expired.add([await cert(ca, "hospital-d")], Date.now() + 400 * 86_400_000);
    assert.equal(expired.get("hospital-d"), undefined, "expired");
  });
});
