"""A small host that serves analytics written in Python to the mesh: the same gRPC contract as a
node (Describe, Call, CallStream from proto/), advertised in the NATS registry like a node, with
capabilities verified against the mesh's public keys. TypeScript modules call its analytics
through ctx.mesh like any other; clients and the CLI see one mesh.

    python -m insights_mesh.host analytics.py --nats nats://localhost:4222 --grpc 127.0.0.1:0

With a secured NATS, give the host a node user's NKey seed (--nkey-seed-file or
$NATS_NKEY_SEED_FILE, e.g. from `insights keys nats`). In a mesh whose clients trust the mesh key,
give it a node identity too (--identity-dir, from `insights keys node --id <id> --key mesh.key
--out <dir>`): it signs its registry entries and proves its key to clients, like a node.

`analytics.py` defines a `Module` (insights_mesh.analytics) with @module.query / @module.view.
Calls on one stream run one after another (numpy and scipy release the GIL; a slow analytic
wants its own host).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import sys
import threading
import time
from concurrent import futures
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

import grpc

from .analytics import Module, PyAnalytic
from .capabilities import CapabilityVerifier, authorize
from .errors import GRPC_STATUS, ERROR_TRAILER, MeshError
from .nats_auth import nats_auth
from .node_connection import pb2, pb2_grpc
from .node_identity import NodeIdentity
from .registry import DEFAULT_BUCKET
from .server_expiry import AD_REFRESH_MS, AD_TTL_MS, enable_server_expiry, put_expiring
from .results import JSON, TABLE, VEGA_LITE, Html, Png, Svg, Table, VegaLite

_KINDS = {pb2.QUERY: "query", pb2.VIEW: "view"}
_WIRE = {"query": pb2.QUERY, "view": pb2.VIEW}


def encode(kind: str, value: Any) -> Tuple[str, bytes]:
    """A Python result as content type and bytes (what nodes send)."""
    if kind == "query":
        return JSON, json.dumps(value).encode()
    if isinstance(value, Html) or isinstance(value, str):
        return "text/html; charset=utf-8", str(value).encode()
    if isinstance(value, Svg):
        return "image/svg+xml", value.svg.encode()
    if isinstance(value, Png):
        return "image/png", value.data
    if isinstance(value, Table):
        return TABLE, json.dumps({"columns": value.columns, "rows": value.rows, **({"title": value.title} if value.title else {})}).encode()
    if isinstance(value, VegaLite):
        return VEGA_LITE, json.dumps(value.spec).encode()
    raise MeshError("INTERNAL", f"a view returned {type(value).__name__}; return HTML, Svg, Png, Table or VegaLite")


def _detail(e: MeshError) -> Dict[str, Any]:
    return {"code": e.code, "message": e.message, "parameter": e.parameter or "", "suggestions": list(e.suggestions),
            "analytic": e.analytic or "", "grpcStatus": e.grpc_status}


class Servicer(pb2_grpc.InsightsServicer):
    def __init__(
        self, module: Module, verifier: CapabilityVerifier, node_id: str, address: str, identity: Optional[NodeIdentity] = None
    ) -> None:
        self.module = module
        self.verifier = verifier
        self.node_id = node_id
        self.address = address
        self.identity = identity

    def Prove(self, request, context):
        """Signs the caller's nonce with the node key (clients ask before a capability leaves for us)."""
        if not 16 <= len(request.nonce) <= 64:
            _abort(context, MeshError("INVALID_ARGUMENT", "nonce must be 16 to 64 bytes", parameter="nonce"))
        if self.identity is None:
            return pb2.ProveResponse(node_id=self.node_id, certificate="", signature="")
        return pb2.ProveResponse(node_id=self.node_id, certificate=self.identity.certificate, signature=self.identity.prove(request.nonce))

    def run(self, kind: str, name: str, args_json: bytes, capability: str) -> Tuple[str, bytes]:
        try:
            args = json.loads(args_json or b"{}")
        except ValueError as e:
            raise MeshError("INVALID_ARGUMENT", f"arguments are not JSON: {e}", parameter="args") from e
        if not isinstance(args, dict):
            raise MeshError("INVALID_ARGUMENT", "arguments must be a JSON object", parameter="args")
        analytic = self.module.find(kind, name)
        args = authorize(self.verifier.layers(capability), kind, self.module.name, analytic.name, args)
        args = analytic.validate(args)
        try:
            return encode(kind, analytic.fn(**args))
        except MeshError:
            raise
        except Exception as e:  # noqa: BLE001 - a failing analytic is INTERNAL for the caller, never the host's death
            raise MeshError("INTERNAL", f"{type(e).__name__}: {e}", analytic=f"{self.module.name}.{analytic.name}") from e

    def Describe(self, request, context):
        try:
            self.verifier.layers(request.capability)
        except MeshError as e:
            _abort(context, e)
        return pb2.DescribeResponse(node=pb2.NodeInfo(id=self.node_id, grpc_address=self.address, state="serving", version="python"),
                                    modules=[module_info(self.module)])

    def Call(self, request, context):
        kind = _KINDS.get(request.kind)
        try:
            if kind is None:
                raise MeshError("INVALID_ARGUMENT", "kind must be QUERY or VIEW", parameter="kind")
            content_type, data = self.run(kind, request.name, request.args_json, request.capability)
        except MeshError as e:
            _abort(context, e)
        return pb2.CallResponse(result=pb2.Result(content_type=content_type, data=data))

    def CallStream(self, request_iterator: Iterator[Any], context) -> Iterator[Any]:
        for frame in request_iterator:
            results = []
            for call in frame.calls:
                try:
                    kind = _KINDS.get(call.kind)
                    if kind is None:
                        raise MeshError("INVALID_ARGUMENT", "kind must be QUERY or VIEW", parameter="kind")
                    content_type, data = self.run(kind, call.name, call.args_json, call.capability)
                    results.append(pb2.StreamResult(id=call.id, result=pb2.Result(content_type=content_type, data=data)))
                except MeshError as e:
                    results.append(pb2.StreamResult(id=call.id, error=pb2.ErrorDetail(**_snake(_detail(e)))))
            if results:
                yield pb2.ResultFrame(results=results)


