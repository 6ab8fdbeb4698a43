// Single sign-on through the consortium's OpenID Connect provider (authorization code + PKCE,
// RFC 7636). Shown only when the server's public auth config names an issuer and a client id; the
// resulting access token is a bearer token the server verifies against the issuer's JWKS.
import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { api } from "../lib/api.ts";
import { useAuth } from "../lib/auth.tsx";
import { ErrorBox } from "./Status.tsx";

interface OidcConfig {
  issuer: string;
  clientId: string;
  scope?: string;
}

const PKCE_KEY = "medtrace.oidc";

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function discover(issuer: string): Promise<{ authorization_endpoint: string; token_endpoint: string }> {
  const response = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`The identity provider's discovery document answered ${response.status}.`);
  return response.json();
}

async function startSignIn(config: OidcConfig): Promise<void> {
  const meta = await discover(config.issuer);
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, config }));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: `${location.origin}/login`,
    scope: config.scope ?? "openid profile",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

async function finishSignIn(code: string, state: string): Promise<string> {
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null") as { verifier: string; state: string; config: OidcConfig } | null;
  sessionStorage.removeItem(PKCE_KEY);
  if (!saved || saved.state !== state) throw new Error("The sign-in answer does not match a sign-in started here; start again.");
  const meta = await discover(saved.config.issuer);
  const response = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: `${location.origin}/login`, client_id: saved.config.clientId, code_verifier: saved.verifier }),
  });
  if (!response.ok) throw new Error(`The identity provider refused the code (${response.status}).`);
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error("The identity provider returned no access token.");
  return body.access_token;
}

export function OidcButton() {
  const { acceptToken } = useAuth();
  const navigate = useNavigate();
  const [config, setConfig] = useState<OidcConfig | null>(null);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    api<{ oidc?: Partial<OidcConfig> | null }>("/api/web/config")
      .then((body) => {
        const oidc = body.oidc;
        if (oidc?.issuer && oidc.clientId) setConfig({ issuer: oidc.issuer, clientId: oidc.clientId, scope: oidc.scope });
      })
      .catch(() => setConfig(null)); // no public auth config: local accounts only
    const params = new URLSearchParams(location.search);
    const code = params.get("code");
    const state = params.get("state");
    if (code && state) {
      finishSignIn(code, state).then(acceptToken).then(() => navigate("/", { replace: true })).catch(setError);
    }
  }, [acceptToken, navigate]);

  return (
    <>
      {config && (
        <p>
          <button type="button" className="secondary" onClick={() => startSignIn(config).catch(setError)}>
            Sign in with {new URL(config.issuer).host}
          </button>
        </p>
      )}
      {error !== undefined && <ErrorBox error={error} action="Single sign-on" />}
    </>
  );
}
