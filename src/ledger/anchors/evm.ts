// EvmAnchor: MedtraceAnchor through ethers v6 over plain JSON-RPC, so the same code talks to
// Hardhat, Besu or any EVM chain (ledger.md §13.4).
import {
  Contract,
  ContractFactory,
  type EventLog,
  JsonRpcProvider,
  keccak256,
  type Provider,
  type Signer,
  toUtf8Bytes,
  Wallet,
} from "ethers";
import { deriveKey, keyLabel, type MasterSecret } from "../../crypto/keys.ts";
import { LedgerError } from "../errors.ts";
import type { Anchor, AnchoredCheckpoint, AnchorReceipt } from "./anchor.ts";
import artifact from "./MedtraceAnchor.artifact.json" with { type: "json" };

export { artifact as anchorArtifact };

// secp256k1 group order (SEC 2 §2.4.1).
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Writer key K(medtrace/v1/anchor/evm/e<ε>) as a big-endian integer; if it is 0 or ≥ n, the
 * label is suffixed /1, /2, … until it is not (§13.4).
 */
export function anchorWriterKey(master: MasterSecret, epoch = 1): string {
  const base = keyLabel("anchor/evm", epoch);
  for (let i = 0; ; i++) {
    const k = deriveKey(master, i === 0 ? base : `${base}/${i}`);
    const v = BigInt(`0x${Buffer.from(k).toString("hex")}`);
    if (v !== 0n && v < SECP256K1_N) return `0x${Buffer.from(k).toString("hex")}`;
  }
}

export const originHash = (origin: string): string => keccak256(toUtf8Bytes(origin));

/** A JSON-RPC provider that skips network detection (the chain id is configured). */
export function rpcProvider(rpcUrl: string, chainId: number): JsonRpcProvider {
  // cacheTimeout -1: no response cache, so back-to-back transactions see fresh nonces.
  return new JsonRpcProvider(rpcUrl, chainId, {
    staticNetwork: true,
    pollingInterval: 100,
    cacheTimeout: -1,
  });
}

export interface EvmAnchorOptions {
  provider?: Provider;
  rpcUrl?: string;
  chainId: number;
  address: string;
  /** A private key (hex) or an ethers Signer. */
  signer?: Signer | string;
}

function connectSigner(provider: Provider, signer?: Signer | string): Signer | undefined {
  if (!signer) return undefined;
  return typeof signer === "string" ? new Wallet(signer, provider) : signer;
}

export class EvmAnchor implements Anchor {
  readonly chainId: number;
  readonly address: string;
  readonly contract: Contract;

  constructor(opts: EvmAnchorOptions) {
    const provider = opts.provider ?? (opts.rpcUrl ? rpcProvider(opts.rpcUrl, opts.chainId) : null);
    if (!provider) throw new LedgerError("ANCHOR_MISMATCH", "EvmAnchor needs a provider or rpcUrl");
    this.chainId = opts.chainId;
    this.address = opts.address;
    this.contract = new Contract(opts.address, artifact.abi, connectSigner(provider, opts.signer) ?? provider);
  }

  /** Deploys the committed artefact with `originHash = keccak256(origin)`. */
  static async deploy(opts: Omit<EvmAnchorOptions, "address"> & { origin: string }): Promise<EvmAnchor> {
    const provider = opts.provider ?? rpcProvider(opts.rpcUrl!, opts.chainId);
    const signer = connectSigner(provider, opts.signer);
    if (!signer) throw new LedgerError("ANCHOR_MISMATCH", "deploying needs a signer");
    const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer);
    const c = await factory.deploy(originHash(opts.origin));
    await c.waitForDeployment();
    return new EvmAnchor({ ...opts, provider, address: await c.getAddress(), signer });
  }

  async publish(cp: { size: number; root: Uint8Array }): Promise<AnchorReceipt> {
    const tx = await this.contract.getFunction("anchor")(cp.size, cp.root);
    const rc = await tx.wait();
    const ev = rc.logs
      .map((l: Parameters<Contract["interface"]["parseLog"]>[0]) => this.contract.interface.parseLog(l))
      .find((p: { name: string } | null) => p?.name === "Anchored");
    if (!ev) throw new LedgerError("ANCHOR_MISMATCH", "no Anchored event in the receipt");
    return {
      treeSize: cp.size,
      root: Uint8Array.from(cp.root),
      chainId: this.chainId,
      contract: this.address,
      txHash: rc.hash,
      blockNumber: rc.blockNumber,
      anchorIndex: Number(ev.args.index),
    };
  }

  async list(fromIndex = 0): Promise<AnchoredCheckpoint[]> {
    const events = (await this.contract.queryFilter(this.contract.filters.Anchored(), 0, "latest")) as EventLog[];
    return events
      .map((e) => ({
        index: Number(e.args.index),
        treeSize: Number(e.args.treeSize),
        root: new Uint8Array(Buffer.from((e.args.root as string).slice(2), "hex")),
        writer: e.args.writer as string,
        txHash: e.transactionHash,
        blockNumber: e.blockNumber,
      }))
      .filter((a) => a.index >= fromIndex)
      .sort((a, b) => a.index - b.index);
  }

  async originHash(): Promise<string> {
    return (await this.contract.getFunction("originHash")()) as string;
  }
}
