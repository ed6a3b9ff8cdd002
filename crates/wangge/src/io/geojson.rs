//! GeoJSON import and export: one FeatureCollection per level.

use crate::crs::{Converter, Crs};
use crate::error::{Error, Location, Result};
use crate::model::geometry::{to_raw, RawMultiPolygon};
use crate::model::{City, RegionInput};
use geojson::{
    Feature, FeatureCollection, GeoJson, Geometry, GeometryValue, JsonObject, JsonValue,
};
use serde::{Deserialize, Serialize};

/// Which feature properties hold a region's code, name and parent code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PropertyNames {
    /// Property with the region code (string or integer). Default `"code"`.
    pub code: String,
    /// Property with the name; missing values become empty names. Default `"name"`.
    pub name: Option<String>,
    /// Property with the parent's code; `None` = find parents by containment.
    pub parent: Option<String>,
}

impl Default for PropertyNames {
    fn default() -> Self {
        PropertyNames {
            code: "code".into(),
            name: Some("name".into()),
            parent: None,
        }
    }
}

/// Reads one level from GeoJSON text (a FeatureCollection, a Feature or a bare geometry list is
/// not accepted: a level is a FeatureCollection). Coordinates in `crs` are converted to WGS84.
///
/// Geometry checks (ring closure, ranges, validity) happen in [`City::build`], which names the
/// same feature indices as this reader.
pub fn read_level(
    source_name: &str,
    text: &str,
    level: &str,
    props: &PropertyNames,
    crs: Crs,
    converter: &Converter,
) -> Result<Vec<RegionInput>> {
    let fail = |reason: String| Error::GeoJson {
        source_name: source_name.to_string(),
        reason,
    };
    let collection = match text.parse::<GeoJson>() {
        Ok(GeoJson::FeatureCollection(fc)) => fc,
        Ok(other) => {
            return Err(fail(format!(
                "expected a FeatureCollection, found a {}",
                match other {
                    GeoJson::Feature(_) => "Feature",
                    _ => "Geometry",
                }
            )))
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    collection
        .features
        .iter()
        .enumerate()
        .map(|(feature, f)| {
            let mut at = Location {
                level: level.to_string(),
                feature,
                code: None,
            };
            let code = string_property(&at, f, &props.code)?.ok_or_else(|| Error::Property {
                at: at.clone(),
                property: props.code.clone(),
                problem: "is missing".into(),
            })?;
            at.code = Some(code.clone());
            let name = match &props.name {
                Some(p) => string_property(&at, f, p)?.unwrap_or_default(),
                None => String::new(),
            };
            let parent = match &props.parent {
                Some(p) => Some(string_property(&at, f, p)?.ok_or_else(|| Error::Property {
                    at: at.clone(),
                    property: p.clone(),
                    problem: "is missing".into(),
                })?),
                None => None,
            };
            let geometry = raw_geometry(&at, f.geometry.as_ref(), crs, converter)?;
            Ok(RegionInput {
                code,
                name,
                parent,
                geometry,
            })
        })
        .collect()
}

/// A property as a string: strings as they are, integers in decimal; `None` when absent or null.
fn string_property(at: &Location, f: &Feature, key: &str) -> Result<Option<String>> {
    match f.properties.as_ref().and_then(|p| p.get(key)) {
        None | Some(JsonValue::Null) => Ok(None),
        Some(JsonValue::String(s)) => Ok(Some(s.clone())),
        Some(JsonValue::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        Some(other) => Err(Error::Property {
            at: at.clone(),
            property: key.to_string(),
            problem: format!("must be a string or an integer, found {other}"),
        }),
    }
}

fn raw_geometry(
    at: &Location,
    geometry: Option<&Geometry>,
    crs: Crs,
    converter: &Converter,
) -> Result<RawMultiPolygon> {
    let unsupported = |found: &str| Error::UnsupportedGeometry {
        at: at.clone(),
        found: found.to_string(),
    };
    let polygons: Vec<&Vec<Vec<geojson::Position>>> = match geometry.map(|g| &g.value) {
        Some(GeometryValue::Polygon { coordinates }) => vec![coordinates],
        Some(GeometryValue::MultiPolygon { coordinates }) => coordinates.iter().collect(),
        Some(other) => return Err(unsupported(other.type_name())),
        None => return Err(unsupported("no geometry")),
    };
    polygons
        .into_iter()
        .map(|poly| {
            poly.iter()
                .map(|ring| {
                    ring.iter()
                        .map(|pos| match pos.as_slice() {
                            [x, y, ..] => {
                                let (x, y) = converter.to_wgs84(crs, *x, *y);
                                Ok([x, y])
                            }
                            _ => Err(unsupported("a position with fewer than 2 numbers")),
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// One level of a city as a FeatureCollection with properties `code`, `name`, `level`,
/// `parent` (code or null) and `area_m2`; coordinates converted from WGS84 to `crs`.
pub fn level_to_geojson(
    city: &City,
    level: usize,
    crs: Crs,
    converter: &Converter,
) -> FeatureCollection {
    let features = city
        .level_regions(level)
        .map(|(_, r)| {
            let mut props = JsonObject::new();
            props.insert("code".into(), r.code.clone().into());
            props.insert("name".into(), r.name.clone().into());
            props.insert("level".into(), city.levels()[r.level].clone().into());
            props.insert(
                "parent".into(),
                r.parent
                    .map(|p| JsonValue::from(city.region(p).code.clone()))
                    .unwrap_or(JsonValue::Null),
            );
            props.insert("area_m2".into(), r.area_m2.into());
            let coordinates = to_raw(&r.geometry)
                .into_iter()
                .map(|poly| {
                    poly.into_iter()
                        .map(|ring| {
                            ring.into_iter()
                                .map(|[x, y]| {
                                    let (x, y) = converter.from_wgs84(crs, x, y);
                                    geojson::Position::from([x, y])
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect();
            Feature {
                geometry: Some(Geometry::new(GeometryValue::MultiPolygon { coordinates })),
                properties: Some(props),
                ..Default::default()
            }
        })
        .collect();
    FeatureCollection {
        features,
        bbox: None,
        foreign_members: None,
    }
}
