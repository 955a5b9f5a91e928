"""Merkle trees as RFC 9162 (Certificate Transparency 2.0) defines them, over leaf hashes.

A leaf's hash is SHA-256(0x00 || entry) (`AuditEvent.leaf_hash`); an inner node's is
SHA-256(0x01 || left || right); a tree of n leaves splits at the largest power of two
below n. The prefixes keep a leaf from passing for a node (second-preimage attacks).
"""

import hashlib

NODE_PREFIX = b"\x01"


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def root(leaves: list[bytes]) -> bytes:
    """MTH(D[n]): pairing level by level, a lone last node moving up as it is, builds the
    same left-balanced tree as RFC 9162's recursive split."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def audit_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 2.1.3.1): the siblings from the leaf up to the root."""
    if len(leaves) <= 1:
        return []
    split = _split(len(leaves))
    if index < split:
        return audit_path(index, leaves[:split]) + [root(leaves[split:])]
    return audit_path(index - split, leaves[split:]) + [root(leaves[:split])]


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2), or None if the path does
    not fit a tree of `size` leaves."""
    if index >= size:
        return None
    fn, sn, result = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)
