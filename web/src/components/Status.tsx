// The shared loading, error, empty and "not available on this server" states.
import type { ReactNode } from "react";
import { ApiError } from "../lib/api.ts";

export function Loading({ what }: { what: string }) {
  return <p className="status" role="status" aria-live="polite">Loading {what}…</p>;
}

export function ErrorBox({ error, action }: { error: unknown; action?: string }) {
  if (error instanceof ApiError && error.routeMissing) {
    return (
      <div className="status unavailable" role="status">
        <strong>Not available on this server.</strong> {action ? `${action}: ` : ""}this server does not offer the route yet
        ({error.message.replace(/^no route |^Route /, "").replace(/ not found$/, "")}).
      </div>
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? ` (${error.status} ${error.code})` : "";
  return (
    <div className="status error" role="alert">
      <strong>{action ? `${action} failed` : "Something went wrong"}{code}.</strong> {message}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="status empty">{children}</p>;
}

export function ApiView<T>({ state, what, children, isEmpty, empty }: {
  state: { data: T | undefined; error: unknown; loading: boolean };
  what: string;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
}) {
  if (state.error) return <ErrorBox error={state.error} action={`Loading ${what}`} />;
  if (state.loading || state.data === undefined) return <Loading what={what} />;
  if (isEmpty?.(state.data)) return <Empty>{empty ?? `No ${what} yet.`}</Empty>;
  return <>{children(state.data)}</>;
}
