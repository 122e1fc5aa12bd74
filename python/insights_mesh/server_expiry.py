"""Registry entries the NATS server expires itself, written as the TypeScript node writes them
(packages/registry/src/server-expiry.ts): on nats-server 2.11+ each entry carries a per-message
TTL (`Nats-TTL`), and the bucket, with `allow_msg_ttl` and `subject_delete_marker_ttl`, writes a
removal marker when one expires unrenewed, which every watch receives as a PURGE of the key. A
killed host then leaves the registry without any watcher's timer. Where the server or the bucket
cannot (an older server, a NATS user not allowed to update the bucket), entries are written
without TTL, as before, and watchers time them out.

The stream is read and updated through the JetStream API subjects, and entries published to
`$KV.<bucket>.<key>` with the header, rather than through nats-py's KV and stream classes: their
TTL fields came late to nats-py, and the KV `put` has no per-key TTL.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Dict, Optional, Tuple

MSG_TTL_HEADER = "Nats-TTL"
#: How long a removal marker stays in the bucket: a watch rebuilt within this long still reads it.
MARKER_TTL_MS = 5 * 60_000
#: Per-message TTL and removal markers came with nats-server 2.11.
MIN_SERVER_FOR_TTL = (2, 11)
#: The advertisement is re-written this often when it expires on the server, and lives three times as long.
AD_REFRESH_MS = 10 * 60_000
AD_TTL_MS = 3 * AD_REFRESH_MS
_API_TIMEOUT_S = 5.0


def server_supports_ttl(version: Optional[str]) -> bool:
    """Whether a nats-server of this version (`2.14.10`, `v2.11.0-beta`) expires messages itself."""
    m = re.match(r"^v?(\d+)\.(\d+)", version or "")
    return m is not None and (int(m.group(1)), int(m.group(2))) >= MIN_SERVER_FOR_TTL


def ttl_header(ms: int) -> str:
    """The `Nats-TTL` of an entry that must live `ms`: whole seconds, rounded up, at least one
    (the server would truncate), so an entry never goes before its configured TTL."""
    return f"{max(1, math.ceil(ms / 1000))}s"


def expiring_headers(ms: int) -> Dict[str, str]:
    return {MSG_TTL_HEADER: ttl_header(ms)}


async def _api(nc: Any, subject: str, body: Dict[str, Any]) -> Dict[str, Any]:
    reply = await nc.request(f"$JS.API.{subject}", json.dumps(body).encode(), timeout=_API_TIMEOUT_S)
    answer = json.loads(reply.data)
    error = answer.get("error")
    if error:
        raise RuntimeError(error.get("description") or json.dumps(error))
    return answer


async def enable_server_expiry(nc: Any, bucket: str) -> Tuple[bool, str]:
    """Makes the bucket expire entries and mark their removal, if it does not yet. Returns whether
    entries may carry a TTL, and if not why (for the host's log)."""
    v = nc.connected_server_version
    version = f"{v.major}.{v.minor}" if v.major > 0 else None
    if not server_supports_ttl(version):
        return False, f"nats-server {version or '(unknown version)'} predates per-message TTL (2.11)"
    stream = f"KV_{bucket}"
    try:
        config = (await _api(nc, f"STREAM.INFO.{stream}", {}))["config"]
        # Both: a TTL without markers would remove a dead host's heartbeat without telling anyone.
        if config.get("allow_msg_ttl") is True and (config.get("subject_delete_marker_ttl") or 0) > 0:
            return True, ""
        await _api(
            nc,
            f"STREAM.UPDATE.{stream}",
            {**config, "allow_msg_ttl": True, "subject_delete_marker_ttl": MARKER_TTL_MS * 1_000_000},
        )
        return True, ""
    except Exception as e:  # noqa: BLE001 - any refusal (permissions, timeout) means: write without TTL
        return False, f"bucket {bucket} has no per-message TTL and this NATS user cannot enable it ({e})"


async def put_expiring(js: Any, bucket: str, key: str, value: bytes, ttl_ms: int) -> int:
    """Writes `value` under `key` with a per-message TTL; returns the entry's revision."""
    ack = await js.publish(f"$KV.{bucket}.{key}", value, headers=expiring_headers(ttl_ms))
    return ack.seq
