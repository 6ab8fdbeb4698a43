// Federated training at the edge (issue 7; federated-learning.md §1.3, §4.1–4.3, §6.4): the node's
// datasets are built from its own source (the instances a declared selector matches, labelled from
// labels.csv or the label attribute, preprocessed and split by src/fl/images.ts), a Participant
// signs with the enrolment key and pins the enrolment's server key, and the hospital's training
// policy decides which sessions it joins. Training runs in the participant's worker thread.
import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deriveKey, readMasterFile } from "../crypto/index.ts";
import { initBackend } from "../fl/backend.ts";
import { imageDataset } from "../fl/images.ts";
import { FL_TASK, flTaskHandler, InlineBlobs, type LocalDataset, Participant } from "../fl/protocol/index.ts";
import { nodeIdFromCertificate } from "../server/pki/identity.ts";
import type { NodeConfig } from "./config.ts";
import { SECRET_FILE } from "./config.ts";
import { EdgeError } from "./errors.ts";
import { matchInstances, type TaskHandler } from "./handler.ts";
import type { DataSource } from "./sources/index.ts";
import { refuseSession, type TrainingPolicy } from "./training-policy.ts";

/** The labelled instances each declared selector matches, read and preprocessed into datasets. */
export async function buildTrainingDatasets(source: DataSource, policy: TrainingPolicy, catalogueKey: Uint8Array): Promise<LocalDataset[]> {
  const studies = await source.listStudies();
  const out: LocalDataset[] = [];
  for (const d of policy.datasets) {
    const query = { ...(d.modality ? { modality: d.modality } : {}), ...(d.bodyPart ? { bodyPart: d.bodyPart } : {}) };
    const instances = matchInstances(studies, query, catalogueKey).filter((i) => i.labels.length > 0);
    const files = new Map<string, Uint8Array>();
    const rows = ["sopInstanceUid,label"];
    for (const inst of instances) {
      const label = inst.labels.find((l) => d.classes.includes(l)) ?? inst.labels[0];
      rows.push(`${inst.sopInstanceUid},"${label.replaceAll('"', '""')}"`);
      files.set(inst.sopInstanceUid, await source.readInstance(inst));
    }
    // the dataset id keys the local split (§4.3): stable for this node and tag
    const built = imageDataset(files, rows.join("\n"), { datasetId: d.tag, classes: d.classes, inputSize: d.inputSize });
    out.push({ tag: d.tag, train: built.train, val: built.val });
  }
  return out;
}

/**
 * Peer certificates the server forwards with a task: only keys certified by the pinned consortium
 * CA for this consortium's SPIFFE IDs, and valid now, are kept (§6.4: adverts are verified with them).
 */
export class PeerKeys {
  private readonly keys = new Map<string, KeyObject>();
  constructor(
    private readonly ca: X509Certificate,
    private readonly consortiumId: string,
  ) {}

  add(pems: string[], now = Date.now()): void {
    for (const pem of pems) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(pem);
      } catch {
        continue;
      }
      if (!cert.checkIssued(this.ca) || !cert.verify(this.ca.publicKey)) continue;
      if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) continue;
      const nodeId = nodeIdFromCertificate(cert, this.consortiumId);
      if (nodeId && cert.publicKey.asymmetricKeyType === "ed25519") this.keys.set(nodeId, cert.publicKey);
    }
  }

  readonly get = (nodeId: string): KeyObject | undefined => this.keys.get(nodeId);
}

/** The consortium named by this node's own certificate (spiffe://<consortium>/hospital/<nodeId>). */
function consortiumOf(cert: X509Certificate, nodeId: string): string {
  const m = /URI:spiffe:\/\/([^/,\s]+)\/hospital\//.exec(cert.subjectAltName ?? "");
  if (!m || nodeIdFromCertificate(cert, m[1]) !== nodeId)
    throw new EdgeError("EDGE_CONFIG", `the node certificate does not name ${nodeId}: enrol the node again`);
  return m[1];
}

export interface EdgeTraining {
  /** answers `fl.task`, other tasks go to `next` */
  handle(next: TaskHandler): TaskHandler;
  /** the datasets once built (a rejection names the invalid rows) */
  ready(): Promise<LocalDataset[]>;
  close(): Promise<void>;
}

export function startTraining(cfg: NodeConfig, source: DataSource, catalogueKey: Uint8Array, log: (line: string) => void): EdgeTraining {
  const policy = cfg.training;
  const read = (p: string) => readFileSync(p, "utf8");
  const cert = new X509Certificate(read(cfg.credentials.cert));
  const ca = new X509Certificate(read(cfg.credentials.ca));
  const peers = new PeerKeys(ca, consortiumOf(cert, cfg.nodeId));
  const blobs = new InlineBlobs();
  let made: Promise<{ datasets: LocalDataset[]; participant: Participant }> | undefined;
  // built at start when the hospital offers datasets, else at the first task (to decline it)
  const make = () =>
    (made ??= initBackend("wasm")
      .then(() => buildTrainingDatasets(source, policy, catalogueKey))
      .then((datasets) => ({
        datasets,
        participant: new Participant({
          nodeId: cfg.nodeId,
          signKey: createPrivateKey(read(cfg.credentials.key)),
          // kept with the node identity, never sent: stochastic rounding and DP noise (§1.7)
          nodeSecret: deriveKey(readMasterFile(join(cfg.dir, SECRET_FILE)), "medtrace/v1/edge/fl"),
          serverKey: createPublicKey(read(cfg.credentials.serverKey)),
          peerKey: peers.get,
          datasets,
          approve: (offer) => {
            const reason = refuseSession(policy, offer);
            if (reason) log(`training session ${offer.sessionId} declined: ${reason}`);
            return reason === undefined;
          },
          fetchBlob: blobs.fetch,
        }),
      })));
  if (policy.datasets.length > 0) make().catch((e: Error) => log(`training datasets not available: ${e.message}`));
  return {
    ready: () => make().then((m) => m.datasets),
    handle: (next) => async (task) => {
      if (task.type !== FL_TASK) return next(task);
      const body = task.body as { peers?: unknown };
      if (Array.isArray(body?.peers)) peers.add(body.peers.filter((p): p is string => typeof p === "string").slice(0, 256));
      let p: Participant;
      try {
        p = (await make()).participant;
      } catch {
        throw new EdgeError("EDGE_BAD_TASK", "this node has no valid training dataset");
      }
      return flTaskHandler(p, blobs)(task);
    },
    async close() {
      if (made) await made.then((m) => m.participant.close()).catch(() => {});
    },
  };
}
