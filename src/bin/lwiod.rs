//! `lwiod`: the lwio SMB2/SMB3 file server. See `lwio_srv::cli` for its options.

fn main() -> std::process::ExitCode {
    lwio_srv::cli::main()
}
