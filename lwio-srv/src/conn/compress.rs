//! SMB 3.1.1 compression on a connection (MS-SMB2 3.3.5.4, 3.3.5.2.1.2, 3.1.5.3, 3.1.4.4).
//!
//! - NEGOTIATE: the client's SMB2_COMPRESSION_CAPABILITIES is answered with the algorithms
//!   both sides have, in the client's order; chained compression when the client sets
//!   SMB2_COMPRESSION_CAPABILITIES_FLAG_CHAINED (Pattern_V1 is kept only then, as it
//!   exists only inside chained messages). No common algorithm answers NONE and the
//!   connection does not compress. A context with no algorithm, or a second context,
//!   fails the NEGOTIATE with STATUS_INVALID_PARAMETER (3.3.5.4).
//! - Receiving: a COMPRESSION_TRANSFORM_HEADER frame (alone, or inside an encrypted
//!   transform: compression happens before encryption) is decompressed within the limit
//!   of 3.3.5.2.1.2, [`limit`]: the negotiated max read/write/transact size plus 256 plus
//!   the 16-byte header, checked before allocating. A
//!   frame that fails (unknown or not negotiated algorithm, chained when not negotiated,
//!   sizes above the limit or not adding up, corrupt data) drops the connection, as
//!   Windows does (3.3.5.2.1.2 and 3.1.5.3: the server MUST disconnect the connection).
//! - Sending: a READ response whose request set SMB2_READFLAG_REQUEST_COMPRESSED is sent
//!   compressed when that makes the frame smaller (Windows compresses only when it saves
//!   bytes), with the first non-Pattern_V1 algorithm of the negotiated list; chained
//!   connections put the runs at either end in Pattern_V1 payloads. A frame of 64 KiB or
//!   more is sampled first and sent plain when the samples do not compress. Signing
//!   covers the uncompressed message, and encryption the compressed frame.

use lwio_smb2::NegotiateContext;
use lwio_smb2::compression::{self, CompressionError};
use lwio_smb2::negotiate::{CompressionAlgorithm, CompressionCapabilities, CompressionFlags};

/// The most a compressed request may expand to (MS-SMB2 3.3.5.2.1.2): 256 bytes plus the
/// size of the COMPRESSION_TRANSFORM_HEADER plus the largest of MaxReadSize,
/// MaxWriteSize and MaxTransactSize (all `max_read_write` here).
pub(crate) fn limit(max_read_write: u32) -> usize {
    max_read_write as usize + 256 + compression::UNCHAINED_HEADER_LEN
}

/// Frames smaller than this are not worth compressing.
const MIN_COMPRESS: usize = 1024;

/// Frames at least this large are sampled before they are compressed whole.
const SAMPLE_FROM: usize = 64 * 1024;
/// The size of each of the samples.
const SAMPLE_LEN: usize = 8 * 1024;

/// Whether a large frame is worth compressing: LZ4 (the fastest codec) on a few samples
/// from its middle must save an eighth, or the runs at its ends (Pattern_V1's share) must
/// be long. Incompressible READ data (media, archives, encrypted files) then costs a few
/// microseconds instead of a full compression pass. Small frames are always tried.
fn worth_trying(msg: &[u8]) -> bool {
    if msg.len() < SAMPLE_FROM {
        return true;
    }
    let runs = lwio_xca::pattern::leading_run(msg) + lwio_xca::pattern::trailing_run(msg);
    if runs >= msg.len() / 8 {
        return true;
    }
    let (mut raw, mut packed) = (0, 0);
    for i in 1..=3 {
        let at = msg.len() * i / 4 - SAMPLE_LEN / 2;
        let sample = &msg[at..at + SAMPLE_LEN];
        raw += sample.len();
        packed += lwio_xca::lz4::compress(sample).len();
    }
    packed * 8 < raw * 7
}

/// What NEGOTIATE settled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Compression {
    /// Connection.CompressionIds: the common algorithms, in the client's order.
    pub(crate) algorithms: Vec<CompressionAlgorithm>,
    /// Connection.SupportsChainedCompression.
    pub(crate) chained: bool,
}

impl Compression {
    /// Whether the connection compresses at all.
    pub(crate) fn enabled(&self) -> bool {
        !self.algorithms.is_empty()
    }

    /// The client's compression context answered: what the connection uses and the
    /// response context. `ours` is the server's list (`Settings::compression`).
    pub(crate) fn negotiate(
        offered: &CompressionCapabilities,
        ours: &[CompressionAlgorithm],
    ) -> (Compression, NegotiateContext) {
        let chained = offered.flags.contains(CompressionFlags::CHAINED);
        let mut algorithms: Vec<CompressionAlgorithm> = Vec::new();
        for a in &offered.algorithms {
            let usable = chained || *a != CompressionAlgorithm::PATTERN_V1;
            if ours.contains(a) && usable && !algorithms.contains(a) {
                algorithms.push(*a);
            }
        }
        let chained = chained && !algorithms.is_empty();
        let answer = CompressionCapabilities {
            flags: if chained {
                CompressionFlags::CHAINED
            } else {
                CompressionFlags::empty()
            },
            algorithms: if algorithms.is_empty() {
                vec![CompressionAlgorithm::NONE]
            } else {
                algorithms.clone()
            },
        };
        (
            Compression {
                algorithms,
                chained,
            },
            NegotiateContext::Compression(answer),
        )
    }

