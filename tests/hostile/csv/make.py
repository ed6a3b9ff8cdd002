#!/usr/bin/env python3
"""Writes the hostile CSV corpus of tests/hostile_csv.rs (run from anywhere; the files are
committed, so the tests never run this). The GBK and GB18030 bytes come from Python's own
`codecs` (an encoder independent of encoding_rs, which the Rust side decodes with); each encoded
file has a UTF-8 twin with the text the decoder must give back (line endings as `\n`)."""

from pathlib import Path

HERE = Path(__file__).resolve().parent

# A case table on the fixture city (tests/data/fixture): grids 001, 002, 009, one point outside,
# Chinese text in status, department and a quoted two-line description.
CASES = (
    "id,lon,lat,category,reported_at,closed_at,status,department,description\n"
    "C1,114.2505,30.5525,0103,2025-06-01 08:00,2025-06-01 10:00,结案,城管局,井盖破损\n"
    'C2,114.2515,30.5525,0103,2025-06-02 08:00,,处理中,城管局,"井盖丢失，\n第二行说明"\n'
    "C3,114.2525,30.5505,0305,2025-06-03 08:00,2025-06-04 08:00,结案,水务局,雨水井盖堵塞\n"
    "C4,114.2600,30.5600,0305,2025-06-04 08:00,,处理中,城管局,网格外\n"
)

ASSETS = (
    "id,class,name,lon,lat,state,备注\n"
    "4201030103000001,0103,雨水井盖,114.2505,30.5525,完好,城管局养护\n"
    "4201030103000002,0103,雨水井盖,114.2515,30.5525,破损,\"待修，\n已报修\"\n"
)

WORKERS = (
    "id,kind,lon,lat,on_duty,home_grid,备注\n"
    'W1,worker,114.2505,30.5525,true,420103001001001,"早班\n(两行)"\n'
    "W2,worker,114.2515,30.5525,no,,晚班\n"
)


def write(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def main() -> None:
    write("cases.utf8.csv", CASES.encode("utf-8"))
    write("cases.gbk.csv", crlf(CASES).encode("gbk"))
    write("cases.bom.csv", b"\xef\xbb\xbf" + crlf(CASES).encode("utf-8"))
    write("cases.utf16le.csv", b"\xff\xfe" + CASES.encode("utf-16-le"))
    write("cases.utf16le_nobom.csv", CASES.encode("utf-16-le"))
    write("cases.cr.csv", CASES.replace("\n", "\r").encode("utf-8"))
    # GB18030 beyond GBK: a four-byte sequence (U+20000) and the euro sign.
    gb = "id,lon,lat,name\nA1,114.2505,30.5525,\U00020000井盖€\n"
    write("gb18030.csv", gb.encode("gb18030"))
    write("gb18030.utf8.csv", gb.encode("utf-8"))
    # Latin-1: é before a line break is no GBK either; ü before a letter would decode as a
    # rare GBK character, which the GB2312 share refuses.
    write("latin1.csv", "id,lon,lat,name\nA1,114.2505,30.5525,café\n".encode("latin-1"))
    write("latin1_gbk_shaped.csv", "id,lon,lat,name\nA1,114.2505,30.5525,Müller\n".encode("latin-1"))
    # Cut multi-byte characters at the end of the file: 井 in UTF-8 (E4 BA 95) and 盖 in GBK.
    write("truncated_utf8.csv", "id,lon,lat,name\nA1,114.2505,30.5525,".encode() + "井".encode()[:2])
    write("truncated_gbk.csv", "id,lon,lat,name\nA1,114.2505,30.5525,井".encode("gbk") + "盖".encode("gbk")[:1])
    # UTF-8 rows, then a GBK row on line 4 (within the detection window).
    write(
        "utf8_then_gbk.csv",
        "id,lon,lat,name\nA1,114.2505,30.5525,井盖\nA2,114.2515,30.5525,城管\n".encode()
        + "A3,114.2525,30.5505,城管\n".encode("gbk"),
    )
    # GBK rows, then a UTF-8 row (in the window): mixed encodings.
    write(
        "gbk_then_utf8.csv",
        "id,lon,lat,name\nA1,114.2505,30.5525,井盖\n".encode("gbk")
        + "A2,114.2515,30.5525,雨水井盖堵塞\n".encode(),
    )
    write("missing_lat.csv", b"id,lon,category\nA1,114.2505,0103\n")
    extra = (
        CASES.replace("description\n", "description,备注,x\n", 1)
        .replace("井盖破损\n", "井盖破损,附加,1\n")
        .replace('第二行说明"\n', '第二行说明",附加,2\n')
        .replace("雨水井盖堵塞\n", "雨水井盖堵塞,,3\n")
        .replace("网格外\n", "网格外,附加,\n")
    )
    write("extra_columns.csv", extra.encode())
    write("duplicate_lon.csv", b"id,lon,lat, lon\nA1,114.2505,30.5525,114.2515\n")
    write(
        "ragged.csv",
        b"id,lon,lat,status\n"
        b"A1,114.2505,30.5525,6\n"
        b"A2,114.2515,30.5525\n"  # line 3: a field short
        b"A3,114.2525,30.5505,6\n"
        b"A4,114.2505,30.5525,6,extra\n"  # line 5: a field too many
        b"A5,114.2515,30.5525,4\n",
    )
    write("nul.csv", b"id,lon,lat\nA1,114.2505,30.5525\nA2,114.25\x0005,30.5525\n")
    write(
        "unterminated.csv",
        b"id,lon,lat,description\nA1,114.2505,30.5525,ok\n"
        b'A2,114.2515,30.5525,"never closed\nA3,114.2525,30.5505,x\nA4,114.2505,30.5525,y\n',
    )
    write("empty.csv", b"")
    write("bom_only.csv", b"\xef\xbb\xbf")
    write("blank_lines_only.csv", b"\n\r\n\n")
    write("header_only.csv", b"\xef\xbb\xbfid,lon,lat,status\r\n")
    write(
        "crlf_bad_row.csv",
        crlf(
            "id,lon,lat,description\n"
            'A1,114.2505,30.5525,"first\nsecond\nthird"\n'
            "\n"
            "A2,east,30.5525,x\n"
        ).encode(),
    )
    write("assets.gbk.csv", crlf(ASSETS).encode("gbk"))
    write("assets.utf8.csv", ASSETS.encode())
    write("workers.bom_crlf.csv", b"\xef\xbb\xbf" + crlf(WORKERS).encode())
    write(
        "departments.toml",
        '[[department]]\ncode = "D1"\nname = "城管局"\njurisdiction = "city"\nhandles = ["01"]\n'.encode(),
    )
    write("workers_dup.csv", b"id,kind,lon,lat,on_duty,id\nW1,worker,114.25,30.55,true,W2\n")


if __name__ == "__main__":
    main()
