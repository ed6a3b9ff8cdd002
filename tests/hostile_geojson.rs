//! Hostile GeoJSON inputs (tests/hostile/geojson): each gives a typed error or a documented repair (work in progress).
