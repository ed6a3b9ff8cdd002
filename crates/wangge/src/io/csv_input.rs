//! Reading CSV tables from sources nobody controls: the one place that decides how bytes become
//! records, used by every CSV reader of the crate (case tables, [`crate::assets::read_csv`],
//! [`crate::io::dispatch_spec::read_workers`]) and by the CLI.
//!
//! # The rules
//!
//! | input | what happens |
//! |---|---|
//! | UTF-8 byte-order mark (`EF BB BF`) | stripped; the first header name matches as written |
//! | UTF-16 byte-order mark (`FF FE`, `FE FF`) | decoded as UTF-16 with [`Encoding::Auto`]; with an explicit encoding an [`Error::Encoding`] saying the file is UTF-16 |
//! | encoding, [`Encoding::Auto`] (default) | ASCII passes; from the first non-ASCII byte, a window of 64 KiB or more decides: valid UTF-8 (or valid up to a character cut by the end) → UTF-8; else clean GBK/GB18030 text → GBK/GB18030 (no malformed sequence, ≥ 90 % of its two-byte characters in the GB2312 range of common Chinese, which Latin-1 text and UTF-8 misread as GBK are not, and no run of 4 UTF-8 Chinese characters); else [`Error::Encoding`] |
//! | encoding, [`Encoding::Utf8`] / [`Encoding::Gbk`] | that encoding from the first byte (GBK is decoded as GB18030, its superset, with `encoding_rs`) |
//! | a byte that is not valid in the encoding in force, anywhere in the file | [`Error::Encoding`] with its line and byte offset and how to convert the file; never a replacement character. In particular, a file that [`Encoding::Auto`] read as UTF-8 (its first non-ASCII bytes were UTF-8) and that later holds a non-UTF-8 byte is refused at that byte, never decoded by guess; a file it read as GBK is refused where it holds 6 UTF-8 Chinese characters in a row (mixed encodings; shorter UTF-8 words there would be misread: name the encoding of such files) |
//! | a multi-byte character cut by the end of the file | [`Error::Encoding`] at its first byte |
//! | a NUL byte | [`Error::Encoding`]: no text format here contains one; it is a binary file, or UTF-16 without a byte-order mark |
//! | line endings `\r\n`, `\r`, `\n` | all read as `\n`, also inside quoted fields |
//! | quoted fields with line breaks | one field; a record's line is the line it *starts* on |
//! | a quote left open at the end of the file | [`Error::BadRow`] naming the record's first line and the column (it would swallow every later row) |
//! | an empty file (or only a byte-order mark / blank lines) | [`Error::Table`]: no header |
//! | a header and no rows | a table of no rows |
//! | blank lines | skipped (line numbers still count them) |
//! | header names | trimmed of surrounding white space |
//! | a column a reader needs is absent | [`Error::MissingColumn`] |
//! | columns nobody asked for | ignored (the asset reader keeps them as attributes) |
//! | a header naming a column twice | [`Error::Table`] naming both positions, when a reader uses that column (every column, for assets) |
//! | a row with fewer or more fields than the header | [`Error::BadRow`] with its line; the reading can go on with the next row (case tables collect it with `skip_invalid`) |
//! | a record longer than [`CsvOptions::max_record_bytes`] (default 1 MiB) | [`Error::Limit`] (`max_record_bytes`), found within 16 KiB past the limit, so an unclosed quote cannot fill memory |
//!
//! Lines are numbered from 1 as an editor shows them (the header is usually line 1), after the
//! line endings above: a record's line is where it starts; an encoding error's line is the
//! line of the offending byte, whose `byte_offset` counts from 0 in the file as stored
//! (byte-order mark included). Reading stops at an encoding error even when bad rows are being
//! collected: a file in the wrong encoding has no good rows to keep.
//!
//! Reading streams: memory is bounded by one record plus fixed buffers (16 KiB for the parser,
//! 64 KiB of input and 192 KiB of output when decoding GBK or UTF-16), whatever the file's
//! length. The UTF-8 path validates in place (SIMD) with no copy of its own: on 1M and 10M
//! synthetic cases the reader costs what the bare `csv` reader did, within noise
//! (`benches/RESULTS.md`).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::{self, Read};

/// The record type [`CsvReader::read`] fills (the `csv` crate's).
pub use csv::StringRecord;

/// Text encoding of a CSV input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8, or GBK/GB18030 when the text is not UTF-8 but is clean GBK (module docs); UTF-16
    /// with a byte-order mark.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// UTF-8 only (a UTF-8 byte-order mark is stripped).
    #[serde(rename = "utf-8", alias = "utf8", alias = "UTF-8")]
    Utf8,
    /// GBK, read as GB18030 (its superset; GB2312 is a subset of both).
    #[serde(
        rename = "gbk",
        alias = "GBK",
        alias = "gb18030",
        alias = "GB18030",
        alias = "gb2312",
        alias = "cp936"
    )]
    Gbk,
}

impl Encoding {
    /// Parses a name, ignoring case: `auto`; `utf-8` or `utf8`; `gbk`, `gb18030`, `gb2312` or
    /// `cp936`.
    pub fn parse(name: &str) -> Option<Encoding> {
        match name.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Encoding::Auto),
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "gbk" | "gb18030" | "gb2312" | "cp936" => Some(Encoding::Gbk),
            _ => None,
        }
    }

    /// The name [`Encoding::parse`] reads back: `auto`, `utf-8` or `gbk`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Auto => "auto",
            Encoding::Utf8 => "utf-8",
            Encoding::Gbk => "gbk",
        }
    }

    /// Whether this is [`Encoding::Auto`] (the default, left out when serialised).
    pub fn is_auto(&self) -> bool {
        *self == Encoding::Auto
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Encoding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Encoding> {
        Encoding::parse(s).ok_or_else(|| Error::InvalidParameter {
            name: "encoding".into(),
            value: s.to_string(),
            reason: "expected auto, utf-8 or gbk (also gb18030)".into(),
        })
    }
}

/// The default of [`CsvOptions::max_record_bytes`]: 1 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: u64 = 1 << 20;

