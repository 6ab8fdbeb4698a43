// Login throttling: a per-address rate limit (429), a per-account lock-out after repeated
// failures (alert `auth.lockout`) and a per-address failure burst across accounts (alert
// `auth.failed-login-burst`). Counters live in memory: they protect one process, the lock itself
// is stored with the account.
import type { LoginPolicy } from "../config.ts";

class Window {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly ms: number) {}

  add(key: string, now: number): number {
    const list = this.prune(key, now);
    list.push(now);
    this.hits.set(key, list);
    return list.length;
  }

  count(key: string, now: number): number {
    return this.prune(key, now).length;
  }

  clear(key: string): void {
    this.hits.delete(key);
  }

  private prune(key: string, now: number): number[] {
    const list = (this.hits.get(key) ?? []).filter((t) => now - t < this.ms);
    if (list.length === 0) this.hits.delete(key);
    else this.hits.set(key, list);
    return list;
  }
}

export class LoginGuard {
  private readonly attemptsByIp = new Window(60_000);
  private readonly failuresByUser: Window;
  private readonly failuresByIp: Window;
  private readonly burstReported = new Map<string, number>();

  constructor(private readonly policy: LoginPolicy) {
    this.failuresByUser = new Window(policy.windowMs);
    this.failuresByIp = new Window(policy.windowMs);
  }

  /** Counts an attempt; false when the address is over its rate. */
  allowAttempt(ip: string, now = Date.now()): boolean {
    return this.attemptsByIp.add(ip, now) <= this.policy.perIpPerMinute;
  }

  /** Records a failure; says whether the account must now be locked and a burst reported. */
  failure(username: string, ip: string, now = Date.now()): { lock: boolean; burst: boolean } {
    const userFailures = this.failuresByUser.add(username, now);
    const ipFailures = this.failuresByIp.add(ip, now);
    const lock = userFailures >= this.policy.maxFailures;
    if (lock) this.failuresByUser.clear(username);
    // One burst alert per address and window, however long the burst lasts.
    const last = this.burstReported.get(ip);
    const burst = ipFailures >= this.policy.maxFailures && (last === undefined || now - last >= this.policy.windowMs);
    if (burst) this.burstReported.set(ip, now);
    return { lock, burst };
  }

  success(username: string): void {
    this.failuresByUser.clear(username);
  }

  lockedUntil(now = Date.now()): string {
    return new Date(now + this.policy.lockMs).toISOString();
  }
}
