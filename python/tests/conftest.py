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
