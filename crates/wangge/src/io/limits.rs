//! Limits on the size of inputs read from sources nobody controls (work in progress).
