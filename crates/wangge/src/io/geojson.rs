//! GeoJSON import and export: one FeatureCollection per level.
//!
//! # Reading
//! [`LevelReader`] (and its shorthand [`read_level`], which applies the default limits) reads one
//! level from a FeatureCollection of Polygon / MultiPolygon features. The document is parsed in
//! one streaming pass straight into the level's regions, never into a generic JSON tree: members
//! the reader does not need (other properties, `bbox`, `id`, foreign members) are skipped without
//! being stored, only the code, name and parent properties are kept, and features, positions and
//! rings are counted against the [`ReadLimits`] as they are read, so a hostile document is
//! stopped at the first item over a limit with an [`Error::Limit`] naming the level, the feature
//! and the ring. Memory stays within a small multiple of the limits, not of the file.
//!
//! Errors name the file and, inside a feature, the level, the feature index and (once read) the
//! code: JSON syntax errors and structural errors (a ring where a position should be, a position
//! with fewer than two numbers, coordinates nested deeper than a MultiPolygon's) are
//! [`Error::GeoJson`] with serde_json's line and column; a missing or mistyped property is
//! [`Error::Property`]; a geometry that is not a Polygon or MultiPolygon is
//! [`Error::UnsupportedGeometry`]. Geometry checks (ring length and closure, coordinate range,
//! validity) happen in [`City::build`], which names the same feature indices.
//!
//! Repairs, each harmless and documented: a UTF-8 byte-order mark at the start is skipped;
//! numbers after longitude and latitude (altitude) are ignored; a position outside ±180° / ±90°
//! given in GCJ-02 or BD-09 is passed through unconverted, so the build reports it as
//! [`Error::CoordinateOutOfRange`] with the values of the file (converting it could turn a huge
//! value into NaN). Duplicate members of one object are refused.

use super::limits::ReadLimits;
use crate::crs::{Converter, Crs};
use crate::error::{Error, Location, Result};
use crate::model::geometry::{to_raw, RawMultiPolygon};
use crate::model::{City, RegionInput};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, JsonValue};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::Path;

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

/// Reads one level from GeoJSON text (a FeatureCollection; a Feature or a bare geometry is not
/// accepted) with the default [`ReadLimits`]. Coordinates in `crs` are converted to WGS84.
/// See [`LevelReader`] for other limits and for files.
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
    LevelReader {
        level,
        props,
        crs,
        converter,
        limits: ReadLimits::default(),
    }
    .read_str(source_name, text)
}

/// How to read one level: its name, property names, CRS and limits (module docs).
///
/// ```
/// use wangge::crs::{Converter, Crs};
/// use wangge::io::geojson::{LevelReader, PropertyNames};
/// use wangge::io::limits::ReadLimits;
/// use wangge::Error;
///
/// let text = r#"{"type": "FeatureCollection", "features": [
///     {"type": "Feature", "properties": {"code": "A"}, "geometry": {"type": "Polygon",
///      "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}"#;
/// let props = PropertyNames::default();
/// let converter = Converter::default();
/// let mut reader = LevelReader {
///     level: "grid",
///     props: &props,
///     crs: Crs::Wgs84,
///     converter: &converter,
///     limits: ReadLimits::default(),
/// };
/// assert_eq!(reader.read_str("a.geojson", text)?.len(), 1);
/// reader.limits.max_ring_vertices = 3;
/// let e = reader.read_str("a.geojson", text).unwrap_err();
/// assert!(matches!(e, Error::Limit { limit: "max_ring_vertices", max: 3, found: 4, .. }));
/// assert!(e.to_string().contains("ring 0 of feature 0"), "{e}");
/// # Ok::<(), wangge::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LevelReader<'a> {
    /// The level's name (used in errors and in each region's [`Location`]).
    pub level: &'a str,
    /// Which properties hold code, name and parent.
    pub props: &'a PropertyNames,
    /// CRS of the coordinates; they are converted to WGS84.
    pub crs: Crs,
    /// The converter for GCJ-02 / BD-09 input.
    pub converter: &'a Converter,
    /// Bounds on the document ([`ReadLimits`]).
    pub limits: ReadLimits,
}