/// How to read a CSV input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Text encoding.
    pub encoding: Encoding,
    /// Longest record accepted, in bytes of UTF-8 text ([`Error::Limit`] beyond).
    pub max_record_bytes: u64,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            encoding: Encoding::Auto,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

impl CsvOptions {
    /// The defaults with `encoding`.
    pub fn with_encoding(encoding: Encoding) -> Self {
        CsvOptions {
            encoding,
            ..CsvOptions::default()
        }
    }
}

/// Bytes read from the input at a time, and the size of the detection window.
const CHUNK: usize = 64 << 10;
/// The CSV parser's buffer (also the slack of the streaming record-length check): small
/// enough that the text it holds stays in the L1 cache while the parser reads it.
const CSV_BUFFER: usize = 16 << 10;
/// Appended after the text: a record `\0` that a well-formed file turns into a record of its
/// own, and an open quote swallows into its field. Input NUL bytes are refused, so a `\0` in a
/// record can only come from here.
const SENTINEL: &[u8] = b"\n\0\n";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How to convert a file, for the messages.
const CONVERT: &str = "convert it to UTF-8, e.g. `iconv -f GBK -t UTF-8 in.csv > out.csv` (name the file's real encoding after -f: GBK, GB18030, WINDOWS-1252, ...)";

/// Why decoding stopped; the owner of the reader turns it into an [`Error`] with a line.
#[derive(Debug, Clone)]
enum Failure {
    Encoding { byte_offset: u64, reason: String },
    TooLong { found: u64 },
    Io(String),
}

/// What the UTF-8 pass-through says when it meets a bad byte.
#[derive(Debug, Clone)]
enum Utf8Why {
    /// Asked for, or a UTF-8 byte-order mark.
    Given(&'static str),
    /// Chosen by [`Encoding::Auto`] at this byte.
    Detected(u64),
    /// Neither UTF-8 nor GBK: why not GBK.
    Neither(String),
}

enum State {
    /// Nothing read yet: looking for a byte-order mark.
    Start,
    /// [`Encoding::Auto`], only ASCII so far.
    Ascii,
    /// [`Encoding::Auto`], a non-ASCII byte at the front of `raw`: the window decides.
    Decide,
    /// UTF-8, validated in place.
    Utf8(Utf8Why),
    /// Decoded by `encoding_rs`.
    Decode {
        decoder: Box<encoding_rs::Decoder>,
        name: &'static str,
        /// The byte where [`Encoding::Auto`] chose it (`None`: asked for, or a BOM).
        detected_at: Option<u64>,
        finished: bool,
    },
}

/// Bytes in, UTF-8 text out (module docs): byte-order marks, the encoding, NUL bytes, line
/// endings, the end-of-text sentinel and the record-length guard.
struct DecodeReader<R> {
    inner: R,
    encoding: Encoding,
    state: State,
    /// Bytes read ahead of the output (byte-order mark, detection window, decoder input).
    raw: Vec<u8>,
    raw_pos: usize,
    inner_eof: bool,
    /// File offset of the next input byte not yet turned into output.
    consumed: u64,
    /// Decoded output not yet handed out.
    out: Vec<u8>,
    out_pos: usize,
    /// A UTF-8 character cut by the end of the last chunk, and where it starts.
    carry: [u8; 4],
    carry_len: usize,
    carry_offset: u64,
    /// The last byte handed out was a `\r` made `\n`: drop a `\n` right after it.
    skip_lf: bool,
    /// Append [`SENTINEL`] at the end (CSV), and how much of it is out.
    sentinel: bool,
    sentinel_out: usize,
    /// Bytes handed out (sentinel excluded), and where the current record started.
    delivered: u64,
    record_start: u64,
    max_record: u64,
    /// A failure to report once the output before it is handed out.
    pending: Option<Failure>,
    /// Where detected GBK turns out to hold UTF-8 text ([`utf8_cjk_run`]).
    mixed_at: Option<u64>,
    failure: Option<Failure>,
}

impl<R: Read> DecodeReader<R> {
    fn new(inner: R, encoding: Encoding, max_record: u64, sentinel: bool) -> Self {
        DecodeReader {
            inner,
            encoding,
            state: State::Start,
            raw: Vec::new(),
            raw_pos: 0,
            inner_eof: false,
            consumed: 0,
            out: Vec::new(),
            out_pos: 0,
            carry: [0; 4],
            carry_len: 0,
            carry_offset: 0,
            skip_lf: false,
            sentinel,
            sentinel_out: 0,
            delivered: 0,
            record_start: 0,
            max_record,
            pending: None,
            mixed_at: None,
            failure: None,
        }
    }

    /// The encoding in force, once known.
    fn encoding_name(&self) -> Option<&'static str> {
        match &self.state {
            State::Utf8(_) => Some("UTF-8"),
            State::Decode { name, .. } => Some(name),
            State::Ascii => Some("ASCII"),
            _ => None,
        }
    }

    /// Appends up to [`CHUNK`] input bytes to `raw` (compacting it first).
    fn fill_raw(&mut self) -> std::result::Result<(), Failure> {
        if self.raw_pos == self.raw.len() {
            self.raw.clear();
            self.raw_pos = 0;
        } else if self.raw_pos > 0 {
            self.raw.drain(..self.raw_pos);
            self.raw_pos = 0;
        }
        let old = self.raw.len();
        self.raw.resize(old + CHUNK, 0);
        let n = loop {
            match self.inner.read(&mut self.raw[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.raw.truncate(old);
                    return Err(Failure::Io(e.to_string()));
                }
            }
        };
        self.raw.truncate(old + n);
        self.inner_eof |= n == 0;
        Ok(())
    }

