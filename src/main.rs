//! The `px360` binary: see `px360 --help`.

fn main() -> std::process::ExitCode {
    px360::cli::main()
}
