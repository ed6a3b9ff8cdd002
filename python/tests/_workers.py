"""Functions run in spawned worker processes (importable by module name)."""


def locate_chunk(city, lon, lat):
    return city.locate(lon, lat, crs="wgs84")
