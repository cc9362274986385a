//! The tool's error: an NTSTATUS from the I/O manager, a usage mistake, a local I/O failure,
//! or a script expectation that did not hold.

use std::fmt;

use lwio_core::NtStatus;

/// Why a command or script failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ToolError {
    /// A request failed with this status.
    Status {
        /// What was being done (`create /share/a.txt`).
        context: String,
        /// The status the I/O manager or driver answered.
        status: NtStatus,
    },
    /// The command line or a script line is wrong (exit code 2).
    Usage(String),
    /// Reading a local file or writing the output failed.
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// A driver returned something the tool cannot show (an undecodable descriptor).
    BadData(String),
    /// A `!` script line did not fail as it said it would.
    Expectation {
        /// The status the line asserted, if it named one.
        expected: Option<NtStatus>,
        /// What the command returned (STATUS_SUCCESS when it succeeded).
        got: NtStatus,
    },
    /// A script line failed.
    Script {
        /// The 1-based line number.
        line: usize,
        /// The line as written.
        text: String,
        /// What went wrong on it.
        source: Box<ToolError>,
    },
}

impl ToolError {
    /// The process exit code for this error: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            ToolError::Usage(_) => 2,
            ToolError::Script { source, .. } => source.exit_code(),
            _ => 1,
        }
    }

    /// The NTSTATUS behind the error, when a request failed (for a failed expectation, the
    /// status the command returned).
    pub fn status(&self) -> Option<NtStatus> {
        match self {
            ToolError::Status { status, .. } => Some(*status),
            ToolError::Expectation { got, .. } => Some(*got),
            ToolError::Script { source, .. } => source.status(),
            _ => None,
        }
    }

    pub(crate) fn failed(context: impl Into<String>, status: NtStatus) -> ToolError {
        ToolError::Status {
            context: context.into(),
            status,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> ToolError {
        ToolError::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolError::Status { context, status } => write!(f, "{context}: {status}"),
            ToolError::Usage(message) => write!(f, "usage: {message}"),
            ToolError::Io { context, source } => write!(f, "{context}: {source}"),
            ToolError::BadData(message) => f.write_str(message),
            ToolError::Expectation {
                expected: Some(expected),
                got,
            } => write!(f, "expected {expected}, got {got}"),
            ToolError::Expectation {
                expected: None,
                got,
            } => write!(f, "expected a failure, got {got}"),
            ToolError::Script { line, text, source } => {
                write!(f, "line {line} `{text}`: {source}")
            }
        }
    }
}

impl std::error::Error for ToolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ToolError::Io { source, .. } => Some(source),
            ToolError::Script { source, .. } => Some(&**source),
            _ => None,
        }
    }
}