impl LevelReader<'_> {
    /// Reads a level from GeoJSON text; `source_name` labels it in errors.
    pub fn read_str(&self, source_name: &str, text: &str) -> Result<Vec<RegionInput>> {
        self.limits.check_text(source_name, text)?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let ctx = Ctx {
            reader: self,
            source_name,
            features: Cell::new(0),
            vertices: Cell::new(0),
            rings: Cell::new(0),
            feature_rings: Cell::new(0),
            current: Cell::new(None),
            stop: RefCell::new(None),
            out: RefCell::new(Vec::new()),
        };
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed = DocSeed(&ctx)
            .deserialize(&mut de)
            .and_then(|doc| de.end().map(|()| doc));
        match parsed {
            Ok(doc) => doc.check(&ctx)?,
            Err(e) => return Err(ctx.error(e)),
        }
        Ok(ctx.out.into_inner())
    }

    /// Reads a level from a GeoJSON file: its size is checked against
    /// [`ReadLimits::max_file_bytes`] before it is read ([`ReadLimits::read_file`]).
    pub fn read_file(&self, path: &Path) -> Result<Vec<RegionInput>> {
        let text = self.limits.read_file(path)?;
        self.read_str(&path.display().to_string(), &text)
    }
}

/// The state of one read: counters against the limits, the feature being read, the typed
/// error that stopped the parse (serde only carries strings) and the regions read so far.
struct Ctx<'r> {
    reader: &'r LevelReader<'r>,
    source_name: &'r str,
    features: Cell<u64>,
    vertices: Cell<u64>,
    rings: Cell<u64>,
    feature_rings: Cell<u64>,
    current: Cell<Option<u64>>,
    stop: RefCell<Option<Error>>,
    out: RefCell<Vec<RegionInput>>,
}

impl Ctx<'_> {
    /// Records `e` as the reason the parse stops and returns the serde error that stops it.
    fn halt<E: de::Error>(&self, e: Error) -> E {
        self.stop.borrow_mut().get_or_insert(e);
        E::custom("stopped")
    }

    /// Stops the parse with [`Error::Limit`] when `found > max`.
    fn limit<E: de::Error>(
        &self,
        what: impl FnOnce() -> String,
        limit: &'static str,
        max: u64,
        found: u64,
    ) -> Result<(), E> {
        ReadLimits::check(self.source_name, what, limit, max, found).map_err(|e| self.halt(e))
    }

    /// The typed error that stopped the parse, or the parse error with the feature it was in.
    fn error(&self, e: serde_json::Error) -> Error {
        if let Some(stop) = self.stop.borrow_mut().take() {
            return stop;
        }
        let reason = match self.current.get() {
            Some(i) => format!("feature {i} of level {:?}: {e}", self.reader.level),
            None => e.to_string(),
        };
        Error::GeoJson {
            source_name: self.source_name.to_string(),
            reason,
        }
    }

    fn feature_label(&self) -> String {
        match self.current.get() {
            Some(i) => format!("feature {i} of level {:?}", self.reader.level),
            None => format!("level {:?}", self.reader.level),
        }
    }

    /// A position was read: counts it against `max_vertices`.
    fn count_vertex<E: de::Error>(&self) -> Result<(), E> {
        let n = self.vertices.get() + 1;
        self.vertices.set(n);
        let max = self.reader.limits.max_vertices;
        self.limit(
            || {
                format!(
                    "positions in level {:?} (reading stopped in {})",
                    self.reader.level,
                    self.feature_label()
                )
            },
            "max_vertices",
            max,
            n,
        )
    }

    /// A ring (or an empty coordinate array) was read: counts it per feature and per level.
    fn count_ring<E: de::Error>(&self) -> Result<(), E> {
        let in_feature = self.feature_rings.get() + 1;
        self.feature_rings.set(in_feature);
        let limits = &self.reader.limits;
        self.limit(
            || format!("rings in {}", self.feature_label()),
            "max_feature_rings",
            limits.max_feature_rings,
            in_feature,
        )?;
        let n = self.rings.get() + 1;
        self.rings.set(n);
        self.limit(
            || {
                format!(
                    "rings in level {:?} (reading stopped in {})",
                    self.reader.level,
                    self.feature_label()
                )
            },
            "max_rings",
            limits.max_rings,
            n,
        )
    }

    /// The ring being read has `n` positions so far: checks `max_ring_vertices`.
    fn count_ring_vertex<E: de::Error>(&self, n: u64) -> Result<(), E> {
        self.limit(
            || {
                format!(
                    "positions in ring {} of {}",
                    self.feature_rings.get(),
                    self.feature_label()
                )
            },
            "max_ring_vertices",
            self.reader.limits.max_ring_vertices,
            n,
        )
    }
}

