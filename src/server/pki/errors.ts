export class PkiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "PkiError";
    this.code = code;
  }
}
