export { type AuthUser, Authenticator } from "./authenticate.ts";
export { LoginGuard } from "./login-guard.ts";
export { type OidcIdentity, OidcVerifier, rolesFrom } from "./oidc.ts";
export { burnPasswordCheck, hashPassword, oneTimePassword, verifyPassword } from "./passwords.ts";
export { isRoleGuard, requireRole, requireUser } from "./require-role.ts";
export { ACCESS_AUDIENCE, type AccessClaims, TokenIssuer } from "./tokens.ts";
export { type User, Users } from "./users.ts";