    /// The next input bytes into `buf`: from `raw` first, else straight from the input.
    /// Returns how many, and whether they came from `raw`; 0 at the end.
    fn next_raw(&mut self, buf: &mut [u8]) -> std::result::Result<(usize, bool), Failure> {
        if self.raw_pos < self.raw.len() {
            let k = buf.len().min(self.raw.len() - self.raw_pos);
            buf[..k].copy_from_slice(&self.raw[self.raw_pos..self.raw_pos + k]);
            return Ok((k, true));
        }
        if self.inner_eof {
            return Ok((0, false));
        }
        loop {
            match self.inner.read(buf) {
                Ok(0) => {
                    self.inner_eof = true;
                    return Ok((0, false));
                }
                Ok(n) => return Ok((n, false)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::Io(e.to_string())),
            }
        }
    }

    /// Marks `n` bytes of the chunk just taken by [`Self::next_raw`] as consumed.
    fn consume(&mut self, n: usize, from_raw: bool) {
        self.consumed += n as u64;
        if from_raw {
            self.raw_pos += n;
        }
    }

    /// Text into `buf` (0 at the end), before line-ending normalisation.
    fn next_text(&mut self, buf: &mut [u8]) -> std::result::Result<usize, Failure> {
        loop {
            if self.out_pos == self.out.len() {
                if let Some(f) = self.pending.take() {
                    return Err(f);
                }
            }
            match &mut self.state {
                State::Start => self.start()?,
                State::Ascii => {
                    if let Some(n) = self.ascii(buf)? {
                        return Ok(n);
                    }
                }
                State::Decide => self.decide()?,
                State::Utf8(_) => return self.utf8(buf),
                State::Decode { .. } => {
                    if let Some(n) = self.decode(buf)? {
                        return Ok(n);
                    }
                }
            }
        }
    }

    fn encoding_error(&self, byte_offset: u64, reason: String) -> Failure {
        Failure::Encoding {
            byte_offset,
            reason,
        }
    }

    /// Looks for a byte-order mark and sets the state.
    fn start(&mut self) -> std::result::Result<(), Failure> {
        while self.raw.len() - self.raw_pos < 3 && !self.inner_eof {
            self.fill_raw()?;
        }
        let head = &self.raw[self.raw_pos..];
        let utf16 = if head.starts_with(b"\xFF\xFE") {
            Some((encoding_rs::UTF_16LE, "UTF-16LE", "FF FE"))
        } else if head.starts_with(b"\xFE\xFF") {
            Some((encoding_rs::UTF_16BE, "UTF-16BE", "FE FF"))
        } else {
            None
        };
        if head.starts_with(UTF8_BOM) {
            if self.encoding == Encoding::Gbk {
                return Err(self.encoding_error(
                    0,
                    "the file starts with a UTF-8 byte-order mark (EF BB BF): it is UTF-8, not \
                     GBK; read it with encoding auto or utf-8"
                        .into(),
                ));
            }
            self.raw_pos += 3;
            self.consumed += 3;
            self.state = State::Utf8(Utf8Why::Given("the UTF-8 byte-order mark says"));
        } else if let Some((encoding, name, bom)) = utf16 {
            if self.encoding != Encoding::Auto {
                return Err(self.encoding_error(
                    0,
                    format!(
                        "the file starts with a {name} byte-order mark ({bom}): it is {name}, not \
                         {}; read it with encoding auto (UTF-16 with a byte-order mark is \
                         decoded) or convert it: iconv -f UTF-16 -t UTF-8 in.csv > out.csv",
                        if self.encoding == Encoding::Gbk {
                            "GBK"
                        } else {
                            "UTF-8"
                        }
                    ),
                ));
            }
            self.raw_pos += 2;
            self.consumed += 2;
            self.state = State::Decode {
                decoder: Box::new(encoding.new_decoder_without_bom_handling()),
                name,
                detected_at: None,
                finished: false,
            };
        } else {
            self.state = match self.encoding {
                Encoding::Auto => State::Ascii,
                Encoding::Utf8 => State::Utf8(Utf8Why::Given("encoding utf-8 was asked for")),
                Encoding::Gbk => State::Decode {
                    decoder: Box::new(encoding_rs::GB18030.new_decoder_without_bom_handling()),
                    name: "GBK/GB18030",
                    detected_at: None,
                    finished: false,
                },
            };
        }
        Ok(())
    }

    /// [`State::Ascii`]: hands out ASCII until the first other byte, which moves to `raw` for
    /// [`State::Decide`]. `None`: no output yet, go on with the new state.
    fn ascii(&mut self, buf: &mut [u8]) -> std::result::Result<Option<usize>, Failure> {
        let (n, from_raw) = self.next_raw(buf)?;
        if n == 0 {
            return Ok(Some(0));
        }
        let chunk = &buf[..n];
        let end = if chunk.is_ascii() {
            n
        } else {
            chunk.iter().position(|b| !b.is_ascii()).unwrap_or(n)
        };
        if let Some(z) = memchr::memchr(0, &chunk[..end]) {
            self.pending = Some(nul(self.consumed + z as u64));
            self.consume(z, from_raw);
            return Ok(Some(z));
        }
        if end < n {
            if !from_raw {
                // The rest of this chunk is the front of the window.
                self.raw.clear();
                self.raw_pos = 0;
                self.raw.extend_from_slice(&buf[end..n]);
            }
            self.consume(end, from_raw);
            self.state = State::Decide;
            return Ok((end > 0).then_some(end));
        }
        self.consume(n, from_raw);
        Ok(Some(n))
    }

