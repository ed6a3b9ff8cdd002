use super::*;

fn legacy_table(rows: &str) -> String {
    format!("scheme = \"legacy\"\nkind = \"component\"\n{rows}")
}

/// The error message of a table that must fail to parse.
fn parse_err(text: &str) -> (Error, String) {
    let err = Catalog::parse_table("city.toml", text).expect_err("table should be rejected");
    let msg = err.to_string();
    (err, msg)
}

#[test]
fn every_bundled_table_parses_and_names_its_majors() {
    for (name, text) in BUILTIN_TABLES {
        let table = Catalog::parse_table(name, text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !table.is_empty() || table.crosswalk().count() > 0,
            "{name} is empty"
        );
    }
    let catalog = Catalog::builtin();
    catalog.validate().unwrap();
    for class in catalog.classes() {
        assert!(
            catalog.major_name(class.scheme, class.major()).is_some(),
            "no major name for {} {}",
            class.code,
            class.name
        );
    }
    let codes: Vec<&str> = catalog.classes().map(|c| c.code.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(codes, sorted);
}

#[test]
fn bundled_tables_hold_each_scheme_and_kind() {
    let catalog = Catalog::builtin();
    let count = |s, k| catalog.classes_of(s, k).count();
    assert!(count(Scheme::Legacy, ClassKind::Component) >= 80);
    assert!(count(Scheme::Gb47678, ClassKind::Component) >= 20);
    assert!(count(Scheme::Legacy, ClassKind::Event) >= 7);
    assert!(count(Scheme::Gb47678, ClassKind::Event) >= 15);
    assert!(catalog.crosswalk().count() >= 13);
}

#[test]
fn known_entries() {
    let catalog = Catalog::builtin();
    let check = |code: &str, name: &str, scheme: Scheme, kind: ClassKind| {
        let class = catalog
            .get(code)
            .unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(
            (class.name.as_str(), class.scheme, class.kind),
            (name, scheme, kind),
            "{code}"
        );
    };
    check("0103", "雨水井盖", Scheme::Legacy, ClassKind::Component);
    check("0113", "消防设施", Scheme::Legacy, ClassKind::Component);
    check("0118", "路灯", Scheme::Legacy, ClassKind::Component);
    check("0503", "公房地下室", Scheme::Legacy, ClassKind::Component);
    check("01037", "路灯", Scheme::Gb47678, ClassKind::Component);
    check("01013", "消防设施", Scheme::Gb47678, ClassKind::Component);
    check("09001", "无照经营游商", Scheme::Gb47678, ClassKind::Event);
    check("06010", "暴露垃圾", Scheme::Gb47678, ClassKind::Event);
    check("200501", "无照经营游商", Scheme::Legacy, ClassKind::Event);
    check("200401", "路面塌陷", Scheme::Legacy, ClassKind::Event);
    assert_eq!(catalog.major_name(Scheme::Legacy, "06"), Some("其他设施"));
    assert_eq!(
        catalog.major_name(Scheme::Gb47678, "05"),
        Some("其他管理部件")
    );
    assert_eq!(
        catalog.major_name(Scheme::Gb47678, "10"),
        Some("其他事项类")
    );
    assert_eq!(catalog.major_name(Scheme::Legacy, "2004"), Some("突发事件"));
    assert_eq!(catalog.major_name(Scheme::Legacy, "99"), None);
    let lamp = catalog.get("01037").unwrap();
    assert_eq!((lamp.major(), lamp.minor()), ("01", "037"));
    let vendor = catalog.get("200501").unwrap();
    assert_eq!((vendor.major(), vendor.minor()), ("2005", "01"));
}

#[test]
fn require_reports_context() {
    let catalog = Catalog::builtin();
    assert_eq!(catalog.require("x", "0118").unwrap().name, "路灯");
    let err = catalog.require("report line 5", "0199").unwrap_err();
    assert_eq!(
        err,
        Error::UnknownClass {
            context: "report line 5".into(),
            code: "0199".into()
        }
    );
    assert!(err.to_string().contains("report line 5"));
}

#[test]
fn crosswalk_both_ways() {
    let catalog = Catalog::builtin();
    for (old, new) in [
        ("0118", "01037"),
        ("0114", "01023"),
        ("0101", "01001"),
        ("0115", "01027"),
        ("0503", "05002"),
        ("200501", "09001"),
    ] {
        assert_eq!(catalog.to_gb47678(old), Some(new), "{old}");
        assert_eq!(catalog.to_legacy(new), Some(old), "{new}");
    }
    assert_eq!(catalog.to_gb47678("0119"), None);
    assert_eq!(catalog.to_gb47678("200401"), None);
    assert_eq!(catalog.to_legacy("01054"), None);
    for (old, new) in catalog.crosswalk() {
        assert_eq!(catalog.to_legacy(new), Some(old));
    }
}

#[test]
fn fanout_flags() {
    let catalog = Catalog::builtin();
    let fanout: Vec<&str> = catalog
        .classes()
        .filter(|c| c.fanout)
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(fanout, ["01023", "0114"]);
    assert!(!catalog.get("0103").unwrap().fanout);
}

#[test]
fn real_legacy_ids_parse() {
    let catalog = Catalog::builtin();
    let id = AssetId::parse(&catalog, "ctx", "3205820102048188").unwrap();
    assert_eq!(id.scheme(), Scheme::Legacy);
    assert_eq!(
        (id.admin(), id.class_code(), id.serial()),
        ("320582", "0102", "048188")
    );
    assert_eq!(catalog.get(id.class_code()).unwrap().name, "污水井盖");
    assert_eq!(id.as_str(), "3205820102048188");
    assert_eq!(id.to_string(), "3205820102048188");

    let id = AssetId::parse(&catalog, "ctx", "3205080101000001").unwrap();
    assert_eq!(
        (id.admin(), id.class_code(), id.serial()),
        ("320508", "0101", "000001")
    );
    assert_eq!(catalog.get(id.class_code()).unwrap().name, "上水井盖");
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"3205080101000001\"");
}

