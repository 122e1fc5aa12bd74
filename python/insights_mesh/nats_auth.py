"""NATS credentials, the same ones the TypeScript CLI reads: an NKey seed file
(NATS_NKEY_SEED_FILE, e.g. client.nk from `insights cluster up`), the seed itself
(NATS_NKEY_SEED, for programs that spawn this one) or a .creds file from nsc (NATS_CREDS).
An argument given in code wins over the environment. Nodes refuse anonymous NATS users in
every shipped deployment, so without one of these only an open (development) NATS answers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

from .errors import MeshError


def nats_auth(
    nkey_seed: Optional[str] = None,
    nkey_seed_file: Optional[str] = None,
    creds_file: Optional[str] = None,
    env: Mapping[str, str] = os.environ,
) -> Dict[str, Any]:
    """Keyword arguments for `nats.connect` carrying the credentials (empty: anonymous)."""
    given = [name for name, v in (("nkey_seed", nkey_seed), ("nkey_seed_file", nkey_seed_file), ("creds_file", creds_file)) if v]
    if len(given) > 1:
        raise MeshError("INVALID_ARGUMENT", f"give one NATS credential, not {' and '.join(given)}", parameter=given[1])
    if not given:
        nkey_seed_file = env.get("NATS_NKEY_SEED_FILE") or None
        nkey_seed = None if nkey_seed_file else env.get("NATS_NKEY_SEED") or None
        creds_file = None if nkey_seed_file or nkey_seed else env.get("NATS_CREDS") or None
    if nkey_seed_file:
        try:
            nkey_seed = Path(nkey_seed_file).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise MeshError("INVALID_ARGUMENT", f"cannot read the NATS NKey seed file {nkey_seed_file}: {e.strerror}", parameter="nkey_seed_file")
    if nkey_seed:
        if not nkey_seed.startswith("SU"):
            raise MeshError("INVALID_ARGUMENT", "a NATS user NKey seed starts with SU", parameter="nkey_seed")
        return {"nkeys_seed_str": nkey_seed}
    if creds_file:
        if not Path(creds_file).is_file():
            raise MeshError("INVALID_ARGUMENT", f"the NATS credentials file {creds_file} does not exist", parameter="creds_file")
        return {"user_credentials": creds_file}
    return {}