    /// [`State::Decide`]: the window from the first non-ASCII byte decides the encoding.
    fn decide(&mut self) -> std::result::Result<(), Failure> {
        while self.raw.len() - self.raw_pos < CHUNK && !self.inner_eof {
            self.fill_raw()?;
        }
        let window = &self.raw[self.raw_pos..];
        // Valid UTF-8, or valid up to a character cut by the end of the window (or of the file:
        // truncated UTF-8, which the UTF-8 path reports).
        let utf8 = match simdutf8::compat::from_utf8(window) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        };
        self.state = if utf8 {
            State::Utf8(Utf8Why::Detected(self.consumed))
        } else {
            match gbk_window(window, self.inner_eof) {
                Ok(()) => State::Decode {
                    decoder: Box::new(encoding_rs::GB18030.new_decoder_without_bom_handling()),
                    name: "GBK/GB18030",
                    detected_at: Some(self.consumed),
                    finished: false,
                },
                // The UTF-8 pass-through hands out the valid text and stops at the first bad
                // byte, so that the error's line is known.
                Err(why) => State::Utf8(Utf8Why::Neither(why)),
            }
        };
        Ok(())
    }

    /// [`State::Utf8`]: input bytes into `buf`, validated in place.
    fn utf8(&mut self, buf: &mut [u8]) -> std::result::Result<usize, Failure> {
        let (n, from_raw) = self.next_raw(buf)?;
        if n == 0 {
            if self.carry_len > 0 {
                let at = self.carry_offset;
                self.carry_len = 0;
                return Err(self.utf8_error(at, "the file ends inside a multi-byte character"));
            }
            return Ok(0);
        }
        let chunk = &buf[..n];
        // A character cut by the end of the last chunk.
        let mut start = 0;
        if self.carry_len > 0 {
            let width = utf8_width(self.carry[0]);
            let k = (width - self.carry_len).min(n);
            let mut tmp = [0u8; 4];
            tmp[..self.carry_len].copy_from_slice(&self.carry[..self.carry_len]);
            tmp[self.carry_len..self.carry_len + k].copy_from_slice(&chunk[..k]);
            match std::str::from_utf8(&tmp[..self.carry_len + k]) {
                Ok(_) => self.carry_len = 0,
                Err(e) if e.error_len().is_none() => {
                    self.carry[self.carry_len..self.carry_len + k].copy_from_slice(&chunk[..k]);
                    self.carry_len += k;
                }
                Err(_) => {
                    let at = self.carry_offset;
                    self.carry_len = 0;
                    return Err(self.utf8_error(at, "a multi-byte character is cut short"));
                }
            }
            start = k;
        }
        let mut good = n;
        let mut bad = None;
        // SIMD validation: the text passes through here whole, so this is the reader's cost.
        if let Err(e) = simdutf8::compat::from_utf8(&chunk[start..]) {
            let v = start + e.valid_up_to();
            if e.error_len().is_some() {
                good = v;
                bad = Some(v);
            } else {
                self.carry_len = n - v;
                self.carry[..n - v].copy_from_slice(&chunk[v..n]);
                self.carry_offset = self.consumed + v as u64;
            }
        }
        if let Some(z) = memchr::memchr(0, &chunk[..good]) {
            self.pending = Some(nul(self.consumed + z as u64));
            self.carry_len = 0;
            good = z;
        } else if let Some(v) = bad {
            let byte = chunk[v];
            let f = self.utf8_error(
                self.consumed + v as u64,
                &format!("byte 0x{byte:02X} is not UTF-8"),
            );
            self.pending = Some(f);
        }
        self.consume(good, from_raw);
        if good == 0 {
            if let Some(f) = self.pending.take() {
                return Err(f);
            }
        }
        Ok(good)
    }

    fn utf8_error(&self, at: u64, what: &str) -> Failure {
        let State::Utf8(why) = &self.state else {
            return self.encoding_error(at, what.to_string());
        };
        let reason = match why {
            Utf8Why::Given(how) => format!(
                "{what} ({how}); if the file is GBK/GB18030 read it with encoding gbk, else {CONVERT}"
            ),
            Utf8Why::Detected(from) => format!(
                "{what}, but the text was UTF-8 up to here (read as UTF-8 from byte {from}, its \
                 first non-ASCII byte); if the file is GBK/GB18030 read it with encoding gbk, \
                 else {CONVERT}"
            ),
            Utf8Why::Neither(gbk) => format!(
                "{what}, and the text is not GBK/GB18030 either ({gbk}): the file is in another \
                 encoding (Latin-1 / Windows-1252?) or damaged; {CONVERT}"
            ),
        };
        self.encoding_error(at, reason)
    }

    /// [`State::Decode`]: decodes `raw` into `out` and hands it out. `None`: nothing yet.
    fn decode(&mut self, buf: &mut [u8]) -> std::result::Result<Option<usize>, Failure> {
        if self.out_pos < self.out.len() {
            let k = buf.len().min(self.out.len() - self.out_pos);
            buf[..k].copy_from_slice(&self.out[self.out_pos..self.out_pos + k]);
            self.out_pos += k;
            return Ok(Some(k));
        }
        if self.raw_pos == self.raw.len() && !self.inner_eof {
            self.fill_raw()?;
            let auto = matches!(
                &self.state,
                State::Decode {
                    detected_at: Some(_),
                    ..
                }
            );
            if auto && self.mixed_at.is_none() {
                self.mixed_at = utf8_cjk_run(&self.raw[self.raw_pos..], MIXED_RUN)
                    .map(|j| self.consumed + j as u64);
            }
        }
        // Detected GBK that holds a run of UTF-8 Chinese: decode up to it, then stop there.
        let limit = match self.mixed_at {
            Some(at) => self.raw_pos + (at - self.consumed) as usize,
            None => self.raw.len(),
        };
        if self.mixed_at == Some(self.consumed) {
            return Err(self.encoding_error(
                self.consumed,
                format!(
                    "the text was read as GBK/GB18030 (detected at its first non-ASCII byte), \
                     but here it holds {MIXED_RUN} or more UTF-8 Chinese characters in a row: \
                     the file mixes encodings; {CONVERT}"
                ),
            ));
        }
        let last = self.inner_eof && limit == self.raw.len();
        let consumed = self.consumed;
        let State::Decode {
            decoder,
            name,
            detected_at,
            finished,
        } = &mut self.state
        else {
            return Ok(Some(0));
        };
        if *finished {
            return Ok(Some(0));
        }
        self.out.clear();
        self.out.resize(3 * CHUNK, 0);
        self.out_pos = 0;
        let (result, read, written) = decoder.decode_to_utf8_without_replacement(
            &self.raw[self.raw_pos..limit],
            &mut self.out,
            last,
        );
        self.out.truncate(written);
        self.raw_pos += read;
        self.consumed += read as u64;
        match result {
            encoding_rs::DecoderResult::InputEmpty => *finished = last,
            encoding_rs::DecoderResult::OutputFull => {}
            encoding_rs::DecoderResult::Malformed(bad, after) => {
                let at = self.consumed - u64::from(after) - u64::from(bad);
                let bytes = if at >= consumed {
                    let i = self.raw_pos - after as usize - bad as usize;
                    let seq = &self.raw[i..i + bad as usize];
                    seq.iter()
                        .map(|b| format!("{b:02X}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    format!("{bad} bytes")
                };
                let how = match detected_at {
                    Some(from) => format!(
                        " (read as {name} from byte {from}, its first non-ASCII byte, because \
                         the text was not UTF-8)"
                    ),
                    None => String::new(),
                };
                let at_end = last && after == 0 && self.raw_pos == limit;
                let reason = if at_end && at + u64::from(bad) == self.consumed {
                    format!("the file ends inside a multi-byte {name} character ({bytes}){how}")
                } else {
                    format!("{bytes} is not valid {name}{how}; {CONVERT}")
                };
                self.pending = Some(Failure::Encoding {
                    byte_offset: at,
                    reason,
                });
            }
        }
        Ok(None)
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let fail = |f: &Failure| io::Error::new(io::ErrorKind::InvalidData, format!("{f:?}"));
        if let Some(f) = &self.failure {
            return Err(fail(f));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = match self.next_text(buf) {
                Ok(n) => n,
                Err(f) => {
                    let e = fail(&f);
                    self.failure = Some(f);
                    return Err(e);
                }
            };
            if n == 0 {
                if !self.sentinel || self.sentinel_out == SENTINEL.len() {
                    return Ok(0);
                }
                let k = buf.len().min(SENTINEL.len() - self.sentinel_out);
                buf[..k].copy_from_slice(&SENTINEL[self.sentinel_out..self.sentinel_out + k]);
                self.sentinel_out += k;
                return Ok(k);
            }
            let n = self.normalise_newlines(&mut buf[..n]);
            if n == 0 {
                continue;
            }
            self.delivered += n as u64;
            let open = self.delivered - self.record_start;
            if open > self.max_record.saturating_add(CSV_BUFFER as u64) {
                let f = Failure::TooLong { found: open };
                let e = fail(&f);
                self.failure = Some(f);
                return Err(e);
            }
            return Ok(n);
        }
    }
}

impl<R> DecodeReader<R> {
    /// `\r\n` and `\r` become `\n`, in place; returns the new length.
    fn normalise_newlines(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len();
        let mut r = 0;
        if std::mem::take(&mut self.skip_lf) && buf[0] == b'\n' {
            r = 1;
        }
        if r == 0 && memchr::memchr(b'\r', buf).is_none() {
            return n;
        }
        let mut w = 0;
        while let Some(i) = memchr::memchr(b'\r', &buf[r..]) {
            let cr = r + i;
            buf.copy_within(r..cr, w);
            w += cr - r;
            buf[w] = b'\n';
            w += 1;
            r = cr + 1;
            if r == n {
                self.skip_lf = true;
            } else if buf[r] == b'\n' {
                r += 1;
            }
        }
        buf.copy_within(r..n, w);
        w + (n - r)
    }

    /// Whether the end of the text was reached and the sentinel handed out.
    fn sentinel_started(&self) -> bool {
        self.sentinel_out > 0
    }
}

fn nul(at: u64) -> Failure {
    Failure::Encoding {
        byte_offset: at,
        reason: "NUL byte (0x00): not text; a binary file, or UTF-16 without a byte-order mark \
                 (convert it: iconv -f UTF-16LE -t UTF-8 in.csv > out.csv)"
            .into(),
    }
}

/// Length of the UTF-8 sequence a lead byte starts (1 for anything else).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// In GBK text chosen by [`Encoding::Auto`], this many UTF-8 Chinese characters in a row are
/// UTF-8 text, not GBK ([`utf8_cjk_run`]); the detection window takes [`WINDOW_RUN`].
const MIXED_RUN: usize = 6;
/// [`MIXED_RUN`] in the detection window.
const WINDOW_RUN: usize = 4;
/// The share of GB2312 characters among the two-byte ones of GBK text in the detection window,
/// in percent, at least.
const GB2312_PERCENT: usize = 90;

/// Where the first run of `min` or more consecutive UTF-8 sequences of CJK ideographs
/// (U+4E00–U+9FFF: a lead byte E4–E9 and two continuation bytes) starts. GBK text rarely
/// holds even three (a sequence needs a GBK trail byte E4–E9 followed by bytes in 80–BF): two
/// in 13 MB of random GB2312 characters, none in 13 MB of city-management words; a UTF-8
/// description holds them in every word.
fn utf8_cjk_run(bytes: &[u8], min: usize) -> Option<usize> {
    let is_seq = |i: usize| {
        bytes.get(i..i + 3).is_some_and(|s| {
            (0xE4..=0xE9).contains(&s[0]) && s[1] & 0xC0 == 0x80 && s[2] & 0xC0 == 0x80
        })
    };
    let mut i = 0;
    while i + 3 <= bytes.len() {
        if !is_seq(i) {
            i += 1;
            continue;
        }
        let start = i;
        let mut n = 0;
        while is_seq(i) {
            n += 1;
            i += 3;
        }
        if n >= min {
            return Some(start);
        }
        i = start + 1;
    }
    None
}

/// Whether a window of bytes (from the first non-ASCII one) is clean GBK/GB18030 text: no
/// malformed sequence (a character cut by the end of the file is left to the decoder to
/// report), at least [`GB2312_PERCENT`] % of its two-byte characters in the GB2312 range
/// (lead A1–F7, trail A1–FE: the common Chinese characters and symbols; Latin-1 accented
/// letters followed by ASCII are not, nor is UTF-8 Chinese read as GBK: about 40 %), and no
/// run of [`WINDOW_RUN`] UTF-8 Chinese characters ([`utf8_cjk_run`]).
fn gbk_window(window: &[u8], eof: bool) -> std::result::Result<(), String> {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut out = vec![0u8; 3 * window.len() + 16];
    let (result, read, _) = decoder.decode_to_utf8_without_replacement(window, &mut out, eof);
    let mut window = window;
    if let encoding_rs::DecoderResult::Malformed(bad, after) = result {
        let i = read - after as usize - bad as usize;
        let cut = after == 0 && read == window.len() && (0x81..=0xFE).contains(&window[i]);
        if !cut {
            let seq = window[i..i + bad as usize]
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(" ");
            return Err(format!("{seq} is not a GBK/GB18030 character"));
        }
        window = &window[..i];
    }
    let (mut pairs, mut gb2312) = (0usize, 0usize);
    let mut i = 0;
    while i < window.len() {
        let b = window[i];
        if b < 0x80 {
            i += 1;
        } else if window.get(i + 1).is_some_and(|t| (0x30..=0x39).contains(t)) {
            i += 4;
        } else {
            pairs += 1;
            let t = window.get(i + 1).copied().unwrap_or(0);
            gb2312 += usize::from((0xA1..=0xF7).contains(&b) && (0xA1..=0xFE).contains(&t));
            i += 2;
        }
    }
    if let Some(j) = utf8_cjk_run(window, WINDOW_RUN) {
        return Err(format!(
            "it holds UTF-8 Chinese text (from its byte {j} on): the file mixes encodings"
        ));
    }
    if 100 * gb2312 < GB2312_PERCENT * pairs {
        return Err(format!(
            "it would decode, but only {gb2312} of its {pairs} two-byte characters are common \
             Chinese (GB2312), unlike GBK text; if it is GBK, read it with encoding gbk"
        ));
    }
    Ok(())
}

/// Decodes a whole file's bytes to text under the rules of the module docs (byte-order
/// marks, encoding detection or `encoding`, NUL bytes; line endings become `\n`): for readers
/// that take text ([`crate::assets::read_csv`], [`crate::io::dispatch_spec::read_workers`]).
///
/// # Errors
/// [`Error::Encoding`] with the line and byte offset of the first byte that is not valid text.
///
/// ```
/// use wangge::io::csv_input::{decode_text, Encoding};
/// // "id,名称\r\n1,井盖\r\n" in GBK, with a UTF-8 name elsewhere for comparison.
/// let gbk = b"id,\xC3\xFB\xB3\xC6\r\n1,\xBE\xAE\xB8\xC7\r\n";
/// assert_eq!(decode_text("assets.csv", gbk, Encoding::Auto)?, "id,名称\n1,井盖\n");
/// let err = decode_text("assets.csv", b"id\n\xE9t\xE9\n", Encoding::Utf8).unwrap_err();
/// assert!(err.to_string().starts_with("assets.csv line 2 (byte 3): byte 0xE9 is not UTF-8"));
/// # Ok::<(), wangge::Error>(())
/// ```
pub fn decode_text(source_name: &str, bytes: &[u8], encoding: Encoding) -> Result<String> {
    let mut reader = DecodeReader::new(bytes, encoding, u64::MAX, false);
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 2);
    if reader.read_to_end(&mut out).is_err() {
        let line = 1 + memchr::memchr_iter(b'\n', &out).count() as u64;
        let failure = reader.failure.clone();
        return Err(failure_error(source_name, failure, line, line, u64::MAX));
    }
    String::from_utf8(out).map_err(|e| Error::Encoding {
        source_name: source_name.to_string(),
        line: 0,
        byte_offset: e.utf8_error().valid_up_to() as u64,
        reason: "decoded text is not UTF-8 (a bug: please report it)".into(),
    })
}