#[test]
fn gb47678_id_parses() {
    let catalog = Catalog::builtin();
    let id = AssetId::parse(&catalog, "ctx", "32058201002048188").unwrap();
    assert_eq!(id.scheme(), Scheme::Gb47678);
    assert_eq!(
        (id.admin(), id.class_code(), id.serial()),
        ("320582", "01002", "048188")
    );
    assert_eq!(catalog.get(id.class_code()).unwrap().name, "污水井盖");
}

#[test]
fn bad_ids_are_rejected_with_context() {
    let catalog = Catalog::builtin();
    let invalid = [
        ("320582010204818", "has 15 digits"),
        ("320582010204818800", "has 18 digits"),
        ("", "has 0 digits"),
        ("32058201020481x8", "character 15 ('x')"),
        (" 3205820102048188", "character 1 (' ')"),
        ("3205820102000000", "serial"),
        ("9905820102048188", "province"),
    ];
    for (id, why) in invalid {
        let err = AssetId::parse(&catalog, "assets.csv line 12", id).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidAssetId { context, id: got, .. }
                if context == "assets.csv line 12" && got == id),
            "{id}: {err:?}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with("assets.csv line 12: "), "{msg}");
        assert!(msg.contains(why), "{id}: {msg}");
    }
    let unknown = [
        ("3205820199048188", "0199"),
        ("32058201999048188", "01999"),
        // A 17-digit id embedding an event class.
        ("32058206010048188", "06010"),
        // A legacy event class cannot be embedded: 16 digits hold a 4-digit class.
        ("3205822005048188", "2005"),
    ];
    for (id, code) in unknown {
        let err = AssetId::parse(&catalog, "assets.csv line 13", id).unwrap_err();
        match &err {
            Error::UnknownClass { context, code: got } => {
                assert_eq!(got, code);
                assert!(context.starts_with("assets.csv line 13"), "{context}");
                assert!(context.contains(id), "{context}");
            }
            other => panic!("{id}: expected UnknownClass, got {other:?}"),
        }
        assert!(err.to_string().contains("assets.csv line 13"));
    }
    let err = AssetId::parse(&catalog, "c", "32058206010048188").unwrap_err();
    assert!(err.to_string().contains("not a component class"), "{err}");
}