def _snake(d: Dict[str, Any]) -> Dict[str, Any]:
    return {("grpc_status" if k == "grpcStatus" else k): v for k, v in d.items()}


def _abort(context, e: MeshError) -> None:
    context.set_trailing_metadata([(ERROR_TRAILER, json.dumps(_detail(e)).encode())])
    context.abort(grpc.StatusCode(next(s for s in grpc.StatusCode if s.value[0] == GRPC_STATUS[e.code])), e.message)


def module_info(m: Module):
    return pb2.ModuleInfo(
        name=m.name, version=m.version, description=m.description, state="ready", isolation="python",
        analytics=[pb2.AnalyticInfo(kind=_WIRE[a.kind], module=m.name, name=a.name, aliases=a.aliases, description=a.description,
                                    params_schema_json=json.dumps(a.params), idempotent=a.idempotent, meta_json="{}") for a in m.analytics],
    )


def advertisement(m: Module, node_id: str, address: str, ttl_ms: int) -> Dict[str, Any]:
    """The registry entry nodes write (packages/registry/src/advertisement.ts)."""
    return {
        "v": 1, "ttlMs": ttl_ms, "updatedAt": datetime.now(timezone.utc).isoformat(), "id": node_id, "labels": ["python"],
        "version": "python", "grpcAddress": address, "httpAddress": "", "state": "serving",
        "modules": [{"name": m.name, "version": m.version, "description": m.description, "state": "ready", "lastError": "",
                     "isolation": "python",
                     "analytics": [{"kind": a.kind, "name": a.name, "aliases": a.aliases, "description": a.description,
                                    "params": a.params, "idempotent": a.idempotent, "meta": {}} for a in m.analytics]}],
    }


class Advertiser:
    """Writes `node.<id>` and heartbeats `alive.<id>` every TTL/3 on its own event loop; withdraws on stop.

    Where the server allows (nats-server 2.11+, see server_expiry), both carry a per-message TTL,
    the heartbeat its TTL and the advertisement AD_TTL_MS (re-written every AD_REFRESH_MS), so a
    killed host's entries leave the registry by the server's removal markers, as a node's do.
    """

    def __init__(
        self,
        servers: Sequence[str],
        ad: Dict[str, Any],
        bucket: str = DEFAULT_BUCKET,
        auth: Optional[Dict[str, Any]] = None,
        identity: Optional[NodeIdentity] = None,
    ) -> None:
        self._servers, self._ad, self._bucket, self._auth = list(servers), ad, bucket, dict(auth or {})
        self._identity = identity
        #: Whether the server expires this host's entries (None until the bucket was checked).
        self.server_ttl: Optional[bool] = None
        self._loop = asyncio.new_event_loop()
        self._stop: Optional[asyncio.Event] = None
        self._up = threading.Event()
        self._thread = threading.Thread(target=lambda: self._loop.run_until_complete(self._main()), daemon=True)
        self._thread.start()
        if not self._up.wait(15):
            raise MeshError("UNAVAILABLE", f"could not advertise in the registry at {self._servers}")

    async def _main(self) -> None:
        import nats
        from nats.js.api import KeyValueConfig

        self._stop = asyncio.Event()
        nc = await nats.connect(servers=self._servers, max_reconnect_attempts=-1, **self._auth)
        js = nc.jetstream()
        try:
            kv = await js.key_value(self._bucket)
        except Exception:  # noqa: BLE001 - first in the mesh: create the bucket as nodes do
            kv = await js.create_key_value(KeyValueConfig(bucket=self._bucket, history=1, ttl=3600))
        node_id, ttl_ms = self._ad["id"], self._ad["ttlMs"]
        ident = self._identity
        told_no_ttl = False

        async def put(key: str, value: Dict[str, Any], ttl: int) -> None:
            data = json.dumps(value).encode()
            if self.server_ttl:
                await put_expiring(js, self._bucket, key, data, ttl)
            else:
                await kv.put(key, data)

        ad_written: Optional[float] = None
        seq = 0
        while True:
            try:
                if self.server_ttl is None:
                    self.server_ttl, reason = await enable_server_expiry(nc, self._bucket)
                    if not self.server_ttl and not told_no_ttl:
                        told_no_ttl = True
                        _warn("registry entries are written without a server-side TTL; watchers time them out", reason=reason)
                now = time.monotonic()
                if ad_written is None or (self.server_ttl and (now - ad_written) * 1000 >= AD_REFRESH_MS):
                    ad = {**self._ad, "updatedAt": datetime.now(timezone.utc).isoformat()}
                    await put(f"node.{node_id}", ad if ident is None else ident.sign_advertisement(ad), AD_TTL_MS)
                    ad_written = now
                beat = {"v": 1, "ttlMs": ttl_ms, "state": "serving", "seq": seq, **({"serverTtl": True} if self.server_ttl else {})}
                await put(f"alive.{node_id}", beat if ident is None else ident.sign_heartbeat(beat), ttl_ms)
                seq += 1
                self._up.set()
            except Exception as e:  # noqa: BLE001 - NATS away, or the bucket lost its settings: all again next beat
                ad_written, self.server_ttl = None, None
                _warn("could not write to the registry; trying again", error=str(e))
            try:
                await asyncio.wait_for(self._stop.wait(), ttl_ms / 3000)
                break
            except asyncio.TimeoutError:
                pass
        await kv.delete(f"alive.{node_id}")
        await kv.delete(f"node.{node_id}")
        await nc.close()

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)


