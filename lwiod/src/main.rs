//! `lwiod`: the lwio SMB2/SMB3 file server. See the `lwiod` library for its options.

fn main() -> std::process::ExitCode {
    lwiod::main()
}
