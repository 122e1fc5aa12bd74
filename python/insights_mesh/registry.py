"""Follows the mesh's NATS KV registry (bucket `insights-registry`, see packages/registry) live.

Keys: `node.<id>` holds the node's advertisement (JSON, with `ttlMs`), `alive.<id>` its heartbeat
(`{v, ttlMs, state, seq}`, every TTL/3). A node is live while its last heartbeat is younger than its
TTL; a deleted key (clean shutdown) drops it at once. nats-py is asynchronous, so the watch runs
on an event loop in a daemon thread; callers see a snapshot swapped in whole.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Sequence

DEFAULT_BUCKET = "insights-registry"
_EXPIRY_CHECK_S = 0.25
_RETRY_MAX_S = 2.0


@dataclass
class _Node:
    view: Optional[Dict[str, Any]] = None
    state: Optional[str] = None
    last_beat: float = 0.0
    ttl_s: float = 6.0


class RegistryWatcher:
    """Calls `on_change(nodes)` with the live node views whenever they change."""

    def __init__(
        self,
        servers: Sequence[str],
        on_change: Callable[[List[Dict[str, Any]]], None],
        bucket: str = DEFAULT_BUCKET,
        log: Callable[[str], None] = lambda m: None,
        auth: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._servers = list(servers)
        self._auth = dict(auth or {})
        self._bucket = bucket
        self._on_change = on_change
        self._log = log
        self._nodes: Dict[str, _Node] = {}
        self._last_key = ""
        self._first = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: Optional[asyncio.Event] = None
        self._thread = threading.Thread(target=self._run, name="insights-registry", daemon=True)
        self._thread.start()

    def wait_first_snapshot(self, timeout: float) -> bool:
        """True once the bucket's current entries are in (False after `timeout` seconds)."""
        return self._first.wait(timeout)

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        import nats  # imported here: a client given only node addresses never needs it

        self._stop = asyncio.Event()
        attempt = 0
        nc = None
        while not self._stop.is_set():
            try:
                nc = await nats.connect(servers=self._servers, connect_timeout=2, max_reconnect_attempts=-1, **self._auth)
                kv = await nc.jetstream().key_value(self._bucket)
                watcher = await kv.watchall()
                await self._follow(watcher)
                return
            except Exception as e:  # noqa: BLE001 - NATS down or bucket missing: keep trying until closed
                attempt += 1
                delay = min(_RETRY_MAX_S, 0.1 * 2 ** min(attempt, 5))
                self._log(f"registry {self._servers} not readable ({e!r}); retry {attempt} in {delay:.1f} s")
                if nc is not None:
                    await nc.close()
                    nc = None
                try:
                    await asyncio.wait_for(self._stop.wait(), delay)
                except asyncio.TimeoutError:
                    pass
            finally:
                if nc is not None and self._stop.is_set():
                    await nc.close()

    async def _follow(self, watcher: Any) -> None:
        stopping = asyncio.ensure_future(self._stop.wait())
        initial = True
        while not self._stop.is_set():
            nxt = asyncio.ensure_future(watcher.updates(timeout=_EXPIRY_CHECK_S))
            done, _ = await asyncio.wait({nxt, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if stopping in done:
                nxt.cancel()
                break
            try:
                entry = nxt.result()
            except Exception:  # noqa: BLE001 - nats' TimeoutError: nothing new, check expiries
                entry = False
            if entry is None:  # end of the initial values
                initial = False
                self._emit()
                self._first.set()
                continue
            if entry is not False:
                self._apply(entry, initial)
            if not initial:
                self._emit()
        await watcher.stop()

    def _apply(self, entry: Any, initial: bool) -> None:
        kind, _, node_id = entry.key.partition(".")
        if entry.operation in ("DEL", "PURGE"):
            self._nodes.pop(node_id, None)
            return
        try:
            doc = json.loads(entry.value)
        except ValueError:
            self._log(f"ignoring registry entry {entry.key}: not JSON")
            return
        node = self._nodes.setdefault(node_id, _Node())
        if kind == "node" and isinstance(doc, dict) and doc.get("id") == node_id and doc.get("grpcAddress"):
            node.view = {k: v for k, v in doc.items() if k not in ("v", "ttlMs", "updatedAt")}
            node.ttl_s = float(doc.get("ttlMs", 6000)) / 1000
        elif kind == "alive" and isinstance(doc, dict):
            # Snapshot heartbeats are timed by the server's write time, live ones on arrival.
            beat = _timestamp(entry.created) if initial else time.time()
            node.last_beat = max(node.last_beat, beat)
            node.ttl_s = float(doc.get("ttlMs", 6000)) / 1000
            node.state = doc.get("state") or node.state
        else:
            self._log(f"ignoring registry entry {entry.key}: not an advertisement or heartbeat")

    def _live(self) -> List[Dict[str, Any]]:
        now = time.time()
        out = []
        for node_id in sorted(self._nodes):
            n = self._nodes[node_id]
            if n.view is not None and now - n.last_beat <= n.ttl_s:
                out.append(dict(n.view, state=n.state or n.view.get("state", "serving")))
        return out

    def _emit(self) -> None:
        nodes = self._live()
        key = json.dumps(nodes, sort_keys=True)
        if key == self._last_key:
            return
        self._last_key = key
        self._on_change(nodes)


def _timestamp(created: Any) -> float:
    if isinstance(created, datetime):
        return created.timestamp()
    if isinstance(created, (int, float)):
        return created / 1e9 if created > 1e12 else float(created)
    return time.time()
