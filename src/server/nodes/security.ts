// Security events of the node port: every rejected signature, replay, skewed frame or refused
// TLS peer is an audit event; five from one source within ten minutes raise one alert
// (federated-learning.md §5.3; issue 6: mTLS failures).
export interface AuditSink {
  record(e: {
    action: string;
    outcome: "success" | "failure";
    actor: { nodeId?: string; ip?: string };
    entity?: { type: string; id: string };
    detail?: Record<string, unknown>;
  }): Promise<unknown>;
}

export interface AlertSink {
  raise(a: {
    kind: string;
    severity: "info" | "warning" | "critical";
    message: string;
    detail?: Record<string, unknown>;
  }): Promise<unknown>;
}

export const ALERT_THRESHOLD = 5;
export const ALERT_WINDOW_MS = 10 * 60_000;

export class SecurityMonitor {
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly audit: AuditSink | undefined,
    private readonly alerts: AlertSink | undefined,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Records the event; returns true when it raised an alert. */
  event(e: {
    action: string;
    source: { nodeId?: string; ip?: string };
    reason: string;
    detail?: Record<string, unknown>;
  }): boolean {
    this.audit
      ?.record({
        action: e.action,
        outcome: "failure",
        actor: e.source,
        ...(e.source.nodeId ? { entity: { type: "node", id: e.source.nodeId } } : {}),
        detail: { reason: e.reason, ...e.detail },
      })
      .catch(this.onError);
    const key = e.source.nodeId ? `node:${e.source.nodeId}` : `ip:${e.source.ip ?? "?"}`;
    const now = Date.now();
    const times = (this.recent.get(key) ?? []).filter((t) => now - t < ALERT_WINDOW_MS);
    times.push(now);
    if (times.length < ALERT_THRESHOLD) {
      this.recent.set(key, times);
      return false;
    }
    // One alert per burst: the window starts again after raising.
    this.recent.delete(key);
    const who = e.source.nodeId ? `node ${e.source.nodeId}` : `address ${e.source.ip ?? "?"}`;
    this.alerts
      ?.raise({
        kind: e.source.nodeId ? "node.security" : "mtls.failure",
        severity: "warning",
        message: `${ALERT_THRESHOLD} rejected ${e.source.nodeId ? "frames" : "TLS connections"} from ${who} within 10 minutes (last: ${e.reason})`,
        detail: { ...e.source, action: e.action, reason: e.reason },
      })
      .catch(this.onError);
    return true;
  }
}
