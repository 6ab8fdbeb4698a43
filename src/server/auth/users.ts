// Accounts repository: local users (password hash, roles, disabled, lock) and the pseudonym ->
// user mapping that lets a trace name the account a copy was issued to.
import { randomUUID } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { MasterSecret } from "../../crypto/index.ts";
import { userPseudonym } from "../../tracing/index.ts";
import type { Role } from "../config.ts";
import { isUniqueViolation } from "../db/index.ts";
import type { CoreTables, DbSchema } from "../db/schema.ts";
import { conflict } from "../errors.ts";
import { hashPassword } from "./passwords.ts";

export interface User {
  id: string;
  username: string;
  roles: Role[];
  disabled: boolean;
  mustChangePassword: boolean;
  lockedUntil: string | null;
  createdAt: string;
}

type UserRow = Selectable<CoreTables["users"]>;

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  roles: JSON.parse(r.roles) as Role[],
  disabled: r.disabled === 1,
  mustChangePassword: r.must_change_password === 1,
  lockedUntil: r.locked_until,
  createdAt: r.created_at,
});

export class Users {
  private readonly knownPseudonyms = new Set<string>();

  constructor(
    private readonly db: Kysely<DbSchema>,
    private readonly master: MasterSecret,
  ) {}

  async create(input: { username: string; password: string; roles: Role[]; mustChangePassword: boolean }): Promise<User> {
    const id = randomUUID();
    try {
      await this.db
        .insertInto("users")
        .values({
          id,
          username: input.username,
          password_hash: await hashPassword(input.password),
          roles: JSON.stringify(input.roles),
          disabled: 0,
          must_change_password: input.mustChangePassword ? 1 : 0,
          locked_until: null,
          created_at: new Date().toISOString(),
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`username ${input.username} is taken`);
      throw err;
    }
    await this.rememberPseudonym(id, input.username);
    return (await this.byId(id))!;
  }

  async count(): Promise<number> {
    const { n } = await this.db.selectFrom("users").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
    return Number(n);
  }

  async byId(id: string): Promise<User | null> {
    const r = await this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  /** The user and the stored hash (login only). */
  async credentials(username: string): Promise<{ user: User; passwordHash: string | null } | null> {
    const r = await this.db.selectFrom("users").selectAll().where("username", "=", username).executeTakeFirst();
    return r ? { user: toUser(r), passwordHash: r.password_hash } : null;
  }

  async passwordHash(id: string): Promise<string | null> {
    const r = await this.db.selectFrom("users").select("password_hash").where("id", "=", id).executeTakeFirst();
    return r?.password_hash ?? null;
  }

  async list(): Promise<User[]> {
    return (await this.db.selectFrom("users").selectAll().orderBy("created_at").orderBy("username").execute()).map(toUser);
  }

  async setRoles(id: string, roles: Role[]): Promise<User | null> {
    await this.db.updateTable("users").set({ roles: JSON.stringify(roles) }).where("id", "=", id).execute();
    return this.byId(id);
  }

  async setDisabled(id: string, disabled: boolean): Promise<User | null> {
    await this.db.updateTable("users").set({ disabled: disabled ? 1 : 0 }).where("id", "=", id).execute();
    return this.byId(id);
  }

  async setPassword(id: string, password: string, mustChange: boolean): Promise<void> {
    await this.db
      .updateTable("users")
      .set({ password_hash: await hashPassword(password), must_change_password: mustChange ? 1 : 0, locked_until: null })
      .where("id", "=", id)
      .execute();
  }

  async lockUntil(id: string, until: string | null): Promise<void> {
    await this.db.updateTable("users").set({ locked_until: until }).where("id", "=", id).execute();
  }

  /** Records the pseudonym of an account (local or OIDC) once, so traces can name it. */
  async rememberPseudonym(userId: string, username: string): Promise<void> {
    const p = userPseudonym(this.master, userId);
    if (this.knownPseudonyms.has(p)) return;
    try {
      await this.db.insertInto("pseudonyms").values({ pseudonym: p, user_id: userId, username }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    this.knownPseudonyms.add(p);
  }

  async resolvePseudonym(pseudonym: string): Promise<{ userId: string; username: string } | null> {
    const r = await this.db.selectFrom("pseudonyms").selectAll().where("pseudonym", "=", pseudonym).executeTakeFirst();
    return r ? { userId: r.user_id, username: r.username } : null;
  }
}
