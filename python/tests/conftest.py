"""Shared fixtures: the repository root and the bundled Wuhan city / dispatcher (built once)."""

from pathlib import Path

import pytest

import wangge

REPO_ROOT = Path(__file__).resolve().parents[2]
WUHAN = REPO_ROOT / "data" / "wuhan.toml"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def city() -> wangge.City:
    return wangge.City.from_manifest(WUHAN)


@pytest.fixture(scope="session")
def dispatcher() -> wangge.Dispatcher:
    return wangge.Dispatcher.from_manifest(str(WUHAN))


@pytest.fixture()
def fresh_dispatcher() -> wangge.Dispatcher:
    """A dispatcher of its own, for tests that move resources."""
    return wangge.Dispatcher.from_manifest(WUHAN)


def pytest_addoption(parser):
    parser.addoption(
        "--run-spark",
        action="store_true",
        default=False,
        help="run the tests marked `spark` (PySpark on local[2]; needs Java 17+)",
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-spark"):
        return
    skip = pytest.mark.skip(reason="needs --run-spark (scripts/test-python passes it)")
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)
