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
