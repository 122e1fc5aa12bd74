import os
import subprocess
import time

import pytest

from insights_mesh import MeshError, connect, nats_auth


def wait_for(predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_discovery_from_the_registry_lists_every_node_and_analytic(mesh, node_addresses):
    ids = {n["id"] for n in mesh.nodes()}
    assert {"alpha", "beta", "victim"} <= ids
    served = {a["module"] + "." + a["name"]: a["nodes"] for a in mesh.describe()}
    assert sorted(served["examples.hello_user"]) == ["alpha", "beta", "victim"]
    assert served["gradebook.grade_table"] == ["alpha"]


def test_a_node_given_directly_is_described_without_nats(node_addresses):
    with connect(nodes=[node_addresses["beta"]]) as m:
        assert [n["id"] for n in m.nodes()] == ["beta"]
        assert m.query["clash.hello_user"](user="ada") == "clash says hi to ada"


def test_the_registry_is_watched_live_a_node_joins_and_leaves(mesh, nats_url, env):
    assert "echo.course_report" not in mesh.query
    proc = subprocess.Popen(
        ["node", env("INSIGHTS_TEST_CLI"), "node", "--id", "latecomer", "--nats", nats_url, "--grpc", "0", "--http", "0",
         "--isolation", "inline", "-m", env("INSIGHTS_TEST_ECHO_MODULE")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        # A node writes the registry as the node user; these tests run as the client user.
        env={**os.environ, "NATS_NKEY_SEED": env("INSIGHTS_TEST_NODE_NKEY_SEED")},
    )
    try:
        assert wait_for(lambda: "echo.course_report" in mesh.query, timeout=30), "the new node never appeared"
        assert mesh.query.course_report(course="C2") == {"course": "C2"}
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    # A clean shutdown withdraws the node: it leaves at once, not after its TTL.
    assert wait_for(lambda: "latecomer" not in {n["id"] for n in mesh.nodes()}, timeout=5)


def test_dir_and_help_list_analytics_with_parameters_and_docs(mesh):
    names = dir(mesh.query)
    assert "hello" in names and "get_grades" in names
    assert "hello_user" not in names  # a collision is not offered as a bare name
    assert "examples" in names and "hello_user" in dir(mesh.query.examples)
    f = mesh.query.get_grades
    assert "Dummy grades of a course" in f.__doc__
    assert "learners : integer (default 200)" in f.__doc__
    assert "How many learners" in f.__doc__
    params = list(__import__("inspect").signature(f).parameters)
    assert params[:2] == ["course", "learners"] and "timeout" in params
    assert "examples.hello_user" in mesh.query._ipython_key_completions_()



def test_a_secured_nats_refuses_anonymous_users_and_takes_a_seed_given_in_code(nats_url, monkeypatch):
    seed = os.environ.get("NATS_NKEY_SEED") or pytest.skip("the test NATS has no users")
    monkeypatch.delenv("NATS_NKEY_SEED")
    logs = []
    with connect(nats=nats_url, discovery_timeout=2, log=logs.append) as m:
        assert m.nodes() == []
    assert any("did not answer" in line or "not readable" in line for line in logs), logs
    with connect(nats=nats_url, nkey_seed=seed) as m:
        assert {"alpha", "beta"} <= {n["id"] for n in m.nodes()}


def test_nats_credentials_are_checked_before_connecting(tmp_path):
    with pytest.raises(MeshError) as e:
        nats_auth(nkey_seed="SUxyz", creds_file="x.creds")
    assert e.value.code == "INVALID_ARGUMENT" and e.value.parameter == "creds_file"
    with pytest.raises(MeshError, match="starts with SU"):
        nats_auth(nkey_seed="not-a-seed")
    with pytest.raises(MeshError, match="cannot read the NATS NKey seed file"):
        nats_auth(nkey_seed_file=str(tmp_path / "missing.nk"))
    (tmp_path / "client.nk").write_text("SUAFAKE\n")
    assert nats_auth(nkey_seed_file=str(tmp_path / "client.nk"), env={}) == {"nkeys_seed_str": "SUAFAKE"}
    assert nats_auth(env={"NATS_CREDS": str(tmp_path / "client.nk")}) == {"user_credentials": str(tmp_path / "client.nk")}
    assert nats_auth(env={}) == {}
