"""The merged proxy: one object over every node of the mesh, like the TypeScript client
(packages/client/src/mesh.ts): `mesh.query.weekly_activity(course=...)`, `mesh.view.x(...)`."""

from __future__ import annotations

import itertools
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import grpc

from .errors import MeshError
from .node_connection import NodeConnection
from .proxy import KindProxy
from .registry import DEFAULT_BUCKET, RegistryWatcher
from .results import as_frame as to_frame
from .results import decode
from .routing import AnalyticInfo, Replica, RoutingTable

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_DISCOVERY_TIMEOUT_S = 3.0
_RETRY_FIRST_S = 0.05
_RETRY_MAX_S = 0.25


class Mesh:
    """Every analytic of every node, behind one object. Use `connect()` to make one."""

    def __init__(
        self,
        *,
        nodes: Sequence[str],
        registries: Sequence[Sequence[str]],
        capability: str,
        bucket: str,
        timeout: float,
        discovery_timeout: float,
        ingest_token: str,
        tls_ca: Optional[bytes],
        log: Callable[[str], None],
        nats_auth: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._direct_addresses = list(nodes)
        self._capability = capability
        self._default_timeout = timeout
        self._ingest_token = ingest_token
        self._tls_ca = tls_ca
        self._log = log
        self._lock = threading.Lock()
        self._connections: Dict[str, NodeConnection] = {}
        self._direct_views: Dict[str, Dict[str, Any]] = {}
        self._registry_views: List[List[Dict[str, Any]]] = [[] for _ in registries]
        self._table = RoutingTable([])
        self._turn = itertools.count()
        self._known_idempotent: Dict[tuple, bool] = {}
        self._closed = False
        self._watchers = [
            RegistryWatcher(servers, self._registry_changed(i), bucket=bucket, log=log, auth=nats_auth)
            for i, servers in enumerate(registries)
        ]
        self.query = KindProxy(self, "query")
        self.view = KindProxy(self, "view")
        self.events = MeshEvents(self)
        self._describe_direct()
        deadline = time.monotonic() + discovery_timeout
        for w in self._watchers:
            if not w.wait_first_snapshot(max(0.0, deadline - time.monotonic())):
                log("the NATS registry did not answer in time; using the nodes given directly until it does")
        self._rebuild()

    # -- what is there ------------------------------------------------------------------------

    @property
    def capability(self) -> str:
        """The capability every call carries (empty: none)."""
        return self._capability

    def table(self) -> RoutingTable:
        return self._table

    def describe(self, as_frame: bool = False) -> Any:
        """Every query and view this client can call, with parameters, docs and serving nodes."""
        rows = [a.as_dict() for a in self._table.analytics]
        return to_frame(rows) if as_frame else rows

    def nodes(self) -> List[Dict[str, Any]]:
        """The nodes this client sees: id, address, labels, state, modules."""
        return [
            {
                "id": n["id"],
                "address": n["grpcAddress"],
                "labels": n.get("labels", []),
                "state": n.get("state"),
                "modules": [m["name"] for m in n.get("modules", [])],
            }
            for n in self._table.nodes
        ]

    def refresh(self) -> None:
        """Re-reads every directly given node's Describe now."""
        self._describe_direct()
        self._rebuild()

    # -- calls ---------------------------------------------------------------------------------

    def call(
        self,
        kind: str,
        name: str,
        args: Optional[Dict[str, Any]] = None,
        *,
        timeout: Optional[float] = None,
        as_frame: bool = False,
    ) -> Any:
        """Calls `kind` ("query" or "view") `name` with `args`; `timeout` in seconds."""
        if kind not in ("query", "view"):
            raise MeshError("INVALID_ARGUMENT", f'kind must be "query" or "view", not {kind!r}', parameter="kind")
        if args is not None and not isinstance(args, dict):
            raise MeshError("INVALID_ARGUMENT", "args must be a dict of parameter values", parameter="args")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise MeshError("INVALID_ARGUMENT", f"timeout must be a positive number of seconds, not {timeout!r}", parameter="timeout")
        deadline = time.monotonic() + (timeout if timeout is not None else self._default_timeout)
        content_type, data = self._call_retrying(kind, name, args or {}, deadline)
        value = decode(content_type, data)
        return to_frame(value) if as_frame else value

    def resolve(self, kind: str, name: str) -> AnalyticInfo:
        """The analytic `name` stands for, by the mesh's rules (re-reading direct nodes once if unknown)."""
        try:
            return self._table.index.resolve(kind, name).target
        except MeshError as e:
            if e.code != "NOT_FOUND":
                raise
        self.refresh()
        return self._table.index.resolve(kind, name).target

    def _call_retrying(self, kind: str, name: str, args: Dict[str, Any], deadline: float):
        """An idempotent call no replica can take (all UNAVAILABLE, or its node rejoining) is retried
        while the deadline allows: a rolling restart costs latency, not errors."""
        pause = _RETRY_FIRST_S
        while True:
            try:
                analytic = self.resolve(kind, name)
                self._known_idempotent[(kind, name)] = analytic.idempotent
                return self._call_replicas(analytic, args, deadline)
            except MeshError as e:
                retry = e.code == "UNAVAILABLE" or (e.code == "NOT_FOUND" and (kind, name) in self._known_idempotent)
                if not retry or not self._known_idempotent.get((kind, name), False):
                    raise
                if time.monotonic() + pause >= deadline:
                    raise MeshError("UNAVAILABLE", f"no node could take {kind} {name} before its deadline: {e.message}") from e
                time.sleep(pause)
                pause = min(_RETRY_MAX_S, pause * 2)
                self.refresh()

    def _call_replicas(self, analytic: AnalyticInfo, args: Dict[str, Any], deadline: float):
        replicas = list(analytic.replicas)
        if not replicas:
            raise MeshError("UNAVAILABLE", f"no node serves {analytic.kind} {analytic.qualified} right now")
        start = next(self._turn) % len(replicas)
        ordered = replicas[start:] + replicas[:start]
        for i, replica in enumerate(ordered):
            try:
                return self._connection(replica).call(
                    analytic.kind, analytic.qualified, args, deadline - time.monotonic(), self._capability
                )
            except MeshError as e:
                last = i + 1 == len(ordered)
                if not e.retryable or not replica.idempotent or last or time.monotonic() >= deadline:
                    raise
                self._log(f"{analytic.qualified} failed on node {replica.node_id} ({e.message}); trying another replica")
        raise AssertionError("unreachable")

    # -- plumbing ------------------------------------------------------------------------------

    def _connection(self, replica_or_address: Union[Replica, str]) -> NodeConnection:
        address = replica_or_address if isinstance(replica_or_address, str) else replica_or_address.address
        tls = False if isinstance(replica_or_address, str) else replica_or_address.tls
        with self._lock:
            c = self._connections.get(address)
            if c is None:
                creds = grpc.ssl_channel_credentials(self._tls_ca) if tls or self._tls_ca else None
                c = self._connections[address] = NodeConnection(address, creds)
            return c

    def _describe_direct(self) -> None:
        for address in self._direct_addresses:
            try:
                self._direct_views[address] = self._connection(address).describe(self._capability)
            except MeshError as e:
                if e.code == "PERMISSION_DENIED":
                    raise
                self._direct_views.pop(address, None)  # unreachable: serves nothing until it answers again

    def _registry_changed(self, index: int) -> Callable[[List[Dict[str, Any]]], None]:
        def changed(nodes: List[Dict[str, Any]]) -> None:
            self._registry_views[index] = nodes
            self._rebuild()

        return changed

    def _rebuild(self) -> None:
        by_id: Dict[str, Dict[str, Any]] = {}
        for views in self._registry_views:
            for v in views:
                by_id[v["id"]] = v
        for v in list(self._direct_views.values()):
            by_id.setdefault(v["id"], v)
        self._table = RoutingTable(by_id.values())

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for w in self._watchers:
            w.close()
        for c in self._connections.values():
            c.close()

    def __enter__(self) -> "Mesh":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        t = self._table
        return f"<insights Mesh: {len(t.nodes)} nodes, {len(t.index.names('query'))} query names, {len(t.index.names('view'))} view names>"


class MeshEvents:
    """Sending platform events into the mesh (edX tracking-log lines, xAPI statements, envelopes)."""

    def __init__(self, mesh: Mesh) -> None:
        self._mesh = mesh
        self._turn = itertools.count()

    def ingest(self, events: Sequence[Any], *, wait_for_handlers: bool = False, timeout: float = 30.0) -> Dict[str, Any]:
        """Sends `events` to a serving node (round robin), which normalises, stores and delivers them.
        With `wait_for_handlers`, returns once every matching handler in the mesh has processed them."""
        if isinstance(events, (str, bytes, dict)) or not isinstance(events, Sequence):
            raise MeshError("INVALID_ARGUMENT", "events must be a list of raw events", parameter="events")
        nodes = [n for n in self._mesh.table().nodes if n.get("state") == "serving"]
        if not nodes:
            raise MeshError("UNAVAILABLE", "no serving node to send events to")
        node = nodes[next(self._turn) % len(nodes)]
        replica = Replica(node["id"], node["grpcAddress"], bool(node.get("tls")), True)
        return self._mesh._connection(replica).ingest(events, wait_for_handlers, timeout, self._mesh._ingest_token)


def _stderr_log(message: str) -> None:
    print(f"insights client: {message}", file=sys.stderr)