/// Member names the reader acts on; everything else is skipped unread.
enum Key {
    Type,
    Features,
    Properties,
    Geometry,
    Coordinates,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Key, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "type" => Key::Type,
                    "features" => Key::Features,
                    "properties" => Key::Properties,
                    "geometry" => Key::Geometry,
                    "coordinates" => Key::Coordinates,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Sets `slot` once; a second value for the same member is an error.
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

/// The top level: `type` and whether `features` was read.
struct Doc {
    kind: Option<String>,
    features: bool,
}

impl Doc {
    fn check(&self, ctx: &Ctx) -> Result<()> {
        let fail = |reason: String| Error::GeoJson {
            source_name: ctx.source_name.to_string(),
            reason,
        };
        match (self.kind.as_deref(), self.features) {
            (Some("FeatureCollection"), true) => Ok(()),
            (Some("FeatureCollection"), false) => Err(fail(
                "the FeatureCollection has no \"features\" member".into(),
            )),
            (Some(kind), _) => Err(fail(format!(
                "expected a FeatureCollection, found a {}",
                if kind == "Feature" {
                    "Feature"
                } else {
                    "Geometry"
                }
            ))),
            (None, _) => Err(fail(
                "expected a FeatureCollection: the document has no \"type\" member".into(),
            )),
        }
    }
}

struct DocSeed<'c, 'r>(&'c Ctx<'r>);

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = Doc;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = Doc;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut kind = None;
        let mut features = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => once(&mut kind, map.next_value::<String>()?, "type")?,
                Key::Features => {
                    if features.is_some() {
                        return Err(de::Error::duplicate_field("features"));
                    }
                    map.next_value_seed(FeaturesSeed(self.0))?;
                    features = Some(());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Doc {
            kind,
            features: features.is_some(),
        })
    }
}

struct FeaturesSeed<'c, 'r>(&'c Ctx<'r>);

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.0;
        loop {
            let index = ctx.features.get();
            ctx.current.set(Some(index));
            ctx.feature_rings.set(0);
            if seq.next_element_seed(FeatureSeed(ctx))?.is_none() {
                break;
            }
            ctx.features.set(index + 1);
            ctx.limit(
                || format!("features in level {:?}", ctx.reader.level),
                "max_features",
                ctx.reader.limits.max_features,
                index + 1,
            )?;
        }
        ctx.current.set(None);
        Ok(())
    }
}

/// One feature: parsed, then turned into a [`RegionInput`] (or the first problem, which stops
/// the read) with the same checks, in the same order, as before any geometry check.
struct FeatureSeed<'c, 'r>(&'c Ctx<'r>);

impl<'de> DeserializeSeed<'de> for FeatureSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FeatureSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON Feature object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        let mut kind: Option<String> = None;
        let mut properties: Option<JsonObject> = None;
        let mut geometry: Option<Option<ParsedGeometry>> = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => once(&mut kind, map.next_value()?, "type")?,
                Key::Properties => once(
                    &mut properties,
                    map.next_value_seed(PropertiesSeed(ctx.reader.props))?,
                    "properties",
                )?,
                Key::Geometry => once(
                    &mut geometry,
                    map.next_value_seed(GeometrySeed(ctx))?,
                    "geometry",
                )?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let index = ctx.current.get().unwrap_or_default() as usize;
        if kind.as_deref() != Some("Feature") {
            return Err(ctx.halt(Error::GeoJson {
                source_name: ctx.source_name.to_string(),
                reason: format!(
                    "{}: \"type\" must be \"Feature\", found {}",
                    ctx.feature_label(),
                    kind.map_or("none".into(), |k| format!("{k:?}"))
                ),
            }));
        }
        let region = region(
            ctx,
            index,
            &properties.unwrap_or_default(),
            geometry.flatten(),
        )
        .map_err(|e| ctx.halt(e))?;
        ctx.out.borrow_mut().push(region);
        Ok(())
    }
}

/// `properties`: null, or an object of which only the wanted members are kept.
struct PropertiesSeed<'a>(&'a PropertyNames);

