import os
import signal

from insights_mesh import connect


def test_an_idempotent_call_fails_over_when_a_replica_is_killed(nats_url, env):
    logs = []
    with connect(nats=nats_url, log=logs.append) as m:
        assert sorted(next(a for a in m.describe() if a["name"] == "get_grades")["nodes"]) == ["alpha", "beta", "victim"]
        os.kill(int(env("INSIGHTS_TEST_VICTIM_PID")), signal.SIGKILL)
        # The registry still lists the killed node until its TTL: every call must land on a live replica.
        for _ in range(9):
            assert len(m.query.get_grades(course="C1", learners=3)) == 3
        assert any("victim" in line for line in logs), logs