#[test]
fn ids_need_the_class_in_the_given_catalog() {
    let err = AssetId::parse(&Catalog::empty(), "c", "3205820102048188").unwrap_err();
    assert!(matches!(err, Error::UnknownClass { .. }));
}

#[test]
fn city_table_extends_the_builtin() {
    let mut catalog = Catalog::builtin();
    let before = catalog.len();
    let city = Catalog::parse_table(
        "suzhou.toml",
        &legacy_table(
            "[majors]\n\"21\" = \"地方扩展部件\"\n\
             [[class]]\ncode = \"2101\"\nname = \"防蚊闸\"\n\
             [[class]]\ncode = \"0118\"\nname = \"路灯\"\n",
        ),
    )
    .unwrap();
    catalog.merge(city).unwrap();
    assert_eq!(catalog.len(), before + 1);
    let class = catalog.get("2101").unwrap();
    assert_eq!(
        (class.name.as_str(), class.scheme, class.kind, class.fanout),
        ("防蚊闸", Scheme::Legacy, ClassKind::Component, false)
    );
    assert_eq!(
        catalog.major_name(Scheme::Legacy, "21"),
        Some("地方扩展部件")
    );
    let id = AssetId::parse(&catalog, "c", "3205822101000007").unwrap();
    assert_eq!(id.class_code(), "2101");
    assert!(AssetId::parse(&Catalog::builtin(), "c", "3205822101000007").is_err());
    // Merging the same table again changes nothing.
    let again = Catalog::parse_table(
        "suzhou.toml",
        &legacy_table("[[class]]\ncode = \"2101\"\nname = \"防蚊闸\"\n"),
    )
    .unwrap();
    catalog.merge(again).unwrap();
    assert_eq!(catalog.len(), before + 1);
}

#[test]
fn conflicting_merges_fail_and_change_nothing() {
    let mut catalog = Catalog::builtin();
    let before = catalog.len();
    let renamed = Catalog::parse_table(
        "city.toml",
        &legacy_table(
            "[[class]]\ncode = \"2102\"\nname = \"新类\"\n\
             [[class]]\ncode = \"0118\"\nname = \"街灯\"\n",
        ),
    )
    .unwrap();
    let err = catalog.merge(renamed).unwrap_err();
    match &err {
        Error::DuplicateId { context, id } => {
            assert_eq!(id, "0118");
            assert!(context.contains("city.toml"), "{context}");
            assert!(
                context.contains("builtin:components_legacy.toml"),
                "{context}"
            );
            assert!(
                context.contains("街灯") && context.contains("路灯"),
                "{context}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(catalog.len(), before);
    assert!(catalog.get("2102").is_none());
    assert_eq!(catalog.get("0118").unwrap().name, "路灯");

    let flagged = Catalog::parse_table(
        "city.toml",
        &legacy_table("[[class]]\ncode = \"0103\"\nname = \"雨水井盖\"\nfanout = true\n"),
    )
    .unwrap();
    assert!(matches!(
        catalog.merge(flagged),
        Err(Error::DuplicateId { .. })
    ));
    assert!(!catalog.get("0103").unwrap().fanout);

    let major =
        Catalog::parse_table("city.toml", &legacy_table("[majors]\n\"01\" = \"公用\"\n")).unwrap();
    let err = catalog.merge(major).unwrap_err();
    assert!(err.to_string().contains("公用设施"), "{err}");

    let remap = Catalog::parse_table(
        "cw.toml",
        "kind = \"crosswalk\"\n[[pair]]\nlegacy = \"0118\"\ngb47678 = \"01038\"\n",
    )
    .unwrap();
    let err = catalog.merge(remap).unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateId { id, .. } if id == "0118"),
        "{err:?}"
    );
    let reverse = Catalog::parse_table(
        "cw.toml",
        "kind = \"crosswalk\"\n[[pair]]\nlegacy = \"0119\"\ngb47678 = \"01037\"\n",
    )
    .unwrap();
    let err = catalog.merge(reverse).unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateId { id, .. } if id == "01037"),
        "{err:?}"
    );
    assert_eq!(catalog.to_gb47678("0119"), None);
}

