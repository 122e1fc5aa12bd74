"""Python client of the Insights mesh.

    from insights_mesh import connect
    mesh = connect(nats="nats://localhost:4222")
    mesh.query.weekly_activity(course="MITx/6.002x", as_frame=True)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from .errors import MeshError, RETRYABLE_CODES
from .nats_auth import nats_auth
from .mesh import DEFAULT_TIMEOUT_S, DEFAULT_DISCOVERY_TIMEOUT_S, Mesh, MeshEvents, _stderr_log
from .proxy import Analytic, AnalyticNotFound
from .registry import DEFAULT_BUCKET
from .results import Html, Png, Svg, Table, VegaLite

__all__ = [
    "connect",
    "Mesh",
    "MeshEvents",
    "MeshError",
    "AnalyticNotFound",
    "Analytic",
    "Html",
    "Png",
    "Svg",
    "Table",
    "VegaLite",
    "RETRYABLE_CODES",
    "nats_auth",
]


def connect(
    nats: Union[str, Sequence[str], None] = None,
    nodes: Sequence[str] = (),
    capability: Optional[str] = None,
    *,
    capability_file: Optional[str] = None,
    bucket: str = DEFAULT_BUCKET,
    timeout: float = DEFAULT_TIMEOUT_S,
    discovery_timeout: float = DEFAULT_DISCOVERY_TIMEOUT_S,
    ingest_token: Optional[str] = None,
    tls_ca_file: Optional[str] = None,
    nkey_seed: Optional[str] = None,
    nkey_seed_file: Optional[str] = None,
    creds_file: Optional[str] = None,
    log: Callable[[str], None] = _stderr_log,
) -> Mesh:
    """One proxy over every node: `nodes` (gRPC `host:port` addresses, described directly) merged
    with every node the NATS registries advertise (`nats`: a URL, or a list of registries; a
    registry may list its cluster's servers comma-separated), followed live.

    `capability` (or `capability_file`, or $INSIGHTS_CAPABILITY) is the token every call carries,
    as the TypeScript client and `insights token` make them. `timeout` is the default deadline of
    calls, seconds. NATS credentials: `nkey_seed_file`, `nkey_seed` or `creds_file`, else
    $NATS_NKEY_SEED_FILE, $NATS_NKEY_SEED or $NATS_CREDS, as the CLI reads them.
    """
    registries = [] if nats is None else [nats] if isinstance(nats, str) else list(nats)
    if not registries and not nodes:
        raise MeshError("INVALID_ARGUMENT", "connect: give node addresses (nodes=) and/or a NATS registry (nats=)", parameter="nodes")
    if isinstance(nodes, str):
        raise MeshError("INVALID_ARGUMENT", "connect: nodes must be a list of addresses, not one string", parameter="nodes")
    if timeout <= 0:
        raise MeshError("INVALID_ARGUMENT", f"connect: timeout must be positive seconds, not {timeout!r}", parameter="timeout")
    return Mesh(
        nodes=list(nodes),
        registries=[[s.strip() for s in r.split(",") if s.strip()] for r in registries],
        capability=_capability(capability, capability_file),
        bucket=bucket,
        timeout=timeout,
        discovery_timeout=discovery_timeout,
        ingest_token=ingest_token or "",
        tls_ca=Path(tls_ca_file).read_bytes() if tls_ca_file else None,
        log=log,
        nats_auth=nats_auth(nkey_seed, nkey_seed_file, creds_file) if registries else {},
    )


def _capability(capability: Optional[str], capability_file: Optional[str]) -> str:
    if capability is not None and capability_file is not None:
        raise MeshError("INVALID_ARGUMENT", "connect: give capability or capability_file, not both", parameter="capability")
    if capability_file is not None:
        try:
            return Path(capability_file).read_text().strip()
        except OSError as e:
            raise MeshError("INVALID_ARGUMENT", f"capability_file: cannot read {capability_file}: {e}", parameter="capability_file") from e
    return (capability if capability is not None else os.environ.get("INSIGHTS_CAPABILITY", "")).strip()
