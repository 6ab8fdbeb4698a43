// The local accounts suite (auth-suite.ts) on PostgreSQL; one file per database keeps each under a minute.
import { authSuite } from "./auth-suite.ts";

authSuite("postgres");
