"""CSV files in the encodings city systems export (the rules: ``wangge::io::csv_input``): a GBK
case table gives the numbers of its UTF-8 version and of pandas reading it with Python's own
GBK codec; bytes that are no text raise ``DataError`` naming their line."""

import csv
import random

import pandas as pd
import pytest

import wangge

STATUSES = ["结案", "处理中", "作废", "核查结案", "待受理"]
DEPARTMENTS = ["城管局", "水务局", "园林局", ""]
CATEGORIES = ["0103", "0102", "0118", "200501"]


def write_cases(path, encoding, n=3_000, seed=9):
    """Synthetic cases around 江汉区 (GCJ-02), Chinese text in status, department and a
    description that sometimes spans two lines, written with Python's codec and CRLF."""
    rng = random.Random(seed)
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["id", "lon", "lat", "category", "reported_at", "closed_at", "status",
                    "department", "description"])
        for i in range(n):
            status = rng.choice(STATUSES)
            day = 1 + rng.randrange(28)
            closed = f"2025-06-{day:02d} 18:00" if status in ("结案", "核查结案") else ""
            description = rng.choice(["井盖破损", "道路积水，\n请尽快处理", "无照经营游商", "城管巡查"])
            w.writerow([f"C{i}", f"{114.25 + 0.04 * rng.random():.6f}",
                        f"{30.57 + 0.03 * rng.random():.6f}", rng.choice(CATEGORIES),
                        f"2025-06-{day:02d} 08:00", closed, status, rng.choice(DEPARTMENTS),
                        description])


def same_stats(a, b, city):
    for level in city.levels:
        pd.testing.assert_frame_equal(a.level(level), b.level(level))
    pd.testing.assert_frame_equal(a.departments(), b.departments())
    assert a.total == b.total and a.outside == b.outside


def test_a_gbk_case_table_gives_the_numbers_of_its_utf8_version(city, tmp_path):
    utf8, gbk = tmp_path / "cases_utf8.csv", tmp_path / "cases_gbk.csv"
    write_cases(utf8, "utf-8")
    write_cases(gbk, "gbk")
    assert gbk.read_bytes() != utf8.read_bytes().replace(b"\n", b"\r\n")  # really re-encoded
    expected = wangge.case_stats(city, utf8, crs="gcj02", h3_res=8)
    assert expected.total["cases"] == 3_000 and expected.total["closed"] > 0
    for encoding in ["auto", "gbk"]:
        got = wangge.case_stats(city, gbk, crs="gcj02", h3_res=8, encoding=encoding)
        same_stats(got, expected, city)
        pd.testing.assert_frame_equal(got.h3(), expected.h3())
    # An independent decoder: pandas with Python's GBK codec, as a DataFrame.
    frame = pd.read_csv(gbk, encoding="gbk", dtype=str, keep_default_na=False)
    assert set(frame["department"]) == set(DEPARTMENTS)
    frame["lon"], frame["lat"] = frame["lon"].astype(float), frame["lat"].astype(float)
    frame["department"] = frame["department"].replace("", None)
    frame["closed_at"] = frame["closed_at"].replace("", None)
    same_stats(wangge.case_stats(city, frame, crs="gcj02"), expected, city)
    names = set(expected.departments()["code"])
    assert names == {"城管局", "水务局", "园林局"}, names
    # Hot spots read the GBK file alike.
    a = wangge.hotspots(city, utf8, radius_m=80, days=3, crs="gcj02")
    b = wangge.hotspots(city, gbk, radius_m=80, days=3, crs="gcj02", encoding="gbk")
    assert len(a) == len(b) > 0
    pd.testing.assert_frame_equal(a.clusters(), b.clusters())


def test_bytes_that_are_no_text_raise_data_error_with_their_line(city, tmp_path):
    # Latin-1 on line 3: neither UTF-8 nor GBK.
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,lon,lat,name\nA,114.27,30.58,ok\nB,114.27,30.58,café\n".encode("latin-1"))
    with pytest.raises(wangge.DataError, match=r"latin1\.csv line 3 \(byte 52\): byte 0xE9 is not UTF-8") as e:
        wangge.case_stats(city, path)
    assert "iconv" in str(e.value)
    # A GBK file read as UTF-8: the first Chinese byte, on line 2, with what to do.
    gbk = tmp_path / "gbk.csv"
    write_cases(gbk, "gbk", n=5)
    with pytest.raises(wangge.DataError, match=r"gbk\.csv line 2 \(byte \d+\).*encoding gbk"):
        wangge.case_stats(city, gbk, encoding="utf-8")
    with pytest.raises(wangge.DataError, match=r"line 2"):
        wangge.hotspots(city, gbk, radius_m=50, days=1, encoding="utf-8")
    # skip_invalid does not skip an encoding error: there are no good rows to keep.
    with pytest.raises(wangge.DataError, match="line 3"):
        wangge.case_stats(city, path, skip_invalid=True)
    # A NUL byte (UTF-16 without a byte-order mark).
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("lon,lat\n114.27,30.58\n".encode("utf-16-le"))
    with pytest.raises(wangge.DataError, match=r"line 1 \(byte 1\): NUL byte"):
        wangge.case_stats(city, utf16)
    with pytest.raises(wangge.WanggeError, match="encoding"):
        wangge.case_stats(city, path, encoding="latin-1")


def test_bom_crlf_and_quoted_line_breaks_keep_lines_right(city, tmp_path):
    path = tmp_path / "bom.csv"
    text = 'lon,lat,description\r\n114.27,30.58,"two\r\nlines"\r\n\r\n114.27,north,x\r\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    stats = wangge.case_stats(city, path, crs="gcj02", skip_invalid=True)
    problems = stats.problems()
    assert list(problems["line"]) == [5] and list(problems["column"]) == ["lat"]
    assert stats.total["cases"] == 1
