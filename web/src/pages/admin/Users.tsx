// Users and their roles (consortium admin): list, create, change roles.
import { useState, type FormEvent } from "react";
import { api } from "../../lib/api.ts";
import { ROLES, type Role } from "../../lib/auth.tsx";
import { listOf, useApi } from "../../lib/useApi.ts";
import { ApiView, ErrorBox } from "../../components/Status.tsx";
import { Table, formatTime } from "../../components/Table.tsx";

interface UserRow {
  id: string;
  username: string;
  roles: Role[];
  createdAt?: string;
  disabled?: boolean;
}

function RoleChecks({ idPrefix, value, onChange }: { idPrefix: string; value: Role[]; onChange: (roles: Role[]) => void }) {
  return (
    <fieldset className="roles">
      <legend>Roles</legend>
      {ROLES.map((role) => (
        <label key={role} htmlFor={`${idPrefix}-${role}`}>
          <input
            id={`${idPrefix}-${role}`}
            type="checkbox"
            checked={value.includes(role)}
            onChange={(e) => onChange(e.target.checked ? [...value, role] : value.filter((r) => r !== role))}
          />
          {role}
        </label>
      ))}
    </fieldset>
  );
}

export default function UsersPage() {
  const users = useApi<unknown>("/api/users");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState<Role[]>(["data-scientist"]);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState("");

  async function create(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      const created = await api<{ oneTimePassword?: string }>("/api/users", { json: { username, roles, ...(password && { password }) } });
      setNotice(created.oneTimePassword
        ? `User ${username} created. One-time password (shown only now; they must change it at first sign-in): ${created.oneTimePassword}`
        : `User ${username} created.`);
      setUsername("");
      setPassword("");
      users.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function changeRoles(user: UserRow, next: Role[]) {
    setError(undefined);
    try {
      await api(`/api/users/${encodeURIComponent(user.id)}/roles`, { method: "PUT", json: { roles: next } });
      setNotice(`Roles of ${user.username} updated.`);
      users.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users and roles</h1>
      <div aria-live="polite">
        {notice && <p className="status ok" role="status">{notice}</p>}
        {error !== undefined && <ErrorBox error={error} action="Saving the user" />}
      </div>
      <ApiView state={users} what="users" isEmpty={(d) => listOf(d).length === 0}>
        {(data) => (
          <Table<UserRow>
            caption="Accounts"
            rows={listOf<UserRow>(data)}
            rowKey={(u) => u.id}
            columns={[
              { key: "username", header: "User" },
              { key: "id", header: "Id", render: (u) => <code>{u.id}</code> },
              { key: "roles", header: "Roles", render: (u) => <RoleChecks idPrefix={`u-${u.id}`} value={u.roles} onChange={(r) => changeRoles(u, r)} /> },
              { key: "createdAt", header: "Created", render: (u) => formatTime(u.createdAt) },
            ]}
          />
        )}
      </ApiView>
      <h2>New user</h2>
      <form className="card stack" onSubmit={create}>
        <label htmlFor="new-username">User name</label>
        <input id="new-username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="new-password">Initial password (at least 12 characters; leave empty for a one-time password)</label>
        <input id="new-password" type="password" minLength={12} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        <RoleChecks idPrefix="new" value={roles} onChange={setRoles} />
        <button type="submit">Create user</button>
      </form>
    </section>
  );
}
