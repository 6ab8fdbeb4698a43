// Local sign-in, plus a single sign-on button when the server names an OIDC issuer.
import { useState, type FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { useAuth } from "../lib/auth.tsx";
import { ErrorBox } from "../components/Status.tsx";
import { OidcButton } from "../components/OidcButton.tsx";

export function LoginPage() {
  const { login } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(username, password);
      navigate(params.get("next") ?? "/", { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="login">
      <h1>Sign in to medtrace</h1>
      <form onSubmit={submit} aria-describedby={error ? "login-error" : undefined}>
        <label htmlFor="username">User name</label>
        <input id="username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
      {error !== undefined && <div id="login-error"><ErrorBox error={error} action="Sign-in" /></div>}
      <OidcButton />
    </main>
  );
}
