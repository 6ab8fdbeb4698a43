// Backend selection at run time (federated-learning.md §2.2): auto | tensorflow | wasm | cpu.
// auto = @tensorflow/tfjs-node if a site installed it (never a dependency), else wasm with our
// Conv2DBackpropFilter. The wasm binaries are loaded from the installed package, offline.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { makeConv2DBackpropFilter } from "./conv2d-backprop-filter.ts";
import { FlError } from "./errors.ts";

export type BackendName = "auto" | "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  name: "tensorflow" | "wasm" | "cpu";
  simd: boolean;
  /** "ours" when our Conv2DBackpropFilter was registered, "shipped" when tfjs has its own. */
  conv2dBackpropFilter: "ours" | "shipped" | "n/a";
}

let wasmPrepared = false;
let filterKernel: BackendInfo["conv2dBackpropFilter"] = "n/a";

/** Folder holding tfjs-backend-wasm's .wasm files, resolved from node_modules. */
export function wasmDir(): string {
  const req = createRequire(import.meta.url);
  return `${join(dirname(req.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist")}/`;
}

function prepareWasm(): void {
  if (wasmPrepared) return;
  // The threaded build fails in Node (worker from a blob: URL, tfjs #3830).
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  setWasmPaths(wasmDir());
  if (tf.getKernel("Conv2DBackpropFilter", "wasm") === undefined) {
    const fn = makeConv2DBackpropFilter((name) => {
      const k = tf.getKernel(name, "wasm");
      if (!k) throw new FlError("UnsupportedKernelConfig", `wasm kernel ${name} missing`);
      return k.kernelFunc as never;
    });
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "wasm",
      kernelFunc: fn as never,
    });
    filterKernel = "ours";
  } else if (filterKernel === "n/a") {
    filterKernel = "shipped";
  }
  wasmPrepared = true;
}

async function tryTfjsNode(): Promise<boolean> {
  try {
    const name = "@tensorflow/tfjs-node";
    await import(name);
    return (
      tf.findBackend("tensorflow") !== null || tf.engine().registryFactory.tensorflow !== undefined
    );
  } catch {
    return false;
  }
}

/** Selects and initialises a backend; `MEDTRACE_TF_BACKEND` is read by callers, not here. */
export async function initBackend(name: BackendName = "auto"): Promise<BackendInfo> {
  let chosen: BackendInfo["name"];
  if (name === "tensorflow" || name === "auto") {
    if (await tryTfjsNode()) chosen = "tensorflow";
    else if (name === "tensorflow") {
      throw new FlError("BACKEND_UNAVAILABLE", "@tensorflow/tfjs-node is not installed");
    } else chosen = "wasm";
  } else chosen = name;
  if (chosen === "wasm") prepareWasm();
  if (tf.getBackend() !== chosen) {
    const ok = await tf.setBackend(chosen);
    if (!ok) throw new FlError("BACKEND_UNAVAILABLE", `backend ${chosen} failed to initialise`);
  }
  await tf.ready();
  return {
    name: chosen,
    simd: chosen === "wasm" ? Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) : false,
    conv2dBackpropFilter: chosen === "wasm" ? filterKernel : "n/a",
  };
}

/** Prepares the wasm backend without selecting it (tests compare wasm against cpu). */
export function prepareWasmKernels(): void {
  prepareWasm();
}

export { tf };