#[test]
fn malformed_class_tables_name_the_row() {
    let cases: [(&str, &[&str]); 12] = [
        (
            // 5-digit code in a legacy table
            "[[class]]\ncode = \"0101\"\nname = \"上水井盖\"\n[[class]]\ncode = \"01037\"\nname = \"路灯\"\n",
            &["city.toml", "[[class]] row 2 (line 6", "\"01037\"", "has 5 digits"],
        ),
        (
            "[[class]]\ncode = \"0118\"\n",
            &["[[class]] row 1 (line 3", "\"0118\"", "missing key `name`"],
        ),
        (
            "[[class]]\ncode = \"0118\"\nname = \"路灯\"\nnmae = \"x\"\n",
            &["[[class]] row 1 (line 3", "unknown key \"nmae\""],
        ),
        (
            "[[class]]\nname = \"路灯\"\n",
            &["[[class]] row 1 (line 3)", "missing key `code`"],
        ),
        (
            "[[class]]\ncode = 2101\nname = \"防蚊闸\"\n",
            &["row 1", "`code` must be a string", "integer"],
        ),
        (
            "[[class]]\ncode = \"01a8\"\nname = \"路灯\"\n",
            &["row 1", "only the digits"],
        ),
        (
            "[[class]]\ncode = \"0100\"\nname = \"井盖\"\n",
            &["row 1", "minor class \"00\""],
        ),
        (
            "[[class]]\ncode = \"0018\"\nname = \"路灯\"\n",
            &["row 1", "major class \"00\""],
        ),
        (
            "[[class]]\ncode = \"0118\"\nname = \"  \"\n",
            &["row 1", "`name` is empty"],
        ),
        (
            "[[class]]\ncode = \"0118\"\nname = \"路灯\"\nfanout = \"yes\"\n",
            &["row 1", "`fanout` must be true or false"],
        ),
        (
            "colour = \"red\"\n",
            &["city.toml", "line 3", "colour"],
        ),
        (
            "[majors]\n\"1\" = \"公用设施\"\n",
            &["[majors] key \"1\"", "2 digits"],
        ),
    ];
    for (rows, needles) in cases {
        let (err, msg) = parse_err(&legacy_table(rows));
        assert!(matches!(err, Error::Table { .. }), "{rows}: {err:?}");
        for needle in needles {
            assert!(
                msg.contains(needle),
                "{rows}\nmessage: {msg}\nmissing: {needle}"
            );
        }
    }
}

#[test]
fn duplicate_codes_name_both_rows() {
    let (err, msg) = parse_err(&legacy_table(
        "[[class]]\ncode = \"0118\"\nname = \"路灯\"\n\
         [[class]]\ncode = \"0119\"\nname = \"地灯\"\n\
         [[class]]\ncode = \"0118\"\nname = \"路灯\"\n",
    ));
    match &err {
        Error::DuplicateId { context, id } => {
            assert_eq!(id, "0118");
            assert!(context.contains("city.toml"), "{context}");
            assert!(context.contains("row 3 (line 9)"), "{context}");
            assert!(context.contains("row 1 (line 3)"), "{context}");
        }
        other => panic!("{other:?}"),
    }
    assert!(msg.contains("\"0118\""));
}

