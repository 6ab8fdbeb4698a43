// Usage lines of `node add|enrol|revoke` (node-pki.ts), apart so `medtrace help` loads no X.509 code.
export const NODE_PKI_USAGE = [
  "node add --server URL --node-id ID [--name N] [--bearer T]   (consortium admin) create a node, print its one-time token",
  "node enrol --server URL --token T --node-id ID [--dir D]      make the node key + CSR here and enrol with the token",
  "node revoke --server URL --node-id ID [--reason R] [--bearer T]   (consortium admin) revoke a node",
];
