// The malformed input on every route suite (malformed-suite.ts) on SQLite; one file per database keeps each under a minute.
import { malformedSuite } from "./malformed-suite.ts";

malformedSuite("sqlite");
