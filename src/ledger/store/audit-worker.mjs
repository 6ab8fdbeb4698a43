// Entry of the audit worker thread: registers tsx (the sources are TypeScript), then runs it.
import { register } from "tsx/esm/api";

register();
await import("./audit-worker.ts");
