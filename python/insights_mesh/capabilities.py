"""Capability checks for analytics served from Python, the same rules as packages/policy:
`ic1.<payload>.<signature>` signed with Ed25519 by the mesh's private key; a host trusts public keys
(PEM) by key id; every policy layer must allow the analytic; locked parameters are filled in."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from typing import Any, Dict, List, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import MeshError

CLOCK_SKEW_S = 30


def _b64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def key_id(key: Ed25519PublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def _denied(message: str, **kw: Any) -> MeshError:
    return MeshError("PERMISSION_DENIED", message, **kw)


class CapabilityVerifier:
    def __init__(self, trusted_keys_pem: Sequence[str], required: bool) -> None:
        self._keys: Dict[str, Ed25519PublicKey] = {}
        for pem in trusted_keys_pem:
            key = serialization.load_pem_public_key(pem.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise MeshError("INVALID_ARGUMENT", "trusted keys must be Ed25519 public keys (PEM)", parameter="trusted_keys")
            self._keys[key_id(key)] = key
        self.required = required

    def layers(self, token: str) -> List[Dict[str, Any]]:
        """The policy layers of a valid capability (an empty token: none, unless one is required)."""
        if not token:
            if self.required:
                raise _denied("this host requires a capability on every call; ask your mesh operator for one")
            return []
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "ic1":
            raise _denied("not a capability token")
        try:
            payload = json.loads(_b64url(parts[1]))
        except ValueError:
            raise _denied("capability payload is malformed") from None
        key = self._keys.get(payload.get("kid", ""))
        if key is None:
            raise _denied(f"capability signed with key {payload.get('kid')}, which this host does not trust")
        try:
            key.verify(_b64url(parts[2]), f"{parts[0]}.{parts[1]}".encode())
        except (InvalidSignature, ValueError):
            raise _denied("capability signature is invalid") from None
        now = time.time()
        if payload.get("exp", 0) + CLOCK_SKEW_S < now:
            raise _denied("capability has expired; get a new one")
        if payload.get("iat", 0) - CLOCK_SKEW_S > now:
            raise _denied("capability is not valid yet (clock skew?)")
        return list(payload.get("layers") or [])


def _glob(pattern: str) -> "re.Pattern[str]":
    return re.compile("^" + re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".") + "$")


def _matches(pattern: str, kind: str, names: Sequence[str]) -> bool:
    colon = pattern.find(":")
    if colon > 0:
        if pattern[:colon] != kind:
            return False
        pattern = pattern[colon + 1 :]
    rx = _glob(pattern)
    return any(rx.match(n) for n in names)


def authorize(layers: Sequence[Dict[str, Any]], kind: str, module: str, name: str, args: Dict[str, Any]) -> Dict[str, Any]:
    """The arguments to run with: every layer must allow; locked parameters come from the layers' context."""
    qualified = f"{module}.{name}"
    names = [qualified, name]
    locks: Dict[str, Any] = {}
    for i, layer in enumerate(layers):
        policy = layer.get("policy") or {}
        rule = next(
            (r for r in policy.get("rules") or [] if any(_matches(p, kind, names) for p in ([r["match"]] if isinstance(r.get("match"), str) else r.get("match") or []))),
            None,
        )
        effect = (rule or {}).get("effect") or policy.get("default", "deny")
        if effect == "deny":
            raise _denied(f"{kind} {qualified} is not allowed by your policy", analytic=qualified)
        for param, key in ((rule or {}).get("lock") or {}).items():
            value = (layer.get("context") or {}).get(key)
            if value is None:
                raise _denied(f'policy layer {i + 1} locks "{param}" to context "{key}", which this capability does not carry')
            if param in locks and locks[param] != value:
                raise _denied(f'policy layers lock "{param}" to different values')
            locks[param] = value
    for param in locks:
        if param in args:
            raise _denied(f'parameter "{param}" of {qualified} is locked by your policy; leave it out', parameter=param, analytic=qualified)
    return {**args, **locks}