impl<'de> DeserializeSeed<'de> for PropertiesSeed<'_> {
    type Value = JsonObject;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JsonObject, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PropertiesSeed<'_> {
    type Value = JsonObject;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object or null (\"properties\")")
    }
    fn visit_unit<E: de::Error>(self) -> Result<JsonObject, E> {
        Ok(JsonObject::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonObject, A::Error> {
        let wanted = |k: &str| {
            k == self.0.code
                || self.0.name.as_deref() == Some(k)
                || self.0.parent.as_deref() == Some(k)
        };
        let mut kept = JsonObject::new();
        while let Some(key) = map.next_key::<String>()? {
            if wanted(&key) {
                // The last of repeated members wins, as in serde_json's maps.
                kept.insert(key, map.next_value::<JsonValue>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(kept)
    }
}

/// A geometry as read: its `type` and its coordinates, whatever their nesting.
struct ParsedGeometry {
    kind: Option<String>,
    coordinates: Option<Node>,
}

/// Nested coordinate arrays: a position, or an array of nodes.
enum Node {
    Position([f64; 2]),
    List(Box<[Node]>),
}

struct GeometrySeed<'c, 'r>(&'c Ctx<'r>);

impl<'de> DeserializeSeed<'de> for GeometrySeed<'_, '_> {
    type Value = Option<ParsedGeometry>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GeometrySeed<'_, '_> {
    type Value = Option<ParsedGeometry>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a geometry object or null")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind = None;
        let mut coordinates = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type => once(&mut kind, map.next_value::<String>()?, "type")?,
                Key::Coordinates => once(
                    &mut coordinates,
                    map.next_value_seed(ListSeed {
                        ctx: self.0,
                        depth: 0,
                    })?,
                    "coordinates",
                )?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(ParsedGeometry { kind, coordinates }))
    }
}

/// Positions are at most this many arrays deep (a MultiPolygon's: polygons, rings, positions).
const MAX_DEPTH: u8 = 3;

/// One coordinate array at `depth` (0 = the `coordinates` member itself).
struct ListSeed<'c, 'r> {
    ctx: &'c Ctx<'r>,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_, '_> {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_seq(self)
    }
}

/// What a coordinate array holds: nothing yet, numbers (a position), or arrays.
enum Items {
    Empty,
    Numbers(usize, [f64; 2]),
    Nodes(Vec<Node>),
}

impl<'de> Visitor<'de> for ListSeed<'_, '_> {
    type Value = Node;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of coordinates")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let ctx = self.ctx;
        let mut items = Items::Empty;
        let mut positions: u64 = 0;
        while let Some(item) = seq.next_element_seed(ItemSeed {
            ctx,
            depth: self.depth + 1,
        })? {
            items = match (items, item) {
                (Items::Empty, Item::Number(v)) => Items::Numbers(1, [v, 0.0]),
                (Items::Numbers(n, mut p), Item::Number(v)) => {
                    if n == 1 {
                        p[1] = v;
                    }
                    Items::Numbers(n + 1, p)
                }
                (Items::Empty, Item::Node(node)) => Items::Nodes(vec![node]),
                (Items::Nodes(mut nodes), Item::Node(node)) => {
                    nodes.push(node);
                    Items::Nodes(nodes)
                }
                _ => {
                    return Err(de::Error::custom(
                        "a coordinate array mixes numbers and arrays",
                    ))
                }
            };
            if let Items::Nodes(nodes) = &items {
                if let Some(Node::Position(_)) = nodes.last() {
                    positions += 1;
                    ctx.count_ring_vertex(positions)?;
                }
            }
        }
        match items {
            Items::Numbers(1, _) => Err(de::Error::custom(
                "a position needs at least 2 numbers (longitude, latitude)",
            )),
            Items::Numbers(_, p) => {
                ctx.count_vertex()?;
                Ok(Node::Position(p))
            }
            Items::Empty => {
                if self.depth > 0 {
                    ctx.count_ring()?;
                }
                Ok(Node::List(Box::new([])))
            }
            Items::Nodes(nodes) => {
                if self.depth > 0 && positions > 0 {
                    ctx.count_ring()?;
                }
                Ok(Node::List(nodes.into_boxed_slice()))
            }
        }
    }
}

/// An element of a coordinate array: a number or a nested array.
enum Item {
    Number(f64),
    Node(Node),
}

struct ItemSeed<'c, 'r> {
    ctx: &'c Ctx<'r>,
    depth: u8,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_, '_> {
    type Value = Item;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Item, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed<'_, '_> {
    type Value = Item;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or an array of coordinates")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Item, E> {
        Ok(Item::Number(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Item, E> {
        Ok(Item::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item, E> {
        Ok(Item::Number(v as f64))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item, A::Error> {
        if self.depth > MAX_DEPTH {
            return Err(de::Error::custom(
                "coordinates nested deeper than a MultiPolygon's (polygons, rings, positions)",
            ));
        }
        ListSeed {
            ctx: self.ctx,
            depth: self.depth,
        }
        .visit_seq(seq)
        .map(Item::Node)
    }
}

/// The region of one parsed feature: code, name and parent properties, then the geometry, as
/// [`Error::Property`] / [`Error::UnsupportedGeometry`] / [`Error::GeoJson`] naming the feature.
fn region(
    ctx: &Ctx,
    feature: usize,
    properties: &JsonObject,
    geometry: Option<ParsedGeometry>,
) -> Result<RegionInput> {
    let reader = ctx.reader;
    let props = reader.props;
    let mut at = Location {
        level: reader.level.to_string(),
        feature,
        code: None,
    };
    let code = string_property(&at, properties, &props.code)?.ok_or_else(|| Error::Property {
        at: at.clone(),
        property: props.code.clone(),
        problem: "is missing".into(),
    })?;
    at.code = Some(code.clone());
    let name = match &props.name {
        Some(p) => string_property(&at, properties, p)?.unwrap_or_default(),
        None => String::new(),
    };
    let parent = match &props.parent {
        Some(p) => Some(
            string_property(&at, properties, p)?.ok_or_else(|| Error::Property {
                at: at.clone(),
                property: p.clone(),
                problem: "is missing".into(),
            })?,
        ),
        None => None,
    };
    let geometry = raw_geometry(ctx, &at, geometry)?;
    Ok(RegionInput {
        code,
        name,
        parent,
        geometry,
    })
}

/// A property as a string: strings as they are, integers in decimal; `None` when absent or null.
fn string_property(at: &Location, properties: &JsonObject, key: &str) -> Result<Option<String>> {
    match properties.get(key) {
        None | Some(JsonValue::Null) => Ok(None),
        Some(JsonValue::String(s)) => Ok(Some(s.clone())),
        Some(JsonValue::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
        Some(other) => Err(Error::Property {
            at: at.clone(),
            property: key.to_string(),
            problem: format!("must be a string or an integer, found {}", abridged(other)),
        }),
    }
}

/// A JSON value for a message, cut to a readable length.
fn abridged(v: &JsonValue) -> String {
    let s = v.to_string();
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn raw_geometry(
    ctx: &Ctx,
    at: &Location,
    geometry: Option<ParsedGeometry>,
) -> Result<RawMultiPolygon> {
    let unsupported = |found: String| Error::UnsupportedGeometry {
        at: at.clone(),
        found,
    };
    let Some(g) = geometry else {
        return Err(unsupported("no geometry".into()));
    };
    let kind = match g.kind.as_deref() {
        Some(k @ ("Polygon" | "MultiPolygon")) => k,
        Some(other) => return Err(unsupported(other.to_string())),
        None => return Err(unsupported("a geometry without \"type\"".into())),
    };
    let structure = |reason: String| Error::GeoJson {
        source_name: ctx.source_name.to_string(),
        reason: format!("{at}: {kind} coordinates: {reason}"),
    };
    let Some(coordinates) = g.coordinates else {
        return Err(structure("missing (no \"coordinates\" member)".into()));
    };
    let Node::List(items) = coordinates else {
        return Err(structure("a single position, expected an array".into()));
    };
    let reader = ctx.reader;
    let mut ring_index = 0;
    let mut polygon = |rings: &[Node]| -> Result<Vec<Vec<[f64; 2]>>> {
        rings
            .iter()
            .map(|ring| {
                let this = ring_index;
                ring_index += 1;
                let Node::List(positions) = ring else {
                    return Err(structure(format!(
                        "ring {this} is a single position, expected an array of positions"
                    )));
                };
                positions
                    .iter()
                    .enumerate()
                    .map(|(position, p)| match p {
                        Node::Position([x, y]) if x.abs() <= 180.0 && y.abs() <= 90.0 => {
                            let (x, y) = reader.converter.to_wgs84(reader.crs, *x, *y);
                            Ok([x, y])
                        }
                        // Passed through for the build to report with the file's values.
                        Node::Position(p) => Ok(*p),
                        Node::List(_) => Err(structure(format!(
                            "position {position} of ring {this} is an array of arrays, \
                             expected [longitude, latitude]"
                        ))),
                    })
                    .collect()
            })
            .collect()
    };
    if kind == "Polygon" {
        return Ok(vec![polygon(&items)?]);
    }
    items
        .iter()
        .enumerate()
        .map(|(i, part)| match part {
            Node::List(rings) => polygon(rings),
            Node::Position(_) => Err(structure(format!(
                "polygon {i} is a single position, expected an array of rings"
            ))),
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
