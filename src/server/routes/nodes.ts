// Edge node administration and enrolment (federated-learning.md §5.2): a consortium-admin creates
// a node and receives a one-time token; the node posts its CSR with that token (the token is its
// only credential, so the route is public) and gets its certificate, the consortium CA and the
// server's FL public key to pin; admins list nodes (with their key fingerprints, to compare out of
// band) and revoke them, which also cuts their live connections.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { requireRole } from "../auth/index.ts";
import type { ServerContext } from "../context.ts";
import { HttpError } from "../errors.ts";
import { serverFlPublicKeyPem } from "../nodes/keys.ts";
import { caFingerprint, initCa, NodeRegistry, PkiError } from "../pki/index.ts";
import { routeInput } from "../validate.ts";

const nodeIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "1-63 characters of a-z, 0-9, '.', '_' or '-'");
const params = z.strictObject({ nodeId: nodeIdSchema });

const create = routeInput(
  { body: z.strictObject({ nodeId: nodeIdSchema, displayName: z.string().min(1).max(200).optional() }) },
  { summary: "Create an edge node; its one-time enrolment token is returned once", tags: ["nodes"] },
);
const token = routeInput({ params }, { summary: "Issue a new one-time enrolment token (re-enrolment)", tags: ["nodes"] });
const list = routeInput({}, { summary: "List edge nodes with status, key fingerprint and connection", tags: ["nodes"] });
const revoke = routeInput(
  { params, body: z.strictObject({ reason: z.string().min(1).max(500).optional() }) },
  { summary: "Revoke a node's certificate and close its connections", tags: ["nodes"] },
);
const enrol = routeInput(
  {
    params,
    body: z.strictObject({
      token: z.string().min(16).max(200),
      csr: z.string().min(100).max(16_384).startsWith("-----BEGIN CERTIFICATE REQUEST-----"),
    }),
  },
  { summary: "Enrol a node: its CSR and one-time token in, its certificate out", tags: ["nodes"] },
);
const ca = routeInput({}, { summary: "The consortium CA certificate and fingerprints", tags: ["nodes"] });

const PKI_STATUS: Record<string, number> = {
  "bad-token": 401,
  "bad-csr": 400,
  "bad-node-id": 400,
  "node-exists": 409,
  "unknown-node": 404,
};

function httpOf(err: unknown): never {
  if (err instanceof PkiError) throw new HttpError(PKI_STATUS[err.code] ?? 400, err.code, err.message);
  throw err;
}

/** Node port URL as nodes should dial it. */
function nodeUrl(ctx: ServerContext): string {
  const live = (ctx.hub as { url?: string } | undefined)?.url;
  if (live) return live;
  const h = ctx.config.host.includes(":") ? `[${ctx.config.host}]` : ctx.config.host;
  return `https://${h}:${ctx.config.nodePort}`;
}

export function nodeRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const admin = requireRole("consortium-admin");
  const registry = new NodeRegistry(ctx.database.db);
  const loadCa = async () => (await initCa(ctx.config.dataDir, ctx.master, ctx.config.consortiumId)).ca;

  app.post("/api/nodes", { preHandler: admin, config: { audit: "node.create" }, schema: create.schema }, async (request, reply) => {
    const { body } = create.parse(request);
    request.auditEntity = { type: "node", id: body.nodeId };
    const created = await registry.createNode({ ...body, createdBy: request.user!.id }).catch(httpOf);
    void reply.code(201);
    return { ...created, enrolUrl: `/api/nodes/${body.nodeId}/enrol` };
  });

  app.post("/api/nodes/:nodeId/token", { preHandler: admin, config: { audit: "node.token" }, schema: token.schema }, async (request) => {
    const { params: p } = token.parse(request);
    request.auditEntity = { type: "node", id: p.nodeId };
    return registry.issueToken(p.nodeId, request.user!.id).catch(httpOf);
  });

  app.get("/api/nodes", { preHandler: requireRole("consortium-admin", "hospital-admin"), config: { audit: "node.list" }, schema: list.schema }, async () => {
    const connected = new Map((ctx.hub?.connectedNodes() ?? []).map((n) => [n.nodeId, n]));
    return { nodes: (await registry.list()).map((n) => ({ ...n, connection: connected.get(n.nodeId) ?? null })) };
  });

  app.post("/api/nodes/:nodeId/revoke", { preHandler: admin, config: { audit: "node.revoke" }, schema: revoke.schema }, async (request) => {
    const { params: p, body } = revoke.parse(request);
    request.auditEntity = { type: "node", id: p.nodeId };
    const node = await registry.revoke(p.nodeId, request.user!.id, body.reason).catch(httpOf);
    (ctx.hub as { disconnect?: (id: string) => void } | undefined)?.disconnect?.(p.nodeId);
    return { node };
  });

  app.post("/api/nodes/:nodeId/enrol", { config: { public: true, audit: "node.enrol" }, schema: enrol.schema }, async (request, reply) => {
    const { params: p, body } = enrol.parse(request);
    request.auditEntity = { type: "node", id: p.nodeId };
    const result = await registry.enrol(await loadCa(), { nodeId: p.nodeId, token: body.token, csrPem: body.csr }).catch(httpOf);
    request.auditDetail = { keyFingerprint: result.keyFingerprint, serial: result.serial };
    void reply.code(201);
    return {
      ...result,
      consortiumId: ctx.config.consortiumId,
      serverKeyPem: serverFlPublicKeyPem(ctx.master),
      nodeUrl: nodeUrl(ctx),
    };
  });

  app.get("/api/pki/ca", { config: { public: true, audit: false }, schema: ca.schema }, async () => {
    const c = await loadCa();
    return { consortiumId: c.consortiumId, caPem: c.certPem, caKeyFingerprint: caFingerprint(c) };
  });
}
