"""A host's node identity, as nodes have one (packages/policy/src/node-identity.ts): an Ed25519 key
and the mesh's certificate for it (`insights keys node --id <id> --key mesh.key --out <dir>`
writes both). With it the host signs its registry entries and answers clients' challenges, so a
mesh whose clients trust the mesh key (`trustedKeys`) believes and calls it like any node.

Signatures cover canonical JSON (sorted keys, no spaces: packages/sdk/src/canonical-json.ts)
prefixed with "insights-node/1 <purpose> <node id>\\n", base64url without padding.
"""

from __future__ import annotations

import base64
import json
import math
import time
from pathlib import Path
from typing import Any, Dict, Optional

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import MeshError

#: File names `insights keys node --out <dir>` writes (packages/node/src/node-identity.ts).
NODE_KEY_FILE = "node-key.pem"
NODE_CERT_FILE = "node.cert"


def canonical_json(value: Any) -> str:
    """JSON as the TypeScript side signs it: keys sorted, no spaces, numbers as JavaScript writes them."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(v) for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(canonical_json(v) for v in value) + "]"
    raise MeshError("INVALID_ARGUMENT", f"{type(value).__name__} is not JSON", parameter="value")


def _js_number(x: float) -> str:
    """ECMAScript Number::toString of `x` (Python's repr has the same shortest digits, other exponents)."""
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"
    r = repr(abs(x))
    mantissa, _, exp = r.partition("e")
    whole, _, frac = mantissa.partition(".")
    all_digits = whole + frac
    stripped = all_digits.lstrip("0")
    # The value is 0.<digits> x 10^n.
    n = len(whole) + int(exp or 0) - (len(all_digits) - len(stripped))
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * -n + digits
    else:
        e = n - 1
        out = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return ("-" if x < 0 else "") + out


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _certificate_payload(certificate: str) -> Dict[str, Any]:
    parts = certificate.split(".")
    if len(parts) != 3 or parts[0] != "inc1":
        raise MeshError("INVALID_ARGUMENT", "not a node certificate (inc1.<payload>.<signature>)", parameter="certificate")
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(body))


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class NodeIdentity:
    """The host's key and certificate; refuses a certificate made for another id or another key."""

    def __init__(self, node_id: str, private_key_pem: bytes, certificate: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise MeshError("INVALID_ARGUMENT", "the node key must be an Ed25519 private key (PEM)", parameter="key-file")
        payload = _certificate_payload(certificate)
        if payload.get("node") != node_id:
            raise MeshError(
                "INVALID_ARGUMENT",
                f"the certificate is for node {payload.get('node')}, not {node_id}: issue one with insights keys node --id {node_id}",
                parameter="certificate-file",
            )
        certified = serialization.load_pem_public_key(str(payload.get("key", "")).encode())
        if not isinstance(certified, Ed25519PublicKey) or _raw_public(certified) != _raw_public(key.public_key()):
            raise MeshError("INVALID_ARGUMENT", "the certificate names another key than the node key given", parameter="certificate-file")
        self.node_id = node_id
        self.certificate = certificate
        self._key = key

    @classmethod
    def from_files(cls, node_id: str, key_file: str, certificate_file: str) -> "NodeIdentity":
        return cls(node_id, Path(key_file).read_bytes(), Path(certificate_file).read_text().strip())

    @classmethod
    def from_dir(cls, node_id: str, directory: str) -> "NodeIdentity":
        """The folder `insights keys node --out <dir>` wrote."""
        return cls.from_files(node_id, str(Path(directory) / NODE_KEY_FILE), str(Path(directory) / NODE_CERT_FILE))

    def sign(self, purpose: str, data: bytes) -> str:
        return _b64url(self._key.sign(f"insights-node/1 {purpose} {self.node_id}\n".encode() + data))

    def sign_advertisement(self, ad: Dict[str, Any]) -> Dict[str, Any]:
        body = {k: v for k, v in ad.items() if k != "signature"}
        body["certificate"] = self.certificate
        return {**body, "signature": self.sign("advertisement", canonical_json(body).encode())}

    def sign_heartbeat(self, beat: Dict[str, Any], now_ms: Optional[int] = None) -> Dict[str, Any]:
        body = {k: v for k, v in beat.items() if k != "sig"}
        body["at"] = int(time.time() * 1000) if now_ms is None else now_ms
        return {**body, "sig": self.sign("heartbeat", canonical_json(body).encode())}

    def prove(self, nonce: bytes) -> str:
        """The answer to a client's challenge: the node key's signature of its nonce."""
        return self.sign("challenge", nonce)
