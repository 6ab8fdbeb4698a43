// Carrying protocol frames over the node hub (contract: NodeHub.call / the edge TaskHandler): a
// server task travels as the JSON body {frame} of one `fl.task` call, with the model it names
// inline for round.start and session.end; the node's reply frames come back as the call's blobs.
// The transport's own frames authenticate the channel; these frames are end-to-end (§5.3).
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Participant } from "./participant.ts";
import { b64, type ServerTask, unb64 } from "./wire.ts";

export const FL_TASK = "fl.task";

const taskBody = z.strictObject({
  type: z.string().max(40),
  frame: z.string().max(2 * 1024 * 1024).regex(/^[A-Za-z0-9_-]*$/),
  model: z.string().regex(/^[A-Za-z0-9_-]*$/).optional(),
  // the certificates of the nodes whose adverts a secagg.u1 carries; the node checks them against
  // its pinned CA (the library only carries them)
  peers: z.array(z.string().max(8192)).max(256).optional(),
});

export function encodeTask(t: ServerTask, model?: Uint8Array, peers?: string[]): z.output<typeof taskBody> {
  return { type: t.type, frame: b64(t.frame), ...(model ? { model: b64(model) } : {}), ...(peers ? { peers } : {}) };
}

/** The reply frames of a node, bounded so a node cannot flood one step. */
export function taskReplyFrames(blobs: Uint8Array[]): Uint8Array[] {
  return blobs.slice(0, 4);
}

/** Content-addressed models delivered inline with tasks; the participant's `fetchBlob`. */
export class InlineBlobs {
  private readonly blobs = new Map<string, Uint8Array>();
  put(bytes: Uint8Array): void {
    this.blobs.set(createHash("sha256").update(bytes).digest("hex"), bytes);
    if (this.blobs.size > 4) this.blobs.delete(this.blobs.keys().next().value as string);
  }
  readonly fetch = async (sha256: string): Promise<Uint8Array> => {
    const b = this.blobs.get(sha256);
    if (!b) throw new Error(`model ${sha256} was not delivered with the task`);
    return b;
  };
}

/** Edge side: the TaskHandler branch for `fl.task`, handing the frame to the participant. */
export function flTaskHandler(participant: Participant, blobs: InlineBlobs) {
  return async (task: { type: string; body: unknown }): Promise<{ json: unknown; blobs: Uint8Array[] }> => {
    const b = taskBody.parse(task.body);
    if (b.model) blobs.put(unb64(b.model));
    const frames = await participant.handle({ type: b.type, frame: unb64(b.frame) });
    return { json: { frames: frames.length }, blobs: frames };
  };
}
