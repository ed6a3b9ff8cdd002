"""Snapshots, pickling and a spawn-mode process pool."""

import multiprocessing as mp
import pickle

import numpy as np

import wangge
from _workers import locate_chunk


def test_bytes_round_trip(city):
    data = city.to_bytes()
    assert isinstance(data, bytes)
    again = wangge.City.from_bytes(data)
    assert again.to_bytes() == data
    assert again.levels == city.levels and len(again) == len(city)
    assert wangge.City.from_bytes(bytearray(data)).to_bytes() == data


def test_save_and_load(city, tmp_path):
    path = tmp_path / "wuhan.wgg"
    city.save(path)
    assert wangge.City.load(path).to_bytes() == city.to_bytes()


def test_pickle_round_trip(city):
    rng = np.random.default_rng(1)
    lon = rng.uniform(114.20, 114.30, 5_000)
    lat = rng.uniform(30.55, 30.63, 5_000)
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(city, protocol=protocol))
        assert isinstance(again, wangge.City)
        assert again.to_bytes() == city.to_bytes()
        np.testing.assert_array_equal(again.locate(lon, lat), city.locate(lon, lat))
    fn, args = city.__reduce__()
    assert fn == wangge.City.from_bytes and args == (city.to_bytes(),)


def test_spawn_pool(city):
    rng = np.random.default_rng(2)
    lon = rng.uniform(114.20, 114.30, 40_000)
    lat = rng.uniform(30.55, 30.63, 40_000)
    chunks = [(city, lon[i : i + 10_000], lat[i : i + 10_000]) for i in range(0, 40_000, 10_000)]
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        parts = pool.starmap(locate_chunk, chunks)
    np.testing.assert_array_equal(np.concatenate(parts), city.locate(lon, lat))
    assert (np.concatenate(parts) >= 0).sum() > 1000
