// Entry of the PostgreSQL store's worker thread: registers tsx (the sources are TypeScript).
import { register } from "tsx/esm/api";

register();
await import("./pg-worker.ts");
