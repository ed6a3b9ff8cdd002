//! Reading CSV tables from sources nobody controls: encodings, BOM (work in progress).
