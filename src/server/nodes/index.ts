export { HubError, TransportError } from "./errors.ts";
export { serverFlPublicKeyPem, serverFlSigningKey } from "./keys.ts";
export {
  type MessageHandler,
  type NodeHub,
  type NodePort,
  type NodePortOptions,
  startNodePort,
} from "./port.ts";
export { ALERT_THRESHOLD, ALERT_WINDOW_MS, type AlertSink, type AuditSink } from "./security.ts";
export { type Task } from "./wire.ts";
export { startNodeHub } from "./start.ts";
