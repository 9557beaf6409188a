//! Where state is created: never by a read-only command, never inside a git work tree that
//! does not ignore it.

use super::support::Sandbox;

const READ_ONLY: &[&[&str]] = &[
    &["users", "list"],
    &["users", "show", "a@example.com"],
    &["apps", "list"],
    &["apps", "show", "web"],
    &["apis", "list"],
    &["grants", "list"],
    &["keys", "list"],
];

#[test]
fn read_only_commands_create_nothing_and_point_to_the_dev_data() {
    let sb = Sandbox::new();
    for args in READ_ONLY {
        let err = sb.run(args).failure();
        assert_eq!(
            err.trim(),
            "error: no Portcullis data in ./portcullis-data (start the provider with `portcullis serve` or `portcullis apply FILE`, or set PORTCULLIS_DATA_DIR)",
            "{args:?}"
        );
    }
    assert_eq!(
        std::fs::read_dir(sb.path()).unwrap().count(),
        0,
        "nothing was created"
    );

    // Once `portcullis dev` has data, the CLI says where it is, and --dev reaches it.
    sb.run(&["--dev", "keys", "rotate"]).success();
    assert!(sb.path().join("portcullis-dev-data/master.key").exists());
    let err = sb.run(&["users", "list"]).failure();
    assert_eq!(
        err.trim(),
        "error: no Portcullis data in ./portcullis-data (did you mean ./portcullis-dev-data, the data of `portcullis dev`? add --dev, or set PORTCULLIS_DATA_DIR=./portcullis-dev-data)"
    );
    assert!(!sb.data_dir().exists());
    let keys = sb.run(&["keys", "list", "--dev", "--json"]).json();
    assert_eq!(keys.as_array().unwrap().len(), 3, "{keys}");
    let out = sb
        .run_with(
            &["users", "list"],
            &[("PORTCULLIS_DATA_DIR", "./portcullis-dev-data")],
            "",
        )
        .success();
    assert!(out.contains("(none)"), "{out}");
}

#[test]
fn a_data_directory_inside_a_git_work_tree_must_be_ignored() {
    let sb = Sandbox::new();
    let git = std::process::Command::new("git")
        .args(["init", "-q", "."])
        .current_dir(sb.path())
        .status()
        .unwrap();
    assert!(git.success());
    let err = sb.run(&["keys", "rotate"]).failure();
    assert!(
        err.starts_with("error: refusing to create ./portcullis-data inside the git work tree"),
        "{err}"
    );
    assert!(
        err.contains("Add `portcullis-data` to") && err.contains(".gitignore"),
        "{err}"
    );
    assert!(!sb.data_dir().exists(), "nothing created");
    let err = sb
        .run(&["dev", "--port", "0", "--data-dir", "state/dev"])
        .failure();
    assert!(err.contains("refusing to create state/dev"), "{err}");
    assert!(!sb.path().join("state").exists());

    sb.write(".gitignore", "portcullis-data/\n");
    sb.run(&["keys", "rotate"]).success();
    assert!(sb.data_dir().join("master.key").exists());
}
