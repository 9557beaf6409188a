//! Running the binary in an isolated directory.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary working directory with its own data directory.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn success(self) -> String {
        assert!(self.ok, "command failed: {self:#?}");
        self.stdout
    }

    /// Asserts failure with exit code 1 and a message (no panic, no Debug dump); returns stderr
    /// from the `error: ` line on (notices such as "Created a new master key" come before it).
    #[track_caller]
    pub fn failure(self) -> String {
        assert!(!self.ok, "command unexpectedly succeeded: {self:#?}");
        assert_eq!(self.code, Some(1), "{self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        let start = if self.stderr.starts_with("error: ") {
            0
        } else {
            self.stderr
                .find("\nerror: ")
                .map(|i| i + 1)
                .unwrap_or_else(|| panic!("no error line: {self:#?}"))
        };
        self.stderr[start..].to_owned()
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(self) -> serde_json::Value {
        let out = self.success();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path().join("portcullis-data")
    }

    /// A command for the binary, in the sandbox, with no `PORTCULLIS_*` variables inherited.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
        cmd.args(args).current_dir(self.path());
        for (key, _) in std::env::vars() {
            if key.starts_with("PORTCULLIS_") {
                cmd.env_remove(key);
            }
        }
        cmd.env_remove("RUST_LOG");
        cmd
    }

    /// Runs the binary with `args` and `env`, feeding `stdin`.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        Run {
            ok: status.success(),
            code: status.code(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs the binary with `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[], "")
    }

    /// Writes a file in the sandbox and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A port that was free a moment ago (bound to 127.0.0.1:0, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `url` until it answers 200, for at most 60 seconds; returns the body.
pub async fn wait_for(url: &str, child: &mut std::process::Child) -> String {
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited early: {status}");
        }
        if let Ok(resp) = client.get(url).send().await
            && resp.status().is_success()
        {
            return resp.text().await.unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "{url} never answered");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Sends SIGTERM and waits for the process to exit; returns whether it exited successfully.
pub fn terminate(child: &mut std::process::Child) -> bool {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap().success()
}

/// The value of the hidden form field `name` in an HTML page.
fn hidden_field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

/// Follows `authorize_url` (which must redirect to the hosted sign-in page) with `http` and posts
/// `email` and `password` on that page; returns the answer to the post.
pub async fn post_password(
    http: &reqwest::Client,
    base: &str,
    authorize_url: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let r = http.get(authorize_url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let login = format!("{base}{}", r.headers()["location"].to_str().unwrap());
    let page = http.get(&login).send().await.unwrap().text().await.unwrap();
    http.post(format!("{base}/u/login"))
        .form(&[
            ("state", hidden_field(&page, "state").as_str()),
            ("csrf", hidden_field(&page, "csrf").as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}
