//! `--limit NAME=N`: the input limits ([`wangge::io::limits::ReadLimits`]) on the command
//! line, shared by every command that reads GeoJSON levels or loads a city.

use crate::{ctx, CliResult};
use clap::Args;
use wangge::crs::{Converter, Crs};
use wangge::dispatch::Dispatcher;
use wangge::io::geojson::{LevelReader, PropertyNames};
use wangge::io::limits::ReadLimits;
use wangge::io::manifest::Manifest;
use wangge::model::RegionInput;
use wangge::City;

/// A loaded city, with its dispatcher when the manifest has one.
pub enum CityOrDispatcher {
    /// A snapshot, or a manifest without `[dispatch]`.
    City(City),
    /// A manifest with `[dispatch]`.
    Dispatcher(Dispatcher),
}

/// The `--limit` flags (flattened into each command that reads GeoJSON or loads a city).
#[derive(Args, Default)]
pub struct LimitArgs {
    #[arg(long = "limit", value_name = "NAME=N", value_parser = parse, help = help())]
    limits: Vec<(String, u64)>,
}

fn parse(s: &str) -> Result<(String, u64), String> {
    ReadLimits::parse_override(s).map_err(|e| e.to_string())
}

/// The flag's help: every limit with its default, from [`ReadLimits::default`].
fn help() -> String {
    let d = ReadLimits::default();
    let list: Vec<String> = ReadLimits::NAMES
        .iter()
        .filter_map(|name| Some(format!("{name} ({})", d.get(name)?)))
        .collect();
    format!(
        "Change a limit on GeoJSON level files or a snapshot (max_snapshot_bytes), NAME=N \
         (repeatable; N = `none` for no limit). A file over a limit is refused before it can \
         exhaust memory or time; raise a limit only for files you trust. Overrides the \
         manifest's [limits] table. Limits (defaults): {}",
        list.join(", ")
    )
}

impl LimitArgs {
    /// The overrides as given, in order.
    pub fn overrides(&self) -> &[(String, u64)] {
        &self.limits
    }

    /// A city from a snapshot or a manifest (`--city`), under these limits.
    pub fn load_city(&self, path: &std::path::Path) -> CliResult<City> {
        ctx(City::load_with_limits(path, &self.limits))
    }

    /// What the analytics commands (`stats`, `hotspots`) work on: the dispatcher when `path`
    /// is a manifest with a `[dispatch]` section (its department rule and assets count), else
    /// the city alone.
    pub fn load_city_or_dispatcher(&self, path: &std::path::Path) -> CliResult<CityOrDispatcher> {
        let with_dispatch = Manifest::load(path).is_ok_and(|m| m.dispatch.is_some());
        Ok(if with_dispatch {
            CityOrDispatcher::Dispatcher(ctx(Dispatcher::from_manifest_with_limits(
                path,
                &self.limits,
            ))?)
        } else {
            CityOrDispatcher::City(self.load_city(path)?)
        })
    }

    /// The default limits with the overrides applied (for files read without a manifest).
    pub fn read_limits(&self) -> CliResult<ReadLimits> {
        ctx(ReadLimits::default().with_overrides(&self.limits))
    }

    /// One GeoJSON level read from `path` under [`LimitArgs::read_limits`], its coordinates
    /// converted from `crs` (the `--polygons` files of locate, validate and generate).
    pub fn read_level(
        &self,
        path: &std::path::Path,
        level: &str,
        props: &PropertyNames,
        crs: Crs,
    ) -> CliResult<Vec<RegionInput>> {
        let reader = LevelReader {
            level,
            props,
            crs,
            converter: &Converter::default(),
            limits: self.read_limits()?,
        };
        ctx(reader.read_file(path))
    }
}
