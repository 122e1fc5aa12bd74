import subprocess
import time

import pytest

from insights_mesh import connect


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
