//! The reckon application as the end-to-end tests spawn it: the same entry point as `reckon`.

fn main() -> std::process::ExitCode {
    reckon_server::cli::main()
}
