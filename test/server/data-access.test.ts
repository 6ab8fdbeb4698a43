// The data-access flow on SQLite (the suite is in data-access-flow.ts).
import { dataAccessSuite } from "./data-access-flow.ts";

dataAccessSuite("sqlite");