def _warn(msg: str, **fields: Any) -> None:
    print(json.dumps({"level": "warn", "msg": msg, **fields}), file=sys.stderr, flush=True)


def load_module(path: str) -> Module:
    spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    if spec is None or spec.loader is None:
        raise MeshError("INVALID_ARGUMENT", f"cannot load {path}", parameter="module")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    found = [v for v in vars(mod).values() if isinstance(v, Module)]
    if len(found) != 1:
        raise MeshError("INVALID_ARGUMENT", f"{path} must define exactly one insights_mesh.analytics.Module", parameter="module")
    return found[0]


def main(argv: Sequence[str] = sys.argv[1:]) -> None:
    p = argparse.ArgumentParser(prog="python -m insights_mesh.host", description="serve Python analytics to the mesh")
    p.add_argument("module", help="a .py file defining one insights_mesh.analytics.Module")
    p.add_argument("--nats", help="advertise in this NATS registry")
    p.add_argument("--grpc", default="127.0.0.1:0", help="listen address (port 0: any free port)")
    p.add_argument("--id", help="node id (default py-<module>)")
    p.add_argument("--ttl", type=int, default=6000, help="registry TTL, ms")
    p.add_argument("--trusted-key", action="append", default=[], help="PEM file of a mesh public key (repeatable)")
    p.add_argument("--require-capability", action="store_true", help="refuse calls without a capability")
    p.add_argument("--nkey-seed-file", help="NATS NKey seed of this host's node user (default: $NATS_NKEY_SEED_FILE)")
    p.add_argument("--creds", help="NATS .creds file (default: $NATS_CREDS)")
    p.add_argument("--identity-dir", help="node key and certificate from `insights keys node --out <dir>` (signed registry entries)")
    p.add_argument("--key-file", help="the node's Ed25519 key (PEM), with --certificate-file")
    p.add_argument("--certificate-file", help="the mesh's certificate for that key (inc1.), with --key-file")
    o = p.parse_args(argv)
    auth = nats_auth(nkey_seed_file=o.nkey_seed_file, creds_file=o.creds) if o.nats else {}
    module = load_module(o.module)
    verifier = CapabilityVerifier([Path(k).read_text() for k in o.trusted_key], o.require_capability)
    node_id = o.id or f"py-{module.name}"
    identity = None
    if o.identity_dir:
        identity = NodeIdentity.from_dir(node_id, o.identity_dir)
    elif o.key_file or o.certificate_file:
        if not (o.key_file and o.certificate_file):
            raise MeshError("INVALID_ARGUMENT", "give both --key-file and --certificate-file, or --identity-dir", parameter="key-file")
        identity = NodeIdentity.from_files(node_id, o.key_file, o.certificate_file)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    host = o.grpc.rsplit(":", 1)[0]
    port = server.add_insecure_port(o.grpc)
    address = f"{host}:{port}"
    pb2_grpc.add_InsightsServicer_to_server(Servicer(module, verifier, node_id, address, identity), server)
    server.start()
    advertiser = Advertiser([o.nats], advertisement(module, node_id, address, o.ttl), auth=auth, identity=identity) if o.nats else None
    print(json.dumps({"event": "ready", "id": node_id, "grpc": address, "module": module.name}), flush=True)
    stopped = threading.Event()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    if advertiser is not None:
        advertiser.stop()
    server.stop(2).wait()


if __name__ == "__main__":
    main()
