/** The one error class of src/fl: a machine-readable `code` (as named in federated-learning.md) and a human message. */
export class FlError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = "FlError";
    this.code = code;
  }
}
