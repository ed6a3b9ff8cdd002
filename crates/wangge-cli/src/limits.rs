//! `--limit NAME=N`: the GeoJSON input limits ([`wangge::io::limits::ReadLimits`]) on the
//! command line, shared by the commands that read GeoJSON levels.

use crate::{ctx, CliResult};
use clap::Args;
use wangge::crs::{Converter, Crs};
use wangge::io::geojson::{LevelReader, PropertyNames};
use wangge::io::limits::ReadLimits;
use wangge::model::RegionInput;

/// The `--limit` flags (flattened into each command that reads GeoJSON).
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
        "Change a limit on GeoJSON input, NAME=N (repeatable; N = `none` for no limit). A file \
         over a limit is refused before it can exhaust memory or time; raise a limit only for \
         files you trust. Overrides the manifest's [limits] table. Limits (defaults): {}",
        list.join(", ")
    )
}

impl LimitArgs {
    /// The overrides as given, in order.
    pub fn overrides(&self) -> &[(String, u64)] {
        &self.limits
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

    /// A manifest's limits (its `[limits]` table or the defaults) with the overrides applied.
    pub fn apply_to(&self, manifest: &mut wangge::io::manifest::Manifest) -> CliResult {
        manifest.limits = Some(ctx(manifest.read_limits().with_overrides(&self.limits))?);
        Ok(())
    }
}
