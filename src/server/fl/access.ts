// Who sees which training sessions: the creator, and the roles that oversee all of them. Kept apart
// from sessions.ts so that listing sessions does not load TensorFlow.js.

export function seesEverySession(user: { roles: string[] }): boolean {
  return user.roles.some((r) => r === "consortium-admin" || r === "dpo");
}