/// A failure of the decoding reader as an [`Error`]: `line` is where the reader stopped,
/// `record_line` the line where the record being read began (or blank lines before it).
fn failure_error(
    source_name: &str,
    failure: Option<Failure>,
    line: u64,
    record_line: u64,
    max_record: u64,
) -> Error {
    let source_name = source_name.to_string();
    match failure {
        Some(Failure::Encoding {
            byte_offset,
            reason,
        }) => Error::Encoding {
            source_name,
            line,
            byte_offset,
            reason,
        },
        Some(Failure::TooLong { found }) => Error::Limit {
            source_name,
            what: format!(
                "bytes read in one record, from line {record_line} on (a quote left open?)"
            ),
            limit: "max_record_bytes",
            max: max_record,
            found,
        },
        Some(Failure::Io(reason)) => Error::Io {
            path: source_name,
            reason,
        },
        None => Error::Io {
            path: source_name,
            reason: "read failed".into(),
        },
    }
}

/// The position of column `name` in a header (names compared trimmed); `None` when absent.
///
/// # Errors
/// [`Error::Table`] when the header names it twice (a reader could not tell which to use).
pub fn find_column<'h>(
    source_name: &str,
    headers: impl IntoIterator<Item = &'h str>,
    name: &str,
) -> Result<Option<usize>> {
    let mut found = None;
    for (i, h) in headers.into_iter().enumerate() {
        if h.trim() != name {
            continue;
        }
        if let Some(first) = found {
            return Err(duplicate(source_name, name, first, i));
        }
        found = Some(i);
    }
    Ok(found)
}

