// HTTP errors: a status, a machine-readable code and a human message, sent as `{error, message}`.
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = "HttpError";
    this.statusCode = statusCode;
    this.code = code;
  }
}

export const badRequest = (message: string, code = "bad-request") => new HttpError(400, code, message);
export const unauthorized = (message = "authentication required") => new HttpError(401, "unauthorized", message);
export const forbidden = (message: string, code = "forbidden") => new HttpError(403, code, message);
export const notFound = (message: string) => new HttpError(404, "not-found", message);
export const conflict = (message: string) => new HttpError(409, "conflict", message);
