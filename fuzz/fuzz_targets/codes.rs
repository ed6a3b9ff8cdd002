//! Code parsers: grid/region codes and component ids (both the 16- and 17-digit forms) never
//! panic, and what parses is consistent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wangge::catalog::{AssetId, Catalog};
use wangge::codes::{check_extends, CodeKind, GridCode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(kind) = CodeKind::of(text) {
        assert!(
            text.bytes().all(|b| b.is_ascii_digit()),
            "{kind:?} {text:?}"
        );
    }
    if let Ok(code) = GridCode::parse(text) {
        assert_eq!(code.as_str(), text);
        assert!(text.starts_with(code.community_code()));
        let _ = check_extends(code.community_code(), text);
    }
    if let Some((a, b)) = text.split_once('|') {
        let _ = check_extends(a, b);
    }
    let catalog = Catalog::builtin();
    let _ = AssetId::parse(&catalog, "fuzz", text);
});
