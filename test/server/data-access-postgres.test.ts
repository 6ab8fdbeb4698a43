// The data-access flow on a real PostgreSQL (test/support/postgres.ts; the suite is in data-access-flow.ts).
import { dataAccessSuite } from "./data-access-flow.ts";

dataAccessSuite("postgres");
