// Who is signed in, from GET /api/auth/me with the stored bearer token.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { api, setToken, getToken, ApiError } from "./api.ts";

export type Role = "data-scientist" | "hospital-admin" | "dpo" | "consortium-admin";
export const ROLES: Role[] = ["data-scientist", "hospital-admin", "dpo", "consortium-admin"];

export interface User {
  id: string;
  username: string;
  roles: Role[];
}

interface AuthState {
  user: User | null;
  loading: boolean;
  login: (username: string, password: string) => Promise<void>;
  acceptToken: (token: string) => Promise<void>;
  logout: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

/** The login route's token field; accepts the usual spellings of an OAuth-style response. */
function tokenOf(body: Record<string, unknown>): string {
  const token = body.accessToken ?? body.access_token ?? body.token;
  if (typeof token !== "string") throw new ApiError(500, "bad_login_response", "The server answered the login without a token.");
  return token;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(() => getToken() !== null);

  const loadMe = useCallback(async () => {
    try {
      setUser(await api<User>("/api/auth/me"));
    } catch (error) {
      setToken(null);
      setUser(null);
      throw error;
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (getToken()) loadMe().catch(() => undefined);
  }, [loadMe]);

  const acceptToken = useCallback(async (token: string) => {
    setToken(token);
    await loadMe();
  }, [loadMe]);

  const login = useCallback(async (username: string, password: string) => {
    const body = await api<Record<string, unknown>>("/api/auth/login", { json: { username, password } });
    await acceptToken(tokenOf(body));
  }, [acceptToken]);

  const logout = useCallback(() => {
    setToken(null);
    setUser(null);
  }, []);

  return <AuthContext.Provider value={{ user, loading, login, acceptToken, logout }}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}

export function hasRole(user: User | null, roles: readonly Role[]): boolean {
  return !!user && user.roles.some((role) => roles.includes(role));
}
