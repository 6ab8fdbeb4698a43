export { type Alert, type AlertInput, Alerts, SEVERITIES, type Severity } from "./alerts.ts";
export { SIGNATURE_HEADER, signBody, verifySignature, type Webhook, Webhooks } from "./webhooks.ts";
