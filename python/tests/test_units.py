"""Unit tests of the client's pure parts (no mesh needed)."""

import inspect

import pytest

from insights_mesh.analytics import Module
from insights_mesh.capabilities import authorize
from insights_mesh.errors import MeshError
from insights_mesh.names import NamedEntry, NameIndex
from insights_mesh.schema_doc import docstring, signature


def index():
    return NameIndex(
        [
            NamedEntry("query", "a", "hello", ("hi",), 1),
            NamedEntry("query", "b", "hello", (), 2),
            NamedEntry("query", "a", "only_a", (), 3),
        ]
    )


def test_names_resolve_like_the_sdk_name_index():
    ix = index()
    assert ix.resolve("query", "a.hello").target == 1
    assert ix.resolve("query", "hi").target == 1
    assert ix.resolve("query", "only_a").target == 3
    assert ix.names("query") == ["a.hello", "a.only_a", "b.hello", "hi", "only_a"]
    with pytest.raises(MeshError) as e:
        ix.resolve("query", "hello")
    assert e.value.code == "FAILED_PRECONDITION" and e.value.suggestions == ("a.hello", "b.hello")
    with pytest.raises(MeshError) as e:
        ix.resolve("query", "only_b")
    assert e.value.code == "NOT_FOUND" and "only_a" in e.value.suggestions


def test_signature_and_docstring_come_from_the_json_schema():
    params = {
        "properties": {"course": {"type": "string", "description": "Course id"}, "n": {"type": "integer", "default": 5}},
        "required": ["course"],
    }
    sig = signature(params)
    assert list(sig.parameters) == ["course", "n", "timeout", "as_frame"]
    assert sig.parameters["course"].default is inspect.Parameter.empty and sig.parameters["n"].default == 5
    doc = docstring("query", "m.q", "Does q.", params, ["q2"], ["node-1"])
    assert "course : string (required)\n    Course id" in doc and "n : integer (default 5)" in doc and "also called q2" in doc


def test_policies_allow_deny_and_lock_like_packages_policy():
    layer = {"policy": {"default": "deny", "rules": [{"match": "m.*", "effect": "allow", "lock": {"course": "course"}}]}, "context": {"course": "C1"}}
    assert authorize([layer], "query", "m", "q", {"x": 1}) == {"x": 1, "course": "C1"}
    with pytest.raises(MeshError) as e:
        authorize([layer], "query", "m", "q", {"course": "C2"})
    assert (e.value.code, e.value.parameter) == ("PERMISSION_DENIED", "course")
    with pytest.raises(MeshError) as e:
        authorize([layer], "query", "other", "q", {})
    assert e.value.code == "PERMISSION_DENIED"
    assert authorize([], "query", "other", "q", {"a": 1}) == {"a": 1}


def test_python_analytics_publish_and_check_their_parameters():
    m = Module("pm")

    @m.query
    def scaled(values: list, scale: float = 1.0) -> float:
        """Scales."""
        return sum(values) * scale

    a = m.find("query", "pm.scaled")
    assert a.params == {
        "type": "object",
        "properties": {"values": {"type": "array"}, "scale": {"type": "number", "default": 1.0}},
        "required": ["values"],
        "additionalProperties": False,
    }
    with pytest.raises(MeshError) as e:
        a.validate({"values": [1], "bogus": 2})
    assert e.value.parameter == "bogus"
    with pytest.raises(MeshError) as e:
        a.validate({"values": "x"})
    assert (e.value.code, e.value.parameter) == ("INVALID_ARGUMENT", "values")


def test_canonical_json_matches_the_typescript_bytes():
    # Expected: what packages/sdk/src/canonical-json.ts writes for the same value (signatures cover these bytes).
    from insights_mesh.node_identity import canonical_json

    vals = [1e-7, 1e-5, 0.00012, 123.456, 1e21, 1.5e22, 2.5, -0.1, 3.0, 1e16, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]
    assert canonical_json({"b": [1, 2.5, 'é\n"x\t'], "a": {"z": None, "y": True, "w": 3.0}, "ü": -0.1, "v": vals}) == (
        '{"a":{"w":3,"y":true,"z":null},"b":[1,2.5,"é\\n\\"x\\t"],"v":[1e-7,0.00001,0.00012,123.456,1e+21,1.5e+22,2.5,'
        '-0.1,3,10000000000000000,5e-324,1.7976931348623157e+308,0.30000000000000004],"ü":-0.1}'
    )


def test_node_identity_refuses_a_certificate_for_another_node():
    import base64
    import json as _json

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from insights_mesh.errors import MeshError
    from insights_mesh.node_identity import NodeIdentity

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    payload = base64.urlsafe_b64encode(_json.dumps({"v": 1, "node": "a", "key": public}).encode()).rstrip(b"=").decode()
    certificate = f"inc1.{payload}.sig"
    assert NodeIdentity("a", pem, certificate).certificate == certificate
    with pytest.raises(MeshError, match="certificate is for node a, not b"):
        NodeIdentity("b", pem, certificate)
    other = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(MeshError, match="another key"):
        NodeIdentity("a", other, certificate)
