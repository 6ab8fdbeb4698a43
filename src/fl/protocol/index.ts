// Networked federated training, transport-free (federated-learning.md §1.4–1.8, §5, §6.4): the
// server's session coordinator, the node's participant, their frames and the persistence seam.
export {
  cnnOptions,
  parseSessionConfig,
  planHash,
  type SessionConfig,
  type SessionConfigInput,
  sessionConfigSchema,
} from "./config.ts";
export {
  Coordinator,
  type CoordinatorDeps,
  type NodeMessage,
  type Phase,
  type Reply,
  type SessionEvent,
  type Step,
} from "./coordinator.ts";
export { type IncomingTask, type LocalDataset, Participant, type ParticipantOptions } from "./participant.ts";
export {
  type Blob,
  blobOf,
  memoryStore,
  type RoundMetrics,
  type SessionRecord,
  type SessionStatus,
  type SessionStore,
} from "./records.ts";
export { encodeTask, FL_TASK, flTaskHandler, InlineBlobs, taskReplyFrames } from "./hub.ts";
export { type NodeMessageType, type ServerTask, type TaskType, WIRE_STATUS, type WireError, WireRefusal } from "./wire.ts";