    /// The SMB2 message(s) a compressed frame carries, refused (the caller drops the
    /// connection) on any error; `limit` bounds the result before any allocation.
    pub(crate) fn decompress(
        &self,
        frame: &[u8],
        limit: usize,
    ) -> Result<Vec<u8>, CompressionError> {
        compression::decompress(frame, &self.algorithms, self.chained, limit)
    }

    /// `msg` compressed, when the connection compresses and it saves bytes.
    pub(crate) fn compress(&self, msg: &[u8]) -> Option<Vec<u8>> {
        if msg.len() < MIN_COMPRESS || !self.enabled() || !worth_trying(msg) {
            return None;
        }
        let alg = self
            .algorithms
            .iter()
            .copied()
            .find(|a| *a != CompressionAlgorithm::PATTERN_V1)
            .unwrap_or(CompressionAlgorithm::NONE);
        if self.chained {
            let pattern = self.algorithms.contains(&CompressionAlgorithm::PATTERN_V1);
            compression::compress_chained(msg, alg, pattern)
        } else {
            compression::compress_unchained(msg, alg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [CompressionAlgorithm; 5] = [
        CompressionAlgorithm::LZ77,
        CompressionAlgorithm::LZ77_HUFFMAN,
        CompressionAlgorithm::LZNT1,
        CompressionAlgorithm::PATTERN_V1,
        CompressionAlgorithm::LZ4,
    ];

    fn offer(
        flags: CompressionFlags,
        algorithms: Vec<CompressionAlgorithm>,
    ) -> CompressionCapabilities {
        CompressionCapabilities { flags, algorithms }
    }

    #[test]
    fn the_clients_order_decides_and_pattern_needs_chaining() {
        let (c, ctx) = Compression::negotiate(
            &offer(
                CompressionFlags::empty(),
                vec![
                    CompressionAlgorithm::PATTERN_V1,
                    CompressionAlgorithm::LZ4,
                    CompressionAlgorithm::LZNT1,
                ],
            ),
            &ALL,
        );
        assert_eq!(
            c.algorithms,
            vec![CompressionAlgorithm::LZ4, CompressionAlgorithm::LZNT1]
        );
        assert!(!c.chained);
        let NegotiateContext::Compression(answer) = ctx else {
            panic!("compression context")
        };
        assert_eq!(answer.algorithms, c.algorithms);
        let (c, _) = Compression::negotiate(
            &offer(
                CompressionFlags::CHAINED,
                vec![CompressionAlgorithm::LZ4, CompressionAlgorithm::PATTERN_V1],
            ),
            &ALL,
        );
        assert_eq!(
            c.algorithms,
            vec![CompressionAlgorithm::LZ4, CompressionAlgorithm::PATTERN_V1]
        );
        assert!(c.chained);
    }

    #[test]
    fn nothing_common_answers_none() {
        let (c, ctx) = Compression::negotiate(
            &offer(CompressionFlags::CHAINED, vec![CompressionAlgorithm(0x77)]),
            &ALL,
        );
        assert!(!c.enabled() && !c.chained);
        let NegotiateContext::Compression(answer) = ctx else {
            panic!("compression context")
        };
        assert_eq!(answer.algorithms, vec![CompressionAlgorithm::NONE]);
        assert_eq!(answer.flags, CompressionFlags::empty());
    }

    #[test]
    fn compressed_responses_only_when_smaller() {
        let (c, _) = Compression::negotiate(&offer(CompressionFlags::CHAINED, ALL.to_vec()), &ALL);
        let mut msg = vec![0xFE, b'S', b'M', b'B'];
        msg.extend(vec![0u8; 8192]);
        let frame = c.compress(&msg).expect("zeros shrink");
        assert_eq!(c.decompress(&frame, 1 << 20).expect("decodes"), msg);
        let mut x = 88172645463325252u64;
        let noise: Vec<u8> = (0..8192)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(c.compress(&noise).is_none());
        // Large frames are sampled: noise is not tried, text and zero runs are.
        let big_noise: Vec<u8> = (0..1 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(!worth_trying(&big_noise));
        let mut with_zeros = big_noise[..1 << 19].to_vec();
        with_zeros.resize(1 << 20, 0);
        assert!(worth_trying(&with_zeros));
        assert!(
            c.compress(&with_zeros)
                .is_some_and(|f| f.len() < (1 << 19) + 4096)
        );
        let text = b"the quick brown fox jumps over the lazy dog ".repeat(30_000);
        assert!(worth_trying(&text));
        assert!(c.compress(&msg[..500]).is_none());
    }
}
