// Public surface of the federated-learning engine (federated-learning.md). Pure library: no I/O.
export { type BackendInfo, type BackendName, initBackend, tf, wasmDir } from "./backend.ts";
export {
  classCounts,
  type Dataset,
  head,
  npzDatasets,
  parseSplit,
  partition,
  type Split,
  type SplitName,
  subset,
} from "./dataset.ts";
export { clipUpdate, epsilon, noisyMean, RDP_ORDERS, RdpAccountant } from "./dp.ts";
export { FlError } from "./errors.ts";
export { type EvalReport, evalReport, HIST_BINS, poolReports } from "./fedeval.ts";
export {
  emptyInbox,
  type InboxContext,
  type InboxOutcome,
  type InboxState,
  type NodeIdentity,
  type RoundTicket,
  receiveUpdate,
  sealUpdate,
  statusOf,
} from "./messages.ts";
export { aucOf, rocAuc } from "./metrics.ts";
export { exportOnnx } from "./onnx.ts";
export { cropResize, imageDataset, localSplit, parseCsv } from "./images.ts";
export { inProcessTrainer, type Trainer, workerTrainer } from "./trainer-pool.ts";
export {
  buildCnn,
  type CnnOptions,
  getFlat,
  initialWeights,
  loadModel,
  type ModelArtifacts,
  manifestHash,
  manifestOf,
  modelHash,
  saveModel,
  setFlat,
  type WeightManifest,
} from "./model.ts";
export * as secagg from "./secagg.ts";
export { type SecAggInput, secureAggregateLocal } from "./secagg-local.ts";
export { type RoundReport, type SimConfig, type SimResult, simulate } from "./simulate.ts";
export * from "./strategies/index.ts";
export { evaluate, localTrain, predict, type TrainOptions, type TrainResult } from "./train.ts";
export { type AlertEvent, degraded, detectOutliers, l2, validateUpdate } from "./validate.ts";
