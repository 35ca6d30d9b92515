//! The `reckon` binary: everything it does lives in the library, so tests run the same code.

fn main() -> std::process::ExitCode {
    reckon_server::cli::main()
}
