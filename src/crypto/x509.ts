// @peculiar/x509 over node's own WebCrypto. The library resolves its services through tsyringe,
// which needs the Reflect metadata API, so the polyfill is loaded before it. Import x509 from here,
// never from the package directly, so the provider is always set.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;
