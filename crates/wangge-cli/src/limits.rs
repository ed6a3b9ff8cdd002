//! `--limit NAME=N`: the GeoJSON input limits ([`wangge::io::limits::ReadLimits`]) on the
//! command line, shared by the commands that read GeoJSON levels.

use crate::{ctx, CliResult};
use clap::Args;
use wangge::io::limits::ReadLimits;

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
    let values = [
        d.max_file_bytes,
        d.max_features,
        d.max_vertices,
        d.max_ring_vertices,
        d.max_rings,
        d.max_feature_rings,
    ];
    let list: Vec<String> = ReadLimits::NAMES
        .iter()
        .zip(values)
        .map(|(name, v)| format!("{name} ({v})"))
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

    /// A manifest's limits (its `[limits]` table or the defaults) with the overrides applied.
    pub fn apply_to(&self, manifest: &mut wangge::io::manifest::Manifest) -> CliResult {
        manifest.limits = Some(ctx(manifest.read_limits().with_overrides(&self.limits))?);
        Ok(())
    }
}
