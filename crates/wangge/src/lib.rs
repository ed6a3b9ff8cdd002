#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod analytics;
pub mod assets;
pub mod catalog;
pub mod codes;
pub mod crs;
pub mod dispatch;
pub mod error;
pub mod generate;
pub mod io;
pub mod locate;
pub mod model;
pub mod nearest;
pub mod plan;
pub mod synth;
pub mod validate;

pub use crs::Crs;
pub use error::{Error, ErrorKind, Location, Result, SnapshotError};
pub use locate::NO_OWNER;
pub use model::{
    BuildOptions, City, CodeScheme, LevelInput, Located, Region, RegionId, RegionInput,
};

/// The common imports: `use wangge::prelude::*;`.
pub mod prelude {
    pub use crate::crs::Crs;
    pub use crate::model::{
        BuildOptions, City, CodeScheme, LevelInput, Region, RegionId, RegionInput,
    };
    pub use crate::{Error, Result, NO_OWNER};
}