#[test]
fn table_header_errors() {
    let cases = [
        ("kind = \"component\"\n", "missing top-level key `scheme`"),
        ("scheme = \"legacy\"\n", "missing top-level key `kind`"),
        (
            "scheme = \"cjt214\"\nkind = \"component\"\n",
            "scheme = \"cjt214\"",
        ),
        ("scheme = \"legacy\"\nkind = \"thing\"\n", "kind = \"thing\""),
        ("not toml = = =\n", "line 1"),
        (
            "scheme = \"legacy\"\nkind = \"component\"\n[[pair]]\nlegacy = \"0118\"\ngb47678 = \"01037\"\n",
            "[[pair]] rows belong",
        ),
        (
            "scheme = \"legacy\"\nkind = \"crosswalk\"\n",
            "not scheme",
        ),
    ];
    for (text, needle) in cases {
        let (err, msg) = parse_err(text);
        assert!(matches!(err, Error::Table { .. }), "{text}: {err:?}");
        assert!(
            msg.contains(needle),
            "{text}\nmessage: {msg}\nmissing: {needle}"
        );
    }
}

#[test]
fn code_layouts_per_scheme_and_kind() {
    let table = |scheme: &str, kind: &str, code: &str| {
        Catalog::parse_table(
            "t.toml",
            &format!(
                "scheme = \"{scheme}\"\nkind = \"{kind}\"\n[[class]]\ncode = \"{code}\"\nname = \"x\"\n"
            ),
        )
    };
    assert!(table("legacy", "event", "200501").is_ok());
    assert!(table("gb47678", "event", "09001").is_ok());
    assert!(table("gb47678", "component", "01037").is_ok());
    let err = table("legacy", "event", "0501").unwrap_err().to_string();
    assert!(err.contains("200501") || err.contains("as 200501"), "{err}");
    assert!(
        err.contains("write the 4-digit event code 0501 as 200501"),
        "{err}"
    );
    let err = table("legacy", "event", "210501").unwrap_err().to_string();
    assert!(err.contains("starts with \"20\""), "{err}");
    let err = table("gb47678", "component", "0118")
        .unwrap_err()
        .to_string();
    assert!(err.contains("has 4 digits"), "{err}");
    let err = table("gb47678", "event", "09000").unwrap_err().to_string();
    assert!(err.contains("minor class \"000\""), "{err}");
}

#[test]
fn malformed_crosswalk_tables() {
    let cw = |rows: &str| format!("kind = \"crosswalk\"\n{rows}");
    let cases = [
        (
            "[[pair]]\nlegacy = \"0118\"\ngb47678 = \"0137\"\n",
            "[[pair]] row 1 (line 2): gb47678 = \"0137\"",
        ),
        (
            "[[pair]]\nlegacy = \"01037\"\ngb47678 = \"01037\"\n",
            "legacy = \"01037\"",
        ),
        ("[[pair]]\nlegacy = \"0118\"\n", "missing key `gb47678`"),
        (
            "[[pair]]\nlegacy = \"0118\"\ngb47678 = \"01037\"\nnote = \"x\"\n",
            "unknown key \"note\"",
        ),
    ];
    for (rows, needle) in cases {
        let (err, msg) = parse_err(&cw(rows));
        assert!(matches!(err, Error::Table { .. }), "{rows}: {err:?}");
        assert!(
            msg.contains(needle),
            "{rows}\nmessage: {msg}\nmissing: {needle}"
        );
    }
    for (rows, id) in [
        (
            "[[pair]]\nlegacy = \"0118\"\ngb47678 = \"01037\"\n[[pair]]\nlegacy = \"0118\"\ngb47678 = \"01038\"\n",
            "0118",
        ),
        (
            "[[pair]]\nlegacy = \"0118\"\ngb47678 = \"01037\"\n[[pair]]\nlegacy = \"0117\"\ngb47678 = \"01037\"\n",
            "01037",
        ),
    ] {
        let (err, msg) = parse_err(&cw(rows));
        assert!(
            matches!(&err, Error::DuplicateId { id: got, .. } if got == id),
            "{err:?}"
        );
        assert!(msg.contains("[[pair]] row 2 (line 5)"), "{msg}");
        assert!(msg.contains("row 1 (line 2)"), "{msg}");
    }
}

