// Minimal Hardhat 2 configuration for the local test network only: no compile step (the
// contract is compiled with npm `solc`, ledger.md §13.3), chain id 31337.
module.exports = {
  networks: { hardhat: { chainId: 31337 } },
  paths: { root: __dirname, sources: "./none", cache: "../node_modules/.cache/hardhat" },
};
