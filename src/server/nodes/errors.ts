// Errors of the node transport. TransportError answers a node's request as unsigned JSON
// {error, message} with the status of federated-learning.md §5.3; HubError rejects a server-side
// NodeHub.call.
export class TransportError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

export class HubError extends Error {
  constructor(
    readonly code:
      | "unknown-node"
      | "node-refused"
      | "node-timeout"
      | "node-error"
      | "hub-closed"
      | "bad-reply",
    message: string,
  ) {
    super(message);
    this.name = "HubError";
  }
}
