//! The `px360` binary, black-box: migrate, admin commands, and the schema check of `serve`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_px360");

/// A temporary directory with a SQLite URL inside it, removed on drop.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let mut bytes = [0u8; 8];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let dir = std::env::temp_dir().join(format!("px360-cli-{}", hex::encode(bytes)));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    fn database_url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.dir.join("x.db").display())
    }

    /// `px360 --database-url … <args>` with a clean, known environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--database-url").arg(self.database_url()).args(args);
        for (key, _) in std::env::vars() {
            if key.starts_with("PX360_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("PX360_SECRET_KEY", "cli-test-secret-0123456789abcdefghijklmn")
            .env("PX360_LOG_DIR", "")
            .env("PX360_CONFIG", self.dir.join("absent.toml"))
            .env("PX360_BIND", "127.0.0.1:0")
            .current_dir(&self.dir)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn migrate_then_create_user_without_a_hospital_fails_naming_the_hospital() {
    let s = Scratch::new();
    let migrate = s.run(&["migrate"]);
    assert!(migrate.status.success(), "{}", text(&migrate));
    let out = s.run(&[
        "admin",
        "create-user",
        "--email",
        "x@y.test",
        "--password",
        "a long passw0rd",
        "--role",
        "hospital_admin",
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).to_lowercase().contains("hospital"), "{}", text(&out));
}

#[test]
fn create_user_makes_a_px_admin_who_is_audited() {
    let s = Scratch::new();
    assert!(s.run(&["migrate"]).status.success());
    let out = s.run(&[
        "admin",
        "create-user",
        "--email",
        "Root@Y.test",
        "--password",
        "a long passw0rd",
        "--role",
        "px_admin",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("root@y.test"), "{}", text(&out));
    // The same email again is refused by the same validation as the API.
    let again = s.run(&[
        "admin",
        "create-user",
        "--email",
        "root@y.test",
        "--password",
        "a long passw0rd",
        "--role",
        "px_admin",
    ]);
    assert!(!again.status.success());
    assert!(text(&again).contains("email"), "{}", text(&again));
    // A weak password is refused naming the flag.
    let weak = s.run(&["admin", "create-user", "--email", "b@y.test", "--password", "short", "--role", "px_admin"]);
    assert!(!weak.status.success());
    assert!(text(&weak).contains("password"), "{}", text(&weak));
    let verify = s.run(&["admin", "verify-audit"]);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        String::from_utf8_lossy(&verify.stdout).contains("1 entries"),
        "the creation was audited: {}",
        text(&verify)
    );
}

#[test]
fn verify_audit_exits_zero_on_a_fresh_database() {
    let s = Scratch::new();
    assert!(s.run(&["migrate"]).status.success());
    let out = s.run(&["admin", "verify-audit"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"), "{}", text(&out));
}

#[test]
fn migrate_is_idempotent() {
    let s = Scratch::new();
    let first = s.run(&["migrate"]);
    assert!(first.status.success(), "{}", text(&first));
    let second = s.run(&["migrate"]);
    assert!(second.status.success(), "{}", text(&second));
    assert!(String::from_utf8_lossy(&second.stdout).contains("migrations applied: 0"), "{}", text(&second));
}

#[test]
fn serve_refuses_a_database_that_was_not_migrated() {
    let s = Scratch::new();
    let mut child = s.command(&["serve"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("px360 serve kept running on an unmigrated database");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("px360 migrate"), "{}", text(&out));
}

#[test]
fn a_bad_configuration_value_is_refused_naming_the_variable() {
    let s = Scratch::new();
    let out = s
        .command(&["migrate"])
        .env("PX360_SECRET_KEY", "too short")
        .env("PX360_BIND", "not an address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("PX360_BIND"), "{}", text(&out));
}

#[test]
fn seeding_volume_and_rebuilding_the_analytics_show_their_progress() {
    let s = Scratch::new();
    assert!(s.run(&["migrate"]).status.success());
    let seeded = s.run(&[
        "admin",
        "seed-volume",
        "--hospitals",
        "1",
        "--responses",
        "300",
        "--complaints",
        "40",
        "--actions",
        "20",
        "--years",
        "1",
    ]);
    assert!(seeded.status.success(), "{}", text(&seeded));
    let summary: serde_json::Value = serde_json::from_slice(&seeded.stdout).unwrap();
    assert_eq!(summary["tables"]["complaints"], 40, "{summary}");

    let rebuilt = s.run(&["admin", "rebuild-analytics"]);
    assert!(rebuilt.status.success(), "{}", text(&rebuilt));
    let result: serde_json::Value = serde_json::from_slice(&rebuilt.stdout).unwrap();
    assert_eq!(result["rebuilt"], true, "{result}");
    // Each step reports as it goes, up to its end; stdout stays the JSON result alone.
    let progress = String::from_utf8_lossy(&rebuilt.stderr);
    let lines: Vec<&str> = progress.lines().filter(|l| l.starts_with("rebuild-analytics: ")).collect();
    let days: Vec<&&str> = lines.iter().filter(|l| l.contains("daily rollups")).collect();
    let months: Vec<&&str> = lines.iter().filter(|l| l.contains("physician ratings and KPIs")).collect();
    assert!(days.len() >= 2 && days.last().unwrap().contains("(100 %)"), "{progress}");
    assert!(months.len() >= 2 && months.last().unwrap().contains("(100 %)"), "{progress}");
    assert!(
        months.last().unwrap().contains(" 13 of 13 ") || months.last().unwrap().contains(" 14 of 14 "),
        "{progress}"
    );
}
