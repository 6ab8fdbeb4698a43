import assert from "node:assert/strict";
import { test } from "node:test";
import { initBackend, tf } from "../../src/fl/backend.ts";

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / (den || 1);
}

function rand(n: number, seed: number): Float32Array {
  // xorshift32, values in [-1, 1]
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 0xffffffff) * 2 - 1;
  }
  return out;
}

async function filterGrad(
  backend: "wasm" | "cpu",
  xs: number[],
  k: number,
  cout: number,
  stride: number,
  pad: "valid" | "same",
  seed: number,
): Promise<Float32Array> {
  await initBackend(backend);
  return tf
    .tidy(() => {
      const x = tf.tensor4d(rand(xs[0] * xs[1] * xs[2] * xs[3], seed), xs as never);
      const probe = tf.conv2d(x, tf.zeros([k, k, xs[3], cout]), stride, pad);
      const dy = tf.tensor(rand(probe.size, seed + 1), probe.shape) as tf.Tensor4D;
      return tf
        .engine()
        .runKernel(
          "Conv2DBackpropFilter",
          { x, dy },
          { strides: stride, pad, dataFormat: "NHWC", filterShape: [k, k, xs[3], cout] },
        ) as tf.Tensor;
    })
    .dataSync() as Float32Array;
}

test("wasm backend loads offline and carries our Conv2DBackpropFilter", async () => {
  const info = await initBackend("wasm");
  assert.equal(info.name, "wasm");
  // tfjs 4.22.0 ships none, so ours must be the one registered (a later tfjs that ships one wins)
  assert.equal(info.conv2dBackpropFilter, "ours");
  assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"));
});

test("Conv2DBackpropFilter on wasm equals cpu within 1e-5 relative (kernel level)", async () => {
  const cases: [number[], number, number, number, "valid" | "same"][] = [];
  let seed = 7;
  for (const k of [1, 3, 5])
    for (const stride of [1, 2])
      for (const pad of ["valid", "same"] as const)
        cases.push([[2, 11, 9, k === 5 ? 16 : 3], k, k === 1 ? 16 : 4, stride, pad]);
  for (const [xs, k, cout, stride, pad] of cases) {
    seed += 2;
    const w = await filterGrad("wasm", xs, k, cout, stride, pad, seed);
    const c = await filterGrad("cpu", xs, k, cout, stride, pad, seed);
    assert.equal(w.length, c.length);
    const e = relErr(w, c);
    assert.ok(e <= 1e-5, `k=${k} s=${stride} ${pad}: rel err ${e}`);
  }
});
