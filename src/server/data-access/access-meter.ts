// Access-rate anomaly detection per grant: instance fetches within a sliding minute. Crossing the
// limit reports once per window, so a scraping client raises one alert, not one per request.
const WINDOW_MS = 60_000;

export class AccessMeter {
  private readonly hits = new Map<string, number[]>();
  private readonly reported = new Map<string, number>();

  constructor(readonly limitPerMinute: number) {}

  /** Records `n` fetches; returns the count in the window when this call crosses the limit. */
  record(grantId: string, n: number, now = Date.now()): number | null {
    const recent = (this.hits.get(grantId) ?? []).filter((t) => now - t < WINDOW_MS);
    for (let i = 0; i < n; i++) recent.push(now);
    // Only the newest limit+1 matter for the decision; older ones are kept out of memory.
    this.hits.set(grantId, recent.slice(-(this.limitPerMinute + 1)));
    const count = recent.length;
    if (count <= this.limitPerMinute) return null;
    const last = this.reported.get(grantId);
    if (last !== undefined && now - last < WINDOW_MS) return null;
    this.reported.set(grantId, now);
    return count;
  }
}
