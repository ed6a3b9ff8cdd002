"""Writes reference.json: H3 cell ids, boundaries and a polygon cover from PyPI `h3` (the
reference library), the oracle of wangge's H3 tests (crates/wangge/src/analytics/tests.rs).

    python3 -m venv /tmp/h3venv && /tmp/h3venv/bin/pip install h3
    /tmp/h3venv/bin/python tests/data/h3/make_reference.py > tests/data/h3/reference.json
"""
import json
import random

import h3

rng = random.Random(8)
points = [
    (114.2712, 30.5851), (114.25, 30.55), (116.397, 39.908), (121.4737, 31.2304),
    (0.0, 0.0), (-179.9999, 10.0), (179.9999, -10.0), (12.5, 89.99), (-45.0, -89.99),
    (-122.4194, 37.7749), (151.2093, -33.8688),
]
points += [(rng.uniform(114.0, 114.6), rng.uniform(30.3, 30.8)) for _ in range(40)]
points += [(rng.uniform(-180, 180), rng.uniform(-90, 90)) for _ in range(20)]
cells = []
for lon, lat in points:
    cells.append({"lon": lon, "lat": lat,
                  "ids": [h3.latlng_to_cell(lat, lon, r) for r in range(16)]})
boundaries = []
for lon, lat in points[:6]:
    for r in (0, 5, 9, 12):
        c = h3.latlng_to_cell(lat, lon, r)
        boundaries.append({"cell": c, "boundary": [[g, t] for t, g in h3.cell_to_boundary(c)]})
# A lon/lat polygon near Wuhan with a hole, covered at resolution 9 (centre containment).
outer = [(114.25, 30.55), (114.27, 30.55), (114.275, 30.565), (114.26, 30.57), (114.248, 30.562)]
hole = [(114.258, 30.556), (114.263, 30.556), (114.263, 30.561), (114.258, 30.561)]
shape = h3.LatLngPoly([(y, x) for x, y in outer], [(y, x) for x, y in hole])
cover = sorted(h3.h3shape_to_cells(shape, 9))
print(json.dumps({
    "generated_by": "tests/data/h3/make_reference.py with PyPI h3 " + h3.__version__,
    "cells": cells,
    "boundaries": boundaries,
    "cover": {"resolution": 9, "outer": outer, "hole": hole, "cells": cover},
}, indent=0))
