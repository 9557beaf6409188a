use super::support::Sandbox;

#[test]
fn keys_rotate_and_list() {
    let sb = Sandbox::new();
    let err = sb.run(&["keys", "list", "--json"]).failure();
    assert!(err.starts_with("error: no Portcullis data in"), "{err}");
    assert!(!sb.data_dir().exists(), "listing creates nothing");
    let after = sb.run(&["keys", "rotate", "--json"]).json();
    let states: Vec<&str> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == "current").count(),
        1,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "next").count(),
        1,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == "previous").count(),
        1,
        "{states:?}"
    );
    let previous = after
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["state"] == "previous")
        .unwrap();
    let keep = previous["retire_at"].as_i64().unwrap() - previous["created_at"].as_i64().unwrap();
    assert!(keep >= 86_400, "kept while its tokens live: {keep}");
    let table = sb.run(&["keys", "list"]).success();
    assert!(table.starts_with("KID"), "{table}");
    assert!(!table.contains("private"), "{table}");
}