#[test]
fn validate_checks_crosswalk_classes() {
    let mut catalog = Catalog::builtin();
    let pair = Catalog::parse_table(
        "cw.toml",
        "kind = \"crosswalk\"\n[[pair]]\nlegacy = \"0119\"\ngb47678 = \"01099\"\n",
    )
    .unwrap();
    catalog.merge(pair).unwrap();
    let err = catalog.validate().unwrap_err();
    assert!(
        matches!(&err, Error::UnknownClass { code, context }
            if code == "01099" && context.contains("cw.toml")),
        "{err:?}"
    );

    let mut catalog = Catalog::builtin();
    let pair = Catalog::parse_table(
        "cw.toml",
        "kind = \"crosswalk\"\n[[pair]]\nlegacy = \"0119\"\ngb47678 = \"06001\"\n",
    )
    .unwrap();
    catalog.merge(pair).unwrap();
    let err = catalog.validate().unwrap_err().to_string();
    assert!(
        err.contains("joins component 地灯 with event 私搭乱建"),
        "{err}"
    );
}

#[test]
fn prefix_matching() {
    assert!(prefix_matches("01", "0103"));
    assert!(prefix_matches("01", "01003"));
    assert!(prefix_matches("01", "01037"));
    assert!(prefix_matches("0103", "0103"));
    assert!(prefix_matches("01003", "01003"));
    assert!(!prefix_matches("0103", "01030"));
    assert!(!prefix_matches("0103", "0104"));
    assert!(!prefix_matches("02", "0103"));
    assert!(!prefix_matches("0", "0103"));
    assert!(!prefix_matches("010", "01003"));
    assert!(!prefix_matches("", "0103"));
    assert!(!prefix_matches("", ""));
    assert!(prefix_matches("2005", "200501"));
    assert!(!prefix_matches("20", "200501"));
    assert!(!prefix_matches("05", "200501"));
    assert_eq!(major_of("0103"), Some("01"));
    assert_eq!(major_of("210501"), None);
    assert_eq!(major_of("01a3"), None);
    assert_eq!(legacy_event_code("0501").as_deref(), Some("200501"));
    assert_eq!(legacy_event_code("501"), None);
    assert_eq!(Scheme::of_code("2005011"), None);
}

#[test]
fn load_reads_files_and_reports_io_errors() {
    let dir = std::env::temp_dir().join(format!("wangge-catalog-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("city.toml");
    std::fs::write(
        &path,
        legacy_table("[[class]]\ncode = \"2101\"\nname = \"防蚊闸\"\n"),
    )
    .unwrap();
    let catalog = Catalog::load(&path).unwrap();
    assert_eq!(catalog.get("2101").unwrap().name, "防蚊闸");
    std::fs::write(&path, legacy_table("[[class]]\ncode = \"2101\"\n")).unwrap();
    let msg = Catalog::load(&path).unwrap_err().to_string();
    assert!(msg.contains("city.toml") && msg.contains("row 1"), "{msg}");
    std::fs::remove_dir_all(&dir).unwrap();
    let err = Catalog::load(dir.join("missing.toml")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[test]
fn serde_names_are_lowercase() {
    assert_eq!(
        serde_json::to_string(&Scheme::Gb47678).unwrap(),
        "\"gb47678\""
    );
    assert_eq!(
        serde_json::to_string(&Scheme::Legacy).unwrap(),
        "\"legacy\""
    );
    assert_eq!(
        serde_json::to_string(&ClassKind::Component).unwrap(),
        "\"component\""
    );
    let class: Class = serde_json::from_str(
        r#"{"code":"0118","name":"路灯","kind":"component","scheme":"legacy","fanout":false}"#,
    )
    .unwrap();
    assert_eq!(Catalog::builtin().get("0118"), Some(&class));
}
