// The demo's training session (issue 7), every step through the HTTP API as a data scientist would
// take it: start a short secure-aggregation session on the three hospitals' chest X-rays, follow it
// round by round, download the released model and score it on the official PneumoniaMNIST test
// split, read through the same DICOM preprocessing the hospitals use.
import { readFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { initBackend } from "../fl/backend.ts";
import { type Dataset, npzDatasets } from "../fl/dataset.ts";
import { imageDataset } from "../fl/images.ts";
import { loadModel } from "../fl/model.ts";
import { evaluate } from "../fl/train.ts";
import { createDicomFromPixels, monochromeImage } from "../imaging/index.ts";
import type { DemoData } from "./data.ts";
import type { DemoPlatform } from "./platform.ts";

/** The dataset every demo hospital declares for training (node.json `training.datasets`). */
export const DEMO_TRAINING_DATASET = { tag: "pneumonia", classes: ["normal", "pneumonia"], modality: ["CR"], bodyPart: ["CHEST"] };

export const DEMO_SESSION = {
  dataset: { tag: DEMO_TRAINING_DATASET.tag, minExamples: 50 },
  rounds: 5,
  localEpochs: 3,
  optimizer: { learningRate: 3e-3 },
  nodes: { min: 3 },
  secureAggregation: { enabled: true },
  seed: "medtrace-demo",
};

interface SessionView {
  state: string;
  round: number;
  modelHash: string | null;
  history: { round: number; metrics: { participants: string[] } }[];
  finalEval: { acc?: number; auc?: number } | null;
}

export interface TrainingStory {
  ok: boolean;
  sessionId: string;
  rounds: number;
  secureAggregation: boolean;
  hospitals: string[];
  modelHash: string;
  accuracy: number;
  auc: number;
  /** What accuracy and AUC were measured on. */
  evaluatedOn: string;
  lines: string[];
}

export async function runTrainingStory(p: DemoPlatform, data: DemoData, say: (line: string) => void = () => undefined): Promise<TrainingStory> {
  const lines: string[] = [];
  const tell = (line: string) => {
    lines.push(line);
    say(line);
  };
  const token = p.logins.scientist.token;
  const created = await p.api.json<{ id: string }>("POST", "/api/sessions", { token, json: DEMO_SESSION });
  tell(`${p.logins.scientist.username} starts training session ${created.id}: ${DEMO_SESSION.rounds} rounds of FedAvg with secure aggregation on ${p.hospitals.length} hospitals' chest X-rays`);
  const view = await followSession(p, created.id, tell);
  if (view.state !== "completed" || !view.modelHash) throw new Error(`training session ${created.id} ended ${view.state}`);
  const zip = (await p.api.call("GET", `/api/sessions/${created.id}/model?format=tfjs`, { token })).bytes;
  const score = data.pneumoniaNpz
    ? { ...(await officialTestScore(zip, readFileSync(data.pneumoniaNpz))), on: "PneumoniaMNIST official test split" }
    : { acc: view.finalEval?.acc ?? Number.NaN, auc: view.finalEval?.auc ?? Number.NaN, on: "the hospitals' validation splits (SYNTHETIC images)" };
  tell(`model released (hash ${view.modelHash.slice(0, 16)}..., recorded in the ledger): ACC ${score.acc.toFixed(3)}, AUC ${score.auc.toFixed(3)} on ${score.on}`);
  const hospitals = [...new Set(view.history.flatMap((h) => h.metrics.participants))].sort();
  return {
    ok: view.history.length === DEMO_SESSION.rounds && Number.isFinite(score.acc),
    sessionId: created.id,
    rounds: view.history.length,
    secureAggregation: DEMO_SESSION.secureAggregation.enabled,
    hospitals,
    modelHash: view.modelHash,
    accuracy: score.acc,
    auc: score.auc,
    evaluatedOn: score.on,
    lines,
  };
}

async function followSession(p: DemoPlatform, id: string, tell: (line: string) => void, timeoutMs = 600_000): Promise<SessionView> {
  const end = Date.now() + timeoutMs;
  let reported = 0;
  for (;;) {
    const view = await p.api.json<SessionView>("GET", `/api/sessions/${id}`, { token: p.logins.scientist.token });
    for (const h of view.history.slice(reported)) tell(`  round ${h.round} aggregated from ${h.metrics.participants.join(", ")}`);
    reported = view.history.length;
    const finished = ["failed", "cancelled"].includes(view.state) || (view.state === "completed" && view.finalEval !== null);
    if (finished) return view;
    if (Date.now() > end) throw new Error(`training session ${id} still ${view.state} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** ACC and AUC of a released tfjs model on the official test split of PneumoniaMNIST. */
export async function officialTestScore(modelZip: Uint8Array, npz: Uint8Array): Promise<{ acc: number; auc: number }> {
  await initBackend("wasm");
  const files = unzipSync(modelZip);
  const modelJson = files["model.json"];
  const weightsBin = files["weights.bin"];
  if (!modelJson || !weightsBin) throw new Error("the released model archive lacks model.json or weights.bin");
  const model = await loadModel({ modelJson: JSON.parse(Buffer.from(modelJson).toString("utf8")), weightsBin });
  try {
    const ev = evaluate(model, officialTestSplit(npz));
    return { acc: ev.acc, auc: ev.auc };
  } finally {
    model.dispose();
  }
}

// Through DICOM and the hospitals' own reader, so the score measures the model, not a difference
// in preprocessing between training and evaluation.
function officialTestSplit(npz: Uint8Array): Dataset {
  const t = npzDatasets(npz).test;
  const per = t.h * t.w;
  const files = new Map<string, Uint8Array>();
  const rows = ["file,label,split"];
  for (let i = 0; i < t.n; i++) {
    const px = Int32Array.from(t.x.subarray(i * per, (i + 1) * per), (v) => Math.round(v * 255));
    files.set(`t${i}.dcm`, createDicomFromPixels(monochromeImage([px], { rows: t.h, cols: t.w, bits: 8 }), { modality: "CR", patientId: `T${i}` }).bytes);
    rows.push(`t${i}.dcm,${t.y[i]},test`);
  }
  const ds = imageDataset(files, rows.join("\n"), { datasetId: "test", classes: DEMO_TRAINING_DATASET.classes, inputSize: t.w });
  if (!ds.test) throw new Error("the official test split is empty");
  return ds.test;
}
