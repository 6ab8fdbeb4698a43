// Server-Sent Events over fetch: EventSource cannot send an Authorization header, and the API
// takes bearer tokens only, so the stream is read and parsed here (WHATWG HTML §9.2 event stream).
import { authHeaders, ApiError } from "./api.ts";

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

export interface SseHandlers {
  onMessage: (message: SseMessage) => void;
  onOpen?: () => void;
  onError?: (error: unknown) => void;
}

/** Opens the stream and keeps it open (retrying after 3 s) until the returned function is called. */
export function subscribe(path: string, handlers: SseHandlers): () => void {
  const controller = new AbortController();
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = async (): Promise<void> => {
    try {
      const response = await fetch(path, { headers: { accept: "text/event-stream", ...authHeaders() }, signal: controller.signal });
      if (!response.ok || !response.body) {
        const text = await response.text();
        let message = text;
        try { message = (JSON.parse(text) as { message?: string }).message ?? text; } catch { /* plain text */ }
        throw new ApiError(response.status, String(response.status), message);
      }
      handlers.onOpen?.();
      await readEvents(response.body, handlers.onMessage);
      if (!controller.signal.aborted) retry = setTimeout(() => void connect(), 3000);
    } catch (error) {
      if (controller.signal.aborted) return;
      handlers.onError?.(error);
      // A missing route or a refused role will not fix itself: do not hammer the server.
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) return;
      retry = setTimeout(() => void connect(), 3000);
    }
  };
  void connect();
  return () => {
    controller.abort();
    if (retry) clearTimeout(retry);
  };
}

async function readEvents(body: ReadableStream<Uint8Array>, onMessage: (m: SseMessage) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  let id: string | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") {
        if (data.length > 0) onMessage({ event, data: data.join("\n"), id });
        event = "message";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
  }
}
