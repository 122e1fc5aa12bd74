"""The mesh these tests run against is started by test/python/python-client.test.ts (vitest, in
`npm test`): NATS, nodes alpha, beta and victim in its registry, and a node that requires
capabilities. Their addresses come in the environment."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package, when not pip-installed

from insights_mesh import connect  # noqa: E402


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: run these tests through test/python/python-client.test.ts")
    return value


@pytest.fixture(scope="session")
def nats_url() -> str:
    return _env("INSIGHTS_TEST_NATS")


@pytest.fixture(scope="session")
def node_addresses() -> dict:
    return dict(pair.split("=", 1) for pair in _env("INSIGHTS_TEST_NODES").split(","))


@pytest.fixture(scope="session")
def mesh(nats_url):
    with connect(nats=nats_url, timeout=10) as m:
        yield m


@pytest.fixture(scope="session")
def env():
    return _env