fn duplicate(source_name: &str, name: &str, first: usize, second: usize) -> Error {
    Error::Table {
        source_name: source_name.to_string(),
        reason: format!(
            "the header names column {name:?} twice (columns {} and {}): rename one",
            first + 1,
            second + 1
        ),
    }
}

/// A CSV table read record by record under the rules of the module docs.
///
/// ```
/// use wangge::io::csv_input::{CsvOptions, CsvReader, StringRecord};
/// let text = "\u{FEFF}id,name\r\n1,\"two\r\nlines\"\r\n2,x\r\n";
/// let mut reader = CsvReader::new("t.csv", text.as_bytes(), &CsvOptions::default())?;
/// assert_eq!(reader.require("id", "the example")?, 0);
/// let mut record = StringRecord::new();
/// assert_eq!(reader.read(&mut record)?, Some(2));
/// assert_eq!(&record[1], "two\nlines");
/// assert_eq!(reader.read(&mut record)?, Some(4));
/// assert_eq!(reader.read(&mut record)?, None);
/// # Ok::<(), wangge::Error>(())
/// ```
pub struct CsvReader<R: Read> {
    source_name: String,
    csv: csv::Reader<DecodeReader<R>>,
    headers: Vec<String>,
    header_line: u64,
    max_record_bytes: u64,
    done: bool,
}

