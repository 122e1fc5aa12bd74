"""One node: a gRPC channel and the unary calls of the contract (Describe, Call, Ingest)."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Optional, Tuple

import grpc

from . import stubs
from .errors import MeshError, from_rpc_error

pb2, pb2_grpc = stubs.load()

KIND_TO_WIRE = {"query": pb2.QUERY, "view": pb2.VIEW, "event-property": pb2.EVENT_PROPERTY}
_KIND_FROM_WIRE = {
    pb2.QUERY: "query",
    pb2.VIEW: "view",
    pb2.EVENT_HANDLER: "event-handler",
    pb2.EVENT_PROPERTY: "event-property",
    pb2.JOB: "job",
    pb2.NORMALISER: "normaliser",
}

_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", -1), ("grpc.keepalive_time_ms", 30_000)]


class NodeConnection:
    def __init__(self, address: str, credentials: Optional[grpc.ChannelCredentials] = None) -> None:
        self.address = address
        self._channel = (
            grpc.secure_channel(address, credentials, _CHANNEL_OPTIONS)
            if credentials is not None
            else grpc.insecure_channel(address, _CHANNEL_OPTIONS)
        )
        self._stub = pb2_grpc.InsightsStub(self._channel)

    def describe(self, capability: str = "", timeout: float = 5.0) -> Dict[str, Any]:
        """The node's Describe as a registry-style node view (the dict shape advertisements have)."""
        try:
            d = self._stub.Describe(pb2.DescribeRequest(capability=capability), timeout=timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e, self.address) from None
        return view_from_describe(d, self.address)

    def call(self, kind: str, name: str, args: Dict[str, Any], timeout: float, capability: str = "") -> Tuple[str, bytes]:
        """One unary Call; the content type and bytes of the result, or a MeshError."""
        if timeout <= 0:
            raise MeshError("DEADLINE_EXCEEDED", f"the deadline of {kind} {name} passed before it was sent")
        request = pb2.CallRequest(
            kind=KIND_TO_WIRE[kind], name=name, args_json=json.dumps(args).encode(), capability=capability
        )
        try:
            r = self._stub.Call(request, timeout=timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e, self.address) from None
        return r.result.content_type, r.result.data

    def ingest(self, events: Iterable[Any], wait_for_handlers: bool, timeout: float, token: str = "") -> Dict[str, Any]:
        request = pb2.IngestRequest(
            events_json=[json.dumps(e).encode() for e in events],
            wait_for_handlers=wait_for_handlers,
            wait_timeout_ms=int(timeout * 1000),
            capability=token,
        )
        try:
            r = self._stub.Ingest(request, timeout=timeout + 5)
        except grpc.RpcError as e:
            raise from_rpc_error(e, self.address) from None
        return {
            "received": r.received,
            "accepted": r.accepted,
            "duplicates": r.duplicates,
            "rejected": [{"index": x.index, "message": x.message} for x in r.rejected],
        }

    def close(self) -> None:
        self._channel.close()


def view_from_describe(d: Any, address: str) -> Dict[str, Any]:
    state = d.node.state if d.node.state in ("starting", "serving", "draining", "degraded") else "serving"
    return {
        "id": d.node.id,
        "labels": list(d.node.labels),
        "grpcAddress": address,
        "httpAddress": d.node.http_address,
        "state": state,
        "modules": [
            {
                "name": m.name,
                "version": m.version,
                "state": m.state,
                "analytics": [
                    {
                        "kind": _KIND_FROM_WIRE[a.kind],
                        "name": a.name,
                        "aliases": list(a.aliases),
                        "description": a.description,
                        "params": _safe_json(a.params_schema_json),
                        "idempotent": a.idempotent,
                    }
                    for a in m.analytics
                    if a.kind in _KIND_FROM_WIRE
                ],
            }
            for m in d.modules
        ],
    }


def _safe_json(text: str) -> Dict[str, Any]:
    try:
        v = json.loads(text or "{}")
    except ValueError:
        return {}
    return v if isinstance(v, dict) else {}
