//! The five edits a planner makes, as data (JSON: `{"op": "split", ...}`).

use crate::model::geometry::RawMultiPolygon;
use serde::{Deserialize, Serialize};

/// One change to the unit grids (the deepest level) of a city.
///
/// Edits are applied in order, each to the result of the ones before it, so a later edit may
/// name a code that an earlier one created (when that code was given explicitly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Edit {
    /// Cut a grid along a polyline into two or more grids. The old code is retired; the parts
    /// get new codes (`codes`, or the next free serials of the community in reading order).
    Split {
        /// The grid's code.
        grid: String,
        /// The cut, WGS84 `[lon, lat]` positions; it must cross the grid (start and end
        /// outside it, or on its border).
        line: Vec<[f64; 2]>,
        /// Codes for the parts in reading order (north→south, west→east); allocated when
        /// absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        codes: Option<Vec<String>>,
    },
    /// Join adjacent grids of one community into one grid. The old codes are retired; the
    /// result gets `code`, or the next free serial.
    Merge {
        /// The grids' codes (at least two).
        grids: Vec<String>,
        /// Code of the merged grid; allocated when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// Move the shared border of two adjacent grids of one community onto a new polyline
    /// (e.g. a new road). Both keep their codes. The line cuts the two grids' union; each
    /// part goes to the grid it overlapped most before.
    Reshape {
        /// The two grids' codes.
        grids: [String; 2],
        /// The new border, WGS84 `[lon, lat]` positions, crossing the union of the two grids.
        line: Vec<[f64; 2]>,
    },
    /// Move a grid to another community (its shape stays). The old code is retired; the grid
    /// gets `code` or the next free serial of the new community. Every ancestor up to the
    /// common one loses (old side) or gains (new side) the grid's area.
    Reassign {
        /// The grid's code.
        grid: String,
        /// Code of the new parent community.
        parent: String,
        /// The grid's new code; allocated when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// Give a grid a new shape (its code stays). Usually one of several `replace` edits that
    /// redraw neighbouring grids together; the result must still be a partition.
    Replace {
        /// The grid's code.
        grid: String,
        /// The new shape: polygons → rings → WGS84 `[lon, lat]` (GeoJSON MultiPolygon layout).
        geometry: RawMultiPolygon,
    },
}

impl Edit {
    /// The operation's name as written in JSON.
    pub fn op(&self) -> &'static str {
        match self {
            Edit::Split { .. } => "split",
            Edit::Merge { .. } => "merge",
            Edit::Reshape { .. } => "reshape",
            Edit::Reassign { .. } => "reassign",
            Edit::Replace { .. } => "replace",
        }
    }

    /// Reads an edit set: a JSON array of edits (or a single edit).
    pub fn parse_set(source_name: &str, text: &str) -> crate::Result<Vec<Edit>> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            Many(Vec<Edit>),
            One(Edit),
        }
        match serde_json::from_str::<OneOrMany>(text) {
            Ok(OneOrMany::Many(v)) => Ok(v),
            Ok(OneOrMany::One(e)) => Ok(vec![e]),
            Err(_) => {
                // Untagged enums hide the reason; parse as a list again to report it.
                let reason = match serde_json::from_str::<Vec<Edit>>(text) {
                    Err(e) => e.to_string(),
                    Ok(_) => "not an edit or a list of edits".into(),
                };
                Err(crate::Error::Table {
                    source_name: source_name.to_string(),
                    reason,
                })
            }
        }
    }
}
