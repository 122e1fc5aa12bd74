import pytest

from insights_mesh import MeshError, connect


def test_a_node_that_requires_a_capability_refuses_a_client_without_one(env):
    with pytest.raises(MeshError) as e:
        connect(nodes=[env("INSIGHTS_TEST_SECURED")], capability="")
    assert e.value.code == "PERMISSION_DENIED"


def test_a_restricted_capability_allows_what_it_names_and_denies_the_rest(env, tmp_path):
    token_file = tmp_path / "capability"
    token_file.write_text(env("INSIGHTS_TEST_CAPABILITY") + "\n")
    with connect(nodes=[env("INSIGHTS_TEST_SECURED")], capability_file=str(token_file)) as m:
        # The node fills in the locked course; the rest of its analytics are hidden and denied.
        assert dir(m.query) == ["course_report", "echo"]
        assert m.query.course_report(learner="ada") == {"course": "C1", "learner": "ada"}
        with pytest.raises(MeshError) as e:
            m.query.course_report(course="C9")
        assert (e.value.code, e.value.parameter) == ("PERMISSION_DENIED", "course")
        with pytest.raises(MeshError) as e:
            m.call("query", "echo.admin_secret")
        assert e.value.code in ("PERMISSION_DENIED", "NOT_FOUND")


def test_the_capability_is_carried_on_every_call_from_the_environment(env, monkeypatch):
    monkeypatch.setenv("INSIGHTS_CAPABILITY", env("INSIGHTS_TEST_CAPABILITY"))
    with connect(nodes=[env("INSIGHTS_TEST_SECURED")]) as m:
        assert m.query.course_report() == {"course": "C1"}
