"""Every case of tests/conformance/*.json gives the answer the Rust runner expects."""

import json
from functools import lru_cache

import numpy as np
import pytest

import wangge
from conftest import REPO_ROOT

FILES = sorted((REPO_ROOT / "tests" / "conformance").glob("*.json"))


def _cases():
    out = []
    for f in FILES:
        doc = json.loads(f.read_text(encoding="utf-8"))
        for i, case in enumerate(doc["cases"]):
            out.append(pytest.param(doc["manifest"], case, id=f"{doc['dataset']}-{i}"))
    return out


CASES = _cases()


@lru_cache(maxsize=None)
def load(manifest: str) -> wangge.City:
    return wangge.City.load(REPO_ROOT / manifest)


def test_conformance_files_exist():
    assert FILES, "no tests/conformance/*.json"
    assert len(CASES) >= 10


@pytest.mark.parametrize("manifest,case", CASES)
def test_case_scalar(manifest, case):
    city = load(manifest)
    hit = city.locate(case["lon"], case["lat"], crs=case["crs"])
    got = None if hit is None else hit.codes
    assert got == case["expect"], case.get("note")


@pytest.mark.parametrize("manifest", sorted({p.values[0] for p in CASES}))
def test_cases_batch(manifest):
    """The array path gives the same chains as the scalar path, per CRS."""
    city = load(manifest)
    cases = [p.values[1] for p in CASES if p.values[0] == manifest]
    for crs in sorted({c["crs"] for c in cases}):
        sub = [c for c in cases if c["crs"] == crs]
        lon = np.array([c["lon"] for c in sub])
        lat = np.array([c["lat"] for c in sub])
        levels = city.locate_levels(lon, lat, crs=crs)
        ids = city.locate(lon, lat, crs=crs)
        for row, leaf, c in zip(levels, ids, sub):
            chain = [city.region(int(i)).code for i in row if i >= 0]
            expect = c["expect"] or []
            assert chain == expect, c.get("note")
            assert (leaf == -1) == (c["expect"] is None)
