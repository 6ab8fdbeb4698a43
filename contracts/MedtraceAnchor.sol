// SPDX-License-Identifier: Apache-2.0
// MedtraceAnchor: records (tree size, root) checkpoints of one medtrace ledger (ledger.md §13.2).
// Only 32-byte roots and sizes go on chain; the log itself stays off chain and authoritative.
pragma solidity ^0.8.28;

contract MedtraceAnchor {
    struct Checkpoint {
        uint64 treeSize;
        uint64 anchoredAt;
        bytes32 root;
        address writer;
    }

    address public owner;
    bytes32 public immutable originHash;
    mapping(address => bool) public writers;
    Checkpoint[] private checkpoints;

    event WriterSet(address writer, bool allowed);
    event OwnershipTransferred(address previousOwner, address newOwner);
    event Anchored(uint256 indexed index, uint64 treeSize, bytes32 root, address writer);

    modifier onlyOwner() {
        require(msg.sender == owner, "not owner");
        _;
    }

    constructor(bytes32 originHash_) {
        owner = msg.sender;
        originHash = originHash_;
        writers[msg.sender] = true;
        emit WriterSet(msg.sender, true);
    }

    function setWriter(address writer, bool allowed) external onlyOwner {
        writers[writer] = allowed;
        emit WriterSet(writer, allowed);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        require(newOwner != address(0), "zero owner");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    function anchor(uint64 treeSize, bytes32 root) external returns (uint256 index) {
        require(writers[msg.sender], "not writer");
        index = checkpoints.length;
        require(index == 0 || treeSize > checkpoints[index - 1].treeSize, "tree size must grow");
        checkpoints.push(Checkpoint(treeSize, uint64(block.timestamp), root, msg.sender));
        emit Anchored(index, treeSize, root, msg.sender);
    }

    function count() external view returns (uint256) {
        return checkpoints.length;
    }

    function get(uint256 index) external view returns (Checkpoint memory) {
        require(index < checkpoints.length, "index out of range");
        return checkpoints[index];
    }

    function latest() external view returns (Checkpoint memory) {
        require(checkpoints.length > 0, "index out of range");
        return checkpoints[checkpoints.length - 1];
    }
}
