// The demo's users talk to the server as any client would: JSON over its HTTP API with a bearer
// token. A failed call says which call and what the server answered.
export interface ApiReply {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  json(): unknown;
}

export class DemoApiError extends Error {
  readonly code = "DEMO_API";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "DemoApiError";
  }
}

export interface CallOptions {
  token?: string;
  json?: unknown;
  form?: FormData;
  accept?: string;
  /** Statuses that are an answer, not a failure (default: 2xx). */
  expect?: number[];
}

export class ApiClient {
  constructor(readonly base: string) {}

  async call(method: string, path: string, opts: CallOptions = {}): Promise<ApiReply> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.accept) headers.accept = opts.accept;
    if (opts.json !== undefined) headers["content-type"] = "application/json";
    const body = opts.json !== undefined ? JSON.stringify(opts.json) : opts.form;
    const url = path.startsWith("http") ? path : `${this.base}${path}`;
    const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const reply: ApiReply = { status: res.status, headers: res.headers, bytes, json: () => JSON.parse(Buffer.from(bytes).toString("utf8")) };
    const ok = opts.expect ? opts.expect.includes(res.status) : res.ok;
    if (!ok) {
      const text = Buffer.from(bytes).toString("utf8").slice(0, 500);
      throw new DemoApiError(res.status, `${method} ${new URL(url).pathname} answered ${res.status}: ${text}`);
    }
    return reply;
  }

  async json<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
    return (await this.call(method, path, opts)).json() as T;
  }

  /** Signs in with a local account; returns the access token and user id. */
  async login(username: string, password: string): Promise<{ token: string; userId: string }> {
    const r = await this.json<{ accessToken: string; user: { id: string } }>("POST", "/api/auth/login", { json: { username, password } });
    return { token: r.accessToken, userId: r.user.id };
  }
}
