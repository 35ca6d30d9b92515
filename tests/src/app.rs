//! The real application in a child process: started on port 0, found through its own start-up
//! log line, stopped with SIGTERM (or killed), its logs kept for failure messages.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::de::DeserializeOwned;

use crate::TestDatabase;

/// How long a server may take to start (a first PostgreSQL migration included).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The application binary Cargo built for this package's tests, beside the test executable.
pub fn reckon_binary() -> PathBuf {
    let test_exe = std::env::current_exe().expect("the test executable's path");
    // target/<profile>/deps/<test> → target/<profile>/reckon-under-test
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    let binary = profile_dir.join("reckon-under-test");
    assert!(
        binary.exists(),
        "{} is missing: run the tests with `cargo test --workspace`",
        binary.display()
    );
    binary
}

/// A finished `reckon` process.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(output: std::process::Output) -> Output {
        Output {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Output {
    /// The last line on standard error: where `reckon` reports why it stopped.
    pub fn last_error_line(&self) -> &str {
        self.stderr.lines().last().unwrap_or_default()
    }

    /// That `reckon` did not start and said why in one `reckon: error:` line holding every
    /// part of `expected`.
    pub fn assert_refused(&self, expected: &[&str]) {
        assert!(!self.status.success(), "it started: {}", self.stderr);
        let line = self.last_error_line();
        assert!(line.starts_with("reckon: error: "), "{}", self.stderr);
        for part in expected {
            assert!(line.contains(part), "{line:?} does not say {part:?}");
        }
    }
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl TestResponse {
    /// The value of cookie `name` this response sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next()?.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }

    /// The JSON error code of an error response.
    pub fn error_code(&self) -> String {
        let body: serde_json::Value = self.json();
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("response is not the expected JSON ({e}): {}", self.body))
    }
}

/// A running `reckon serve`.
#[derive(Debug)]
pub struct TestApp {
    pub http_addr: SocketAddr,
    pub otlp_grpc_addr: SocketAddr,
    pub otlp_http_addr: SocketAddr,
    /// Started with `--tls-cert`: every listener speaks TLS (a certificate of the test CA).
    pub https: bool,
    /// `None` once stopped.
    child: Option<Child>,
    logs: Arc<Mutex<Vec<String>>>,
    stdout: Arc<Mutex<Vec<String>>>,
    client: reqwest::Client,
}

/// The command line every test server gets: its database and data directory, every port 0,
/// JSON logs (the harness reads its bound address from them), in a directory of its own.
fn serve_command(db: &TestDatabase) -> Command {
    let mut command = Command::new(reckon_binary());
    command
        .arg("serve")
        .args(["--database-url", db.url().expose()])
        .arg("--data-dir")
        .arg(db.data_dir())
        .args(["--http-addr", "127.0.0.1:0"])
        .args(["--otlp-grpc-addr", "127.0.0.1:0"])
        .args(["--otlp-http-addr", "127.0.0.1:0"])
        .args(["--log-format", "json"])
        .current_dir(db.data_dir().parent().expect("the data dir has a parent"));
    command
}

impl TestApp {
    /// Starts the application on `db` and waits until it listens.
    pub async fn spawn(db: &TestDatabase) -> TestApp {
        TestApp::spawn_with(db, &[], &[]).await
    }

    /// Starts it with extra arguments and environment variables.
    pub async fn spawn_with(db: &TestDatabase, args: &[&str], env: &[(&str, &str)]) -> TestApp {
        let mut command = serve_command(db);
        command
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the application starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let printed = stdout.clone();
        let pipe = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Ok(mut kept) = printed.lock() {
                    kept.push(line);
                }
            }
        });
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (listening, address) = mpsc::channel();
        let kept = logs.clone();
        std::thread::spawn(move || read_logs(stderr, &kept, &listening));
        let found = tokio::task::spawn_blocking(move || address.recv_timeout(START_TIMEOUT))
            .await
            .expect("the log reader");
        let Ok([http_addr, otlp_grpc_addr, otlp_http_addr]) = found else {
            let _ = child.kill();
            let status = child.wait().ok();
            let logs = logs.lock().map(|l| l.join("\n")).unwrap_or_default();
            panic!("the application did not start (exit: {status:?}). Its log:\n{logs}");
        };
        TestApp {
            http_addr,
            otlp_grpc_addr,
            otlp_http_addr,
            https: args.contains(&"--tls-cert"),
            child: Some(child),
            logs,
            stdout,
            client: crate::http_client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Starts it serving TLS on every listener, with a `localhost`/`127.0.0.1` certificate of
    /// the test CA (which [`crate::http_client`] trusts).
    pub async fn spawn_tls(db: &TestDatabase) -> TestApp {
        let cert = test_tls::TestCa::shared().localhost();
        let (cert_file, key_file) = (cert.cert_file.display(), cert.key_file.display());
        let (cert_file, key_file) = (cert_file.to_string(), key_file.to_string());
        TestApp::spawn_with(db, &["--tls-cert", &cert_file, "--tls-key", &key_file], &[]).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme(), self.http_addr)
    }

    /// `https` when the listeners speak TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    /// The OTLP/HTTP base URL (`http(s)://127.0.0.1:PORT`).
    pub fn otlp_http_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.otlp_http_addr)
    }

    /// The OTLP/gRPC endpoint (`http(s)://127.0.0.1:PORT`).
    pub fn otlp_grpc_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.otlp_grpc_addr)
    }

    /// A request to the application; redirects are not followed.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request authenticated with the API token `token`.
    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.request(method, path)
            .header("authorization", format!("Bearer {token}"))
    }

    /// A request as a browser page of reckon's own would send it: with its `Origin`.
    pub fn browser_request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.request(method, path)
            .header("origin", format!("{}://{}", self.scheme(), self.http_addr))
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> TestResponse {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request failed: {e}"));
        TestResponse {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// What the application printed on standard output so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The first-owner setup link the application printed at start.
    pub async fn setup_link(&self) -> String {
        for _ in 0..200 {
            if let Some(link) = self
                .stdout()
                .into_iter()
                .find(|line| line.contains("/setup?token="))
            {
                return link;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no setup link on standard output: {:?}", self.stdout());
    }

    /// GET that must answer 200 with JSON of type `T`.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> T {
        let response = self.get(path).await;
        assert_eq!(response.status, 200, "GET {path}: {}", response.body);
        response.json()
    }

    /// Every log line so far, one JSON object each.
    pub fn logs(&self) -> Vec<serde_json::Value> {
        let lines = self.logs.lock().map(|l| l.clone()).unwrap_or_default();
        lines
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the application is running");
        let pid = i32::try_from(child.id()).expect("a pid fits i32");
        kill(Pid::from_raw(pid), Signal::SIGTERM).expect("SIGTERM is delivered");
        tokio::task::spawn_blocking(move || child.wait())
            .await
            .expect("waiting for the application")
            .expect("the application's exit status")
    }

    /// Sends `signal` to the running process (SIGHUP: reload the TLS certificate).
    pub fn signal(&self, signal: Signal) {
        let child = self.child.as_ref().expect("the application is running");
        let pid = i32::try_from(child.id()).expect("a pid fits i32");
        kill(Pid::from_raw(pid), signal).expect("the signal is delivered");
    }

    /// Ends the process at once (SIGKILL), as a crash or power cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Runs `reckon` with `args` to completion (for commands and start-up failures).
    pub fn run(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Output {
        TestApp::run_with_input(args, env, dir, None)
    }

    /// Runs `reckon` with `args`, writing `input` to its standard input (none: empty).
    pub fn run_with_input(
        args: &[&str],
        env: &[(&str, &str)],
        dir: &Path,
        input: Option<&str>,
    ) -> Output {
        use std::io::Write;
        let mut child = Command::new(reckon_binary())
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("reckon runs");
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(input.as_bytes())
                .expect("writing standard input");
        }
        Output::from(child.wait_with_output().expect("reckon finishes"))
    }

    /// Runs `reckon serve` on `db` with `args` (a flag given again wins), expecting it to stop by
    /// itself (a start-up failure).
    pub fn run_serve(db: &TestDatabase, args: &[&str], env: &[(&str, &str)]) -> Output {
        let output = serve_command(db)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("reckon runs");
        Output::from(output)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // A test that failed midway must not leave its server running.
        self.kill();
    }
}

fn read_logs(
    stderr: std::process::ChildStderr,
    logs: &Mutex<Vec<String>>,
    listening: &mpsc::Sender<[SocketAddr; 3]>,
) {
    let echo = std::env::var("TEST_LOG").is_ok_and(|v| v == "1");
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if echo {
            eprintln!("[reckon] {line}");
        }
        let started = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .filter(|event| event["message"] == "reckon listening")
            .and_then(|event| {
                let addr = |key: &str| event[key].as_str()?.parse::<SocketAddr>().ok();
                Some([
                    addr("http_addr")?,
                    addr("otlp_grpc_addr")?,
                    addr("otlp_http_addr")?,
                ])
            });
        if let Ok(mut kept) = logs.lock() {
            kept.push(line);
        }
        // Kept before announced: the test may read the start-up line as soon as it is told.
        if let Some(addr) = started {
            let _ = listening.send(addr);
        }
    }
}
