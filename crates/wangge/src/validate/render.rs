//! The report as text, JSON and GeoJSON.

use super::{FindingKind, Report, Severity};
use geo::Geometry;
use geojson::{Feature, FeatureCollection, GeometryValue, JsonObject, JsonValue};
use serde::Serializer;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Serializes a geometry as a GeoJSON geometry object (or null).
pub(super) fn serialize_geometry<S: Serializer>(
    g: &Option<Geometry<f64>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match g {
        Some(g) => s.serialize_some(&geojson::Geometry::new(GeometryValue::from(g))),
        None => s.serialize_none(),
    }
}

impl Report {
    /// A summary (counts per severity and kind) followed by one line per finding.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let checked: Vec<String> = self
            .levels
            .iter()
            .zip(&self.features)
            .map(|(l, n)| format!("{n} {l}"))
            .collect();
        let _ = writeln!(
            out,
            "checked {}: {} errors, {} warnings",
            checked.join(", "),
            self.count(Severity::Error),
            self.count(Severity::Warning)
        );
        let mut by_kind: BTreeMap<(Severity, FindingKind), usize> = BTreeMap::new();
        for f in &self.findings {
            *by_kind.entry((f.severity, f.kind)).or_default() += 1;
        }
        for ((severity, kind), n) in by_kind {
            let _ = writeln!(out, "  {severity:<7} {:<18} {n}", kind.name());
        }
        for f in &self.findings {
            let _ = writeln!(
                out,
                "{:<7} {:<18} {:<10} [{}] {}",
                f.severity,
                f.kind.name(),
                f.level,
                f.codes.join(" "),
                f.message
            );
        }
        out
    }

    /// The report as pretty-printed JSON (geometries as GeoJSON geometry objects).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// One GeoJSON Feature per finding (properties `kind`, `severity`, `codes`, `level`,
    /// `feature`, `message`, `value`), for drawing on a map; findings without a geometry get a
    /// null geometry.
    pub fn to_geojson(&self) -> FeatureCollection {
        let features = self
            .findings
            .iter()
            .map(|f| {
                let mut p = JsonObject::new();
                p.insert("kind".into(), f.kind.name().into());
                p.insert("severity".into(), f.severity.to_string().into());
                p.insert(
                    "codes".into(),
                    JsonValue::Array(f.codes.iter().map(|c| c.as_str().into()).collect()),
                );
                p.insert("level".into(), f.level.as_str().into());
                p.insert("feature".into(), f.feature.into());
                p.insert("message".into(), f.message.as_str().into());
                p.insert("value".into(), f.value.into());
                Feature {
                    geometry: f
                        .geometry
                        .as_ref()
                        .map(|g| geojson::Geometry::new(GeometryValue::from(g))),
                    properties: Some(p),
                    ..Default::default()
                }
            })
            .collect();
        FeatureCollection {
            features,
            ..Default::default()
        }
    }
}
