// The malformed input on every route suite (malformed-suite.ts) on PostgreSQL; one file per database keeps each under a minute.
import { malformedSuite } from "./malformed-suite.ts";

malformedSuite("postgres");
