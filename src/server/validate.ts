// Input validation: zod is the only validator (fastify's own is switched off in app.ts); the same
// schemas become the OpenAPI document through z.toJSONSchema.
import type { FastifyRequest, FastifySchema } from "fastify";
import { z } from "zod";
import { HttpError } from "./errors.ts";

export type Where = "body" | "query" | "params";

/** Parses one part of a request, or throws a 400 that names the first offending field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: Where): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [where, ...issue.path.map(String)].join(".");
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : "";
  throw new HttpError(400, "validation", `${path}: ${issue.message}${more}`);
}

export interface InputSchemas {
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface Input<S extends InputSchemas> {
  /** For the route options: OpenAPI description only (validation is `parse`). */
  schema: FastifySchema;
  parse(request: FastifyRequest): { body: Out<S["body"]>; query: Out<S["query"]>; params: Out<S["params"]> };
}

/**
 * One declaration per route: `const input = routeInput({body: z.object(...)}, {summary, tags})`,
 * then `schema: input.schema` in the route options and `input.parse(request)` in the handler.
 */
export function routeInput<S extends InputSchemas>(
  schemas: S,
  doc: { summary: string; tags: string[]; consumes?: string[] },
): Input<S> {
  const schema: FastifySchema & Record<string, unknown> = { summary: doc.summary, tags: doc.tags };
  if (doc.consumes) schema.consumes = doc.consumes;
  if (schemas.body) schema.body = jsonSchema(schemas.body);
  if (schemas.query) schema.querystring = jsonSchema(schemas.query);
  if (schemas.params) schema.params = jsonSchema(schemas.params);
  return {
    schema,
    parse(request) {
      return {
        body: (schemas.body ? parseInput(schemas.body, request.body, "body") : undefined) as never,
        query: (schemas.query ? parseInput(schemas.query, request.query, "query") : undefined) as never,
        params: (schemas.params ? parseInput(schemas.params, request.params, "params") : undefined) as never,
      };
    },
  };
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

/** Query strings arrive as strings: integers are coerced, with bounds. */
export const queryInt = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
