//! Little-endian byte layout helpers for format 2: tagged sections of fixed-width numbers and
//! length-prefixed arrays, written with `to_le_bytes` and read with `chunks_exact` +
//! `from_le_bytes` (no unsafe code, no per-element framing).
//!
//! Every read checks its length against the bytes left in its section before it allocates, so
//! a count altered to 2^60 is an error, not an attempt to allocate it.

use crate::error::SnapshotError;

/// Appends little-endian numbers and arrays to a buffer.
#[derive(Default)]
pub(super) struct Writer {
    pub out: Vec<u8>,
}

/// A length as a `u32`, saturated: a saturated count can never match the data that follows, so
/// a reader rejects the file instead of misreading it (no city comes near 2^32 items in one).
pub(super) fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Writer {
    pub fn u32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    /// A `u64` count, then the words.
    pub fn u32s(&mut self, v: &[u32]) {
        self.u64(v.len() as u64);
        self.out.reserve(v.len() * 4);
        for w in v {
            self.out.extend_from_slice(&w.to_le_bytes());
        }
    }
    /// A `u64` count, then the numbers.
    pub fn f64s(&mut self, v: impl ExactSizeIterator<Item = f64>) {
        self.u64(v.len() as u64);
        self.out.reserve(v.len() * 8);
        for x in v {
            self.out.extend_from_slice(&x.to_le_bytes());
        }
    }
    /// A `u64` count of points, then `x, y` of each.
    pub fn points(&mut self, v: &[[f64; 2]]) {
        self.u64(v.len() as u64);
        self.out.reserve(v.len() * 16);
        for [x, y] in v {
            self.out.extend_from_slice(&x.to_le_bytes());
            self.out.extend_from_slice(&y.to_le_bytes());
        }
    }
    /// A section: its 4-byte tag, a `u64` byte length, then what `body` writes.
    pub fn section(&mut self, tag: &[u8; 4], body: impl FnOnce(&mut Writer)) {
        self.out.extend_from_slice(tag);
        let at = self.out.len();
        self.u64(0);
        body(self);
        let len = (self.out.len() - at - 8) as u64;
        self.out[at..at + 8].copy_from_slice(&len.to_le_bytes());
    }
}

/// Reads what [`Writer`] wrote; errors name the section, the item and the byte offset.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Offset of `bytes[0]` in the payload (for messages).
    base: usize,
    section: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over a whole payload.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            bytes,
            at: 0,
            base: 0,
            section: "payload",
        }
    }

    /// An error in the current section at the current position.
    pub fn error(&self, what: impl std::fmt::Display) -> SnapshotError {
        SnapshotError::Payload(format!(
            "section {}, payload byte {}: {what}",
            self.section,
            self.base + self.at
        ))
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: u64, what: &str) -> Result<&'a [u8], SnapshotError> {
        let left = self.bytes.len() - self.at;
        if n > left as u64 {
            return Err(self.error(format!("{what} needs {n} bytes, {left} are left")));
        }
        let out = &self.bytes[self.at..self.at + n as usize];
        self.at += n as usize;
        Ok(out)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, SnapshotError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, SnapshotError> {
        let b = self.take(8, what)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Ok(u64::from_le_bytes(w))
    }

    /// The raw bytes of an array of `u64`-counted items of `size` bytes each.
    pub fn array(&mut self, size: u64, what: &str) -> Result<&'a [u8], SnapshotError> {
        let n = self.u64(what)?;
        let bytes = n
            .checked_mul(size)
            .ok_or_else(|| self.error(format!("{what}: count {n} overflows")))?;
        self.take(bytes, what)
    }

    /// An array of exactly `n` items of `size` bytes (the count is stored and must match).
    pub fn array_of(&mut self, n: usize, size: u64, what: &str) -> Result<&'a [u8], SnapshotError> {
        let at = self.at;
        let bytes = self.array(size, what)?;
        if bytes.len() as u64 != n as u64 * size {
            self.at = at;
            return Err(self.error(format!(
                "{what}: {} items stored, {n} expected",
                bytes.len() as u64 / size
            )));
        }
        Ok(bytes)
    }

    /// Enters the next section, which must have tag `tag`; `body` must read all of it.
    pub fn section<T>(
        &mut self,
        tag: &'static str,
        body: impl FnOnce(&mut Reader<'a>) -> Result<T, SnapshotError>,
    ) -> Result<T, SnapshotError> {
        let found = self.take(4, "section tag")?;
        if found != tag.as_bytes() {
            return Err(self.error(format!(
                "expected section {tag}, found tag {:?}",
                String::from_utf8_lossy(found)
            )));
        }
        let len = self.u64("section length")?;
        let base = self.base + self.at;
        let bytes = self.take(len, tag)?;
        let mut inner = Reader {
            bytes,
            at: 0,
            base,
            section: tag,
        };
        let out = body(&mut inner)?;
        inner.finish()?;
        Ok(out)
    }

    /// Fails when bytes are left unread.
    pub fn finish(&self) -> Result<(), SnapshotError> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            n => Err(self.error(format!("{n} bytes after the end of the data"))),
        }
    }
}

/// Little-endian `u32` words of a byte slice whose length is a multiple of 4.
pub(super) fn words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The `u32` at byte `at` of `bytes` (in bounds by construction of the callers).
#[inline]
pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(w)
}

/// The `f64` at byte `at` of `bytes` (in bounds by construction of the callers).
#[inline]
pub(super) fn f64_at(bytes: &[u8], at: usize) -> f64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&bytes[at..at + 8]);
    f64::from_le_bytes(w)
}