impl<R: Read> CsvReader<R> {
    /// Reads the header.
    ///
    /// # Errors
    /// [`Error::Table`] for an empty file; the errors of [`CsvReader::read`].
    pub fn new(source_name: &str, input: R, options: &CsvOptions) -> Result<Self> {
        let decoder = DecodeReader::new(input, options.encoding, options.max_record_bytes, true);
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(CSV_BUFFER)
            .from_reader(decoder);
        let mut reader = CsvReader {
            source_name: source_name.to_string(),
            csv,
            headers: Vec::new(),
            header_line: 0,
            max_record_bytes: options.max_record_bytes,
            done: false,
        };
        let mut header = StringRecord::new();
        let Some(line) = reader.read_any(&mut header)? else {
            return Err(Error::Table {
                source_name: source_name.to_string(),
                reason: "empty file: no header line naming the columns".into(),
            });
        };
        reader.header_line = line;
        reader.headers = header.iter().map(|h| h.trim().to_string()).collect();
        Ok(reader)
    }

    /// The table's name for messages.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The header's names, trimmed.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The header's line (1 unless blank lines precede it).
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// The encoding in force: `"UTF-8"`, `"GBK/GB18030"`, `"UTF-16LE"`, `"UTF-16BE"`, or
    /// `"ASCII"` while [`Encoding::Auto`] has seen nothing else.
    pub fn encoding(&self) -> &'static str {
        self.csv.get_ref().encoding_name().unwrap_or("ASCII")
    }

    /// Input bytes consumed so far (for progress bars).
    pub fn bytes_read(&self) -> u64 {
        self.csv.get_ref().consumed
    }

    /// The position of column `name`, `None` when the header lacks it.
    ///
    /// # Errors
    /// [`Error::Table`] when the header names it twice.
    pub fn column(&self, name: &str) -> Result<Option<usize>> {
        find_column(
            &self.source_name,
            self.headers.iter().map(String::as_str),
            name,
        )
    }

    /// The position of column `name`.
    ///
    /// # Errors
    /// [`Error::MissingColumn`] (saying it is `needed_for` something) when the header lacks
    /// it; [`Error::Table`] when it names it twice.
    pub fn require(&self, name: &str, needed_for: &str) -> Result<usize> {
        self.column(name)?.ok_or_else(|| Error::MissingColumn {
            source_name: self.source_name.clone(),
            column: name.to_string(),
            needed_for: needed_for.to_string(),
        })
    }

    /// [`Error::Table`] unless every header name is distinct (for readers that use every
    /// column).
    pub fn require_unique_headers(&self) -> Result<()> {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (i, h) in self.headers.iter().enumerate() {
            if let Some(first) = seen.insert(h, i) {
                return Err(duplicate(&self.source_name, h, first, i));
            }
        }
        Ok(())
    }

    /// [`Error::BadRow`] for field `column` of `record`, read at `line` (by [`CsvReader::read`]).
    pub fn bad_field(
        &self,
        record: &StringRecord,
        line: u64,
        column: usize,
        reason: &str,
    ) -> Error {
        Error::BadRow {
            source_name: self.source_name.clone(),
            line,
            column: self.headers[column].clone(),
            value: record[column].to_string(),
            reason: reason.to_string(),
        }
    }

    /// The point in columns `lon` and `lat` of `record` (read at `line`): finite numbers within
    /// ±180 / ±90, else an [`Error::BadRow`] naming the offending column.
    pub fn point(
        &self,
        record: &StringRecord,
        line: u64,
        lon: usize,
        lat: usize,
    ) -> Result<(f64, f64)> {
        let number = |i: usize| match record[i].trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.bad_field(record, line, i, "not a finite number")),
        };
        let (x, y) = (number(lon)?, number(lat)?);
        match crate::crs::coordinate_problem(x, y) {
            None => Ok((x, y)),
            Some(problem) => {
                let column = if x.abs() > 180.0 { lon } else { lat };
                Err(self.bad_field(record, line, column, problem))
            }
        }
    }

    /// Whether reading may go on after the last error of [`CsvReader::read`]: only after a
    /// row of the wrong width.
    pub fn can_go_on(&self) -> bool {
        !self.done
    }

    /// The next record into `record`, and the line it starts on; `None` at the end.
    ///
    /// # Errors
    /// [`Error::BadRow`] for a row with fewer or more fields than the header: the only error
    /// after which reading may go on ([`CsvReader::can_go_on`]; `record` then holds the row).
    /// Everything else ends the reading: [`Error::Encoding`], [`Error::Limit`],
    /// [`Error::BadRow`] for a quote left open at the end of the file (its column says where),
    /// [`Error::Io`].
    #[inline]
    pub fn read(&mut self, record: &mut StringRecord) -> Result<Option<u64>> {
        let Some(line) = self.read_any(record)? else {
            return Ok(None);
        };
        let (found, width) = (record.len(), self.headers.len());
        if found == width {
            return Ok(Some(line));
        }
        let (column, value, what) = if found < width {
            (self.headers[found].clone(), String::new(), "missing field")
        } else {
            (
                format!("(field {})", width + 1),
                record[width].to_string(),
                "extra field (a comma in an unquoted value?)",
            )
        };
        Err(Error::BadRow {
            source_name: self.source_name.clone(),
            line,
            column,
            value,
            reason: format!("{what}: the row has {found} fields, the header {width} columns"),
        })
    }

    /// The next record of any width (the header included) and its first line.
    #[inline]
    fn read_any(&mut self, record: &mut StringRecord) -> Result<Option<u64>> {
        if self.done {
            return Ok(None);
        }
        let before = self.csv.position().line();
        match self.csv.read_record(record) {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done = true;
                return Err(self.csv_error(&e, before));
            }
        }
        let after = self.csv.position().line();
        if self.csv.get_ref().sentinel_started() && record.as_slice().contains('\0') {
            self.done = true;
            if record.len() == 1 && &record[0] == "\0" {
                return Ok(None);
            }
            // A quote left open ran to the end: the last field holds the rest of the file.
            let newlines = count_newlines(record.as_slice());
            let line = after - newlines;
            let last = record.len() - 1;
            let value: String = record[last].chars().take(40).collect();
            return Err(Error::BadRow {
                source_name: self.source_name.clone(),
                line,
                column: self
                    .headers
                    .get(last)
                    .cloned()
                    .unwrap_or_else(|| format!("(field {})", last + 1)),
                value: value.trim_end_matches(['\0', '\n']).to_string(),
                reason: "a quoted field is not closed: its opening quote runs to the end of the \
                         file, swallowing every later row"
                    .into(),
            });
        }
        // Every record ends with a `\n` (the sentinel ends the last one); when the record took
        // more than that one, the others were blank lines before it or breaks inside it.
        let line = if after == before + 1 {
            before
        } else {
            after - 1 - count_newlines(record.as_slice())
        };
        let size = record.as_slice().len() as u64;
        if size > self.max_record_bytes {
            self.done = true;
            return Err(Error::Limit {
                source_name: self.source_name.clone(),
                what: format!("bytes in the record at line {line}"),
                limit: "max_record_bytes",
                max: self.max_record_bytes,
                found: size,
            });
        }
        let next = self.csv.position().byte();
        self.csv.get_mut().record_start = next;
        Ok(Some(line))
    }

    fn csv_error(&self, e: &csv::Error, record_line: u64) -> Error {
        if let csv::ErrorKind::Io(io) = e.kind() {
            let failure = self.csv.get_ref().failure.clone();
            if failure.is_none() {
                return Error::Io {
                    path: self.source_name.clone(),
                    reason: io.to_string(),
                };
            }
            return failure_error(
                &self.source_name,
                failure,
                self.csv.position().line(),
                record_line,
                self.max_record_bytes,
            );
        }
        Error::Table {
            source_name: self.source_name.clone(),
            reason: format!("malformed CSV: {e}"),
        }
    }
}

