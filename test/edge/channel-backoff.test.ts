import assert from "node:assert/strict";
import { test } from "node:test";
import { backoffDelay } from "../../src/edge/channel.ts";

test("reconnect backoff: full jitter under an exponential cap from 1 s to 60 s", () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const cap = Math.min(60_000, 1000 * 2 ** attempt);
    const samples = Array.from({ length: 200 }, () => backoffDelay(attempt));
    assert.ok(samples.every((d) => Number.isInteger(d) && d >= 0 && d <= cap), `attempt ${attempt}`);
    // Full jitter spreads over the whole range, not just near the cap.
    assert.ok(samples.some((d) => d < cap / 2) && samples.some((d) => d > cap / 2), `attempt ${attempt}`);
  }
  assert.ok(backoffDelay(100) <= 60_000);
});
