// Production bundle of the web app: everything (React, Chart.js, cornerstone3D and its codec
// workers/WASM) ends up in dist/web, served by the medtrace server; nothing loads from a CDN.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const webRoot = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: webRoot,
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    // cornerstone3D's codecs are large WASM modules loaded on demand; the warning says nothing useful.
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: false,
  },
  // The DICOM decode worker imports shared chunks, which only an ES-module worker can do.
  worker: { format: "es" },
  optimizeDeps: { exclude: ["@cornerstonejs/dicom-image-loader"], include: ["dicom-parser"] },
});