fn count_newlines(text: &str) -> u64 {
    memchr::memchr_iter(b'\n', text.as_bytes()).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads every record (ragged rows included) with a reader that hands its input out a
    /// few bytes at a time, so that every chunk boundary is crossed.
    fn records(bytes: &[u8], encoding: Encoding, step: usize) -> Result<Vec<(u64, Vec<String>)>> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let k = self.1.min(buf.len()).min(self.0.len());
                buf[..k].copy_from_slice(&self.0[..k]);
                self.0 = &self.0[k..];
                Ok(k)
            }
        }
        let mut reader = CsvReader::new(
            "t.csv",
            Trickle(bytes, step),
            &CsvOptions::with_encoding(encoding),
        )?;
        let mut out = vec![(reader.header_line(), reader.headers().to_vec())];
        let mut r = StringRecord::new();
        loop {
            match reader.read(&mut r) {
                Ok(None) => return Ok(out),
                Ok(Some(line)) => out.push((line, r.iter().map(String::from).collect())),
                Err(Error::BadRow { line, .. }) if reader.can_go_on() => {
                    out.push((line, r.iter().map(String::from).collect()))
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn rows(lines: &[(u64, &[&str])]) -> Vec<(u64, Vec<String>)> {
        lines
            .iter()
            .map(|(l, r)| (*l, r.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn lines_are_where_records_start_whatever_the_line_endings() {
        let expected = rows(&[
            (1, &["a", "b"]),
            (3, &["x\ny", "2"]),
            (6, &["3", "4"]),
            (7, &["5", ""]),
        ]);
        for text in [
            "a,b\n\n\"x\ny\",2\n\n3,4\n5,\n",
            "a,b\r\n\r\n\"x\r\ny\",2\r\n\r\n3,4\r\n5,\r\n",
            "a,b\r\r\"x\ry\",2\r\r3,4\r5,",
        ] {
            for step in [1, 2, 3, 7, 1 << 16] {
                let got = records(text.as_bytes(), Encoding::Auto, step).unwrap();
                assert_eq!(got, expected, "{text:?} in steps of {step}");
            }
        }
    }

    #[test]
    fn encodings_decode_or_fail_at_the_right_byte() {
        let text = "名称,类别\n井盖,城管\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let mut utf16 = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let expected = rows(&[(1, &["名称", "类别"]), (2, &["井盖", "城管"])]);
        for step in [1, 2, 5, 1 << 16] {
            for (bytes, enc) in [
                (text.as_bytes(), Encoding::Auto),
                (text.as_bytes(), Encoding::Utf8),
                (&gbk[..], Encoding::Auto),
                (&gbk[..], Encoding::Gbk),
                (&utf16[..], Encoding::Auto),
            ] {
                assert_eq!(
                    records(bytes, enc, step).unwrap(),
                    expected,
                    "{enc:?} {step}"
                );
            }
        }
        // GBK read as UTF-8: the first byte of 名 (C3 FB) is refused on line 1, byte 0.
        let err = records(&gbk, Encoding::Utf8, 3).unwrap_err();
        assert!(
            matches!(
                &err,
                Error::Encoding {
                    line: 1,
                    byte_offset: 0,
                    ..
                }
            ),
            "{err}"
        );
        // UTF-8 then a GBK byte on line 3: refused there, never decoded by guess.
        let mut mixed = text.as_bytes().to_vec();
        mixed.extend_from_slice(b"x,\xBE\xAE\n");
        let err = records(&mixed, Encoding::Auto, 4).unwrap_err();
        let at = text.len() as u64 + 2;
        assert!(
            matches!(&err, Error::Encoding { line: 3, byte_offset, reason, .. }
                if *byte_offset == at && reason.contains("encoding gbk")),
            "{err}"
        );
    }
}
