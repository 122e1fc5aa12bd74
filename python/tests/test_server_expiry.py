"""The Python host's registry entries carry a per-message TTL where the server allows, as a
TypeScript node's do (packages/registry/src/server-expiry.ts)."""

import asyncio
import json
import uuid

from insights_mesh.host import Advertiser
from insights_mesh.registry import DEFAULT_BUCKET
from insights_mesh.server_expiry import (
    AD_TTL_MS,
    MARKER_TTL_MS,
    enable_server_expiry,
    expiring_headers,
    server_supports_ttl,
    ttl_header,
)


def test_ttl_header_rounds_up_to_whole_seconds():
    assert ttl_header(3000) == "3s"
    assert ttl_header(2001) == "3s"
    assert ttl_header(1) == "1s"
    assert ttl_header(AD_TTL_MS) == "1800s"
    assert expiring_headers(6000) == {"Nats-TTL": "6s"}


def test_server_versions_with_per_message_ttl():
    assert server_supports_ttl("2.14.10")
    assert server_supports_ttl("v2.11.0-beta.1")
    assert server_supports_ttl("3.0.0")
    assert not server_supports_ttl("2.10.22")
    assert not server_supports_ttl("2.9.10")
    assert not server_supports_ttl(None)


class _Version:
    def __init__(self, major: int, minor: int) -> None:
        self.major, self.minor = major, minor


class _Reply:
    def __init__(self, body: dict) -> None:
        self.data = json.dumps(body).encode()


class _FakeNats:
    """Answers the JetStream API like a server that refuses the stream update (no permission)."""

    def __init__(self, major: int, minor: int, config: dict) -> None:
        self.connected_server_version = _Version(major, minor)
        self.config = config
        self.subjects = []

    async def request(self, subject: str, data: bytes, timeout: float) -> _Reply:
        self.subjects.append(subject)
        if ".INFO." in subject:
            return _Reply({"config": self.config})
        return _Reply({"error": {"code": 403, "description": "permissions violation"}})


def test_an_older_server_falls_back_to_entries_without_ttl():
    nc = _FakeNats(2, 10, {})
    on, reason = asyncio.run(enable_server_expiry(nc, "b"))
    assert not on and "2.11" in reason and nc.subjects == []


def test_a_bucket_this_user_cannot_update_falls_back_to_entries_without_ttl():
    nc = _FakeNats(2, 14, {"name": "KV_b", "allow_msg_ttl": False})
    on, reason = asyncio.run(enable_server_expiry(nc, "b"))
    assert not on and "permissions violation" in reason
    assert nc.subjects == ["$JS.API.STREAM.INFO.KV_b", "$JS.API.STREAM.UPDATE.KV_b"]


def test_a_bucket_that_expires_already_is_left_alone():
    nc = _FakeNats(2, 14, {"allow_msg_ttl": True, "subject_delete_marker_ttl": MARKER_TTL_MS * 1_000_000})
    assert asyncio.run(enable_server_expiry(nc, "b")) == (True, "")
    assert nc.subjects == ["$JS.API.STREAM.INFO.KV_b"]


def test_the_host_writes_its_entries_with_a_ttl_and_the_bucket_expires_them(nats_url, env):
    """Against the mesh's nats-server (2.11+), as a node user."""
    import nats

    node_id = f"py-ttl-{uuid.uuid4().hex[:8]}"
    auth = {"nkeys_seed_str": env("INSIGHTS_TEST_NODE_NKEY_SEED")}
    ad = {"v": 1, "ttlMs": 3000, "updatedAt": "2026-01-01T00:00:00Z", "id": node_id, "labels": ["python"], "grpc": "127.0.0.1:1"}
    advertiser = Advertiser([nats_url], ad, auth=auth)

    async def read() -> dict:
        nc = await nats.connect(servers=[nats_url], **auth)
        try:
            js = nc.jetstream()
            out = {"config": (await js.stream_info(f"KV_{DEFAULT_BUCKET}")).config}
            for key in (f"node.{node_id}", f"alive.{node_id}"):
                out[key] = await js.get_last_msg(f"KV_{DEFAULT_BUCKET}", f"$KV.{DEFAULT_BUCKET}.{key}")
            return out
        finally:
            await nc.close()

    try:
        assert advertiser.server_ttl is True
        got = asyncio.run(read())
        assert got["config"].allow_msg_ttl is True
        assert (got["config"].subject_delete_marker_ttl or 0) > 0
        assert got[f"alive.{node_id}"].headers["Nats-TTL"] == "3s"
        assert json.loads(got[f"alive.{node_id}"].data)["serverTtl"] is True
        assert got[f"node.{node_id}"].headers["Nats-TTL"] == ttl_header(AD_TTL_MS)
    finally:
        advertiser.stop()

