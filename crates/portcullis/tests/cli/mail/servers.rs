//! The SMTP servers the mail tests talk to: Python's aiosmtpd on loopback (plain, STARTTLS,
//! implicit TLS, with AUTH), and a test CA made with the openssl command.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when the test ends, even by a panic.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A Python that has aiosmtpd: `PORTCULLIS_TEST_PYTHON`, Debian's, or the one on the PATH.
fn python() -> String {
    let candidates = std::env::var("PORTCULLIS_TEST_PYTHON")
        .into_iter()
        .chain(["/usr/bin/python3".to_owned(), "python3".to_owned()]);
    for python in candidates {
        let ok = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return python;
        }
    }
    panic!(
        "these tests need Python's aiosmtpd: apt-get install python3-aiosmtpd (scripts/test does)"
    );
}

/// aiosmtpd on 127.0.0.1:`port`, storing what it receives in the maildir `dir`; returns once it
/// accepts connections.
pub async fn smtp_server(port: u16, dir: &Path) -> Guard {
    smtp_server_with(port, dir, &[]).await
}

/// The same with more aiosmtpd options (`--tlscert`, `--smtpscert`…).
pub async fn smtp_server_with(port: u16, dir: &Path, options: &[&Path]) -> Guard {
    let child = Command::new(python())
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(options)
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(Guard(child), port).await
}

/// Returns `guard` once something accepts connections on 127.0.0.1:`port`.
async fn wait_listening(mut guard: Guard, port: u16) -> Guard {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = guard.0.try_wait().unwrap() {
            panic!("aiosmtpd exited: {status}");
        }
        assert!(Instant::now() < deadline, "aiosmtpd never listened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    guard
}

/// aiosmtpd on 127.0.0.1:`port` that requires AUTH as `user` / `password` (over plain text: it
/// is on loopback), storing mail in the maildir `dir`.
pub async fn smtp_server_with_auth(port: u16, dir: &Path, user: &str, password: &str) -> Guard {
    const SCRIPT: &str = r#"
import sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword
port, maildir, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == user and data.password == password
    return AuthResult(success=ok, handled=False)
Controller(Mailbox(maildir), hostname="127.0.0.1", port=port, authenticator=check,
           auth_required=True, auth_require_tls=False).start()
threading.Event().wait()
"#;
    let child = Command::new(python())
        .args(["-c", SCRIPT, &port.to_string()])
        .arg(dir)
        .args([user, password])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(Guard(child), port).await
}

/// A test CA (`ca.pem`) and a certificate for 127.0.0.1 and localhost signed by it
/// (`server.pem`, `server.key`), made with the openssl command.
pub fn certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl {args:?}: {out:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
            &[
                "-subj",
                "/CN=Portcullis test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}
