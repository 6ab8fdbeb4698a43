import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import tls from "node:tls";
import { after, before, describe, test } from "node:test";
import type { ChannelEvent } from "../../../src/edge/channel.ts";
import { type Harness, type NodeCreds, startHarness, until } from "./helpers.ts";

describe("the node checks the server; the port takes TLS 1.3 only", () => {
  let h: Harness;
  let creds: NodeCreds;

  before(async () => {
    h = await startHarness();
    creds = await h.enrol("hosp-s");
  });
  after(() => h.close());

  const reasons = (events: ChannelEvent[]) =>
    events.filter((e): e is Extract<ChannelEvent, { kind: "disconnected" }> => e.kind === "disconnected").map((e) => e.reason);

  test("server frames signed with another key than the pinned one are refused", async () => {
    const events: ChannelEvent[] = [];
    const other = generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" }).toString();
    const ch = h.channel(creds, async () => ({ json: null }), { serverKey: other, onEvent: (e) => events.push(e) });
    await until(() => reasons(events).length >= 2, "two refused attempts");
    assert.equal(ch.connected(), false);
    assert.match(reasons(events)[0], /pinned server key/);
    await ch.close();
  });

  test("a server certificate that does not name the dialled host is refused", async () => {
    const events: ChannelEvent[] = [];
    const url = h.port.url.replace("127.0.0.1", "localhost");
    const ch = h.channel(creds, async () => ({ json: null }), { url, onEvent: (e) => events.push(e) });
    await until(() => reasons(events).length >= 1, "a refused attempt");
    assert.equal(ch.connected(), false);
    assert.match(reasons(events)[0], /localhost/);
    await ch.close();
  });

  test("a TLS 1.2 client is refused in the handshake", async () => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port: h.port.port,
      key: creds.keyPem,
      cert: creds.certPem,
      ca: [creds.caPem],
      maxVersion: "TLSv1.2",
      ALPNProtocols: ["h2"],
    });
    const outcome = await new Promise<string>((resolve) => {
      socket.once("secureConnect", () => resolve("connected"));
      socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    socket.destroy();
    assert.match(outcome, /PROTOCOL_VERSION/);
  });
});
