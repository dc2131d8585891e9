mod common;
#[test]
fn placeholder_builds() {
    assert!(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus-samples")
        .is_dir());
}
