//! The SMB2 COMPRESSION_TRANSFORM_HEADER (MS-SMB2 2.2.42) and the compression and
//! decompression of whole SMB2 messages with the algorithms of `lwio-xca`.
//!
//! A compressed frame starts with 0xFC 'S' 'M' 'B' and the size of the original message
//! (`OriginalCompressedSegmentSize`). Then one of two forms follows, told apart by the
//! 16-bit flags at bytes 10..12:
//!
//! - **Unchained** (2.2.42.1, flags 0): the algorithm (never NONE), flags, and an
//!   `Offset`. The `Offset` bytes after the 16-byte header are sent as they are (typically
//!   the SMB2 header and the command's fixed part), and the rest is the compressed form of
//!   the remaining `OriginalCompressedSegmentSize` bytes.
//! - **Chained** (2.2.42.2, flags SMB2_COMPRESSION_FLAG_CHAINED on the first payload): an
//!   8-byte header, then payloads back to back, each with an SMB2_COMPRESSION_CHAINED_
//!   PAYLOAD_HEADER (2.2.42.2.1): algorithm, flags (CHAINED on the first, NONE after),
//!   `Length` and, for LZNT1, LZ77, LZ77+Huffman and LZ4 only, the payload's
//!   `OriginalPayloadSize` (counted in `Length`). NONE payloads are raw bytes, Pattern_V1
//!   payloads 8 bytes (2.2.42.2.2). Here `OriginalCompressedSegmentSize` is the size of the
//!   whole message, which the payloads must add up to exactly.
//!
//! Only SMB 3.1.1 connections that negotiated SMB2_COMPRESSION_CAPABILITIES use it.
//!
//! ## Bounds
//! [`decompress`] takes the receiver's limit (its largest request: negotiated max
//! read/write/transact size plus headers). Every announced size is checked against it,
//! and against what remains of the message, before anything is allocated; the output is
//! allocated once at the announced size and never grows.

use thiserror::Error;

use crate::negotiate::CompressionAlgorithm;
use crate::transform::COMPRESSION_PROTOCOL_ID;
use lwio_xca::Algorithm;

/// Bytes of the unchained header.
pub const UNCHAINED_HEADER_LEN: usize = 16;
/// Bytes of the chained header (before the first payload header).
pub const CHAINED_HEADER_LEN: usize = 8;
/// SMB2_COMPRESSION_FLAG_NONE.
pub const FLAG_NONE: u16 = 0x0000;
/// SMB2_COMPRESSION_FLAG_CHAINED.
pub const FLAG_CHAINED: u16 = 0x0001;

/// A run shorter than this at either end of a message is not worth a Pattern_V1 payload
/// (8 bytes of payload and 8 of payload header).
const MIN_PATTERN_RUN: usize = 32;

/// Why a compressed frame was refused. MS-SMB2 3.3.5.2.1 (3.1.1): a server that cannot
/// decompress a message disconnects the connection, so every variant means that.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CompressionError {
    /// The frame is not a well-formed compression transform.
    #[error("malformed compression transform: {0}")]
    Malformed(&'static str),
    /// The frame uses an algorithm this connection did not negotiate (or NONE unchained).
    #[error("compression algorithm {0:?} not negotiated")]
    NotNegotiated(CompressionAlgorithm),
    /// The announced sizes exceed the receiver's limit (nothing was allocated).
    #[error("announced size {announced} above the limit {limit}")]
    TooLarge {
        /// What the frame announced.
        announced: u64,
        /// The receiver's limit.
        limit: usize,
    },
    /// The compressed data is corrupt or does not produce the announced size.
    #[error("decompression failed: {0}")]
    Data(#[from] lwio_xca::Error),
}

/// One payload of a chained compressed message (MS-SMB2 2.2.42.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainedPayload<'a> {
    /// How the payload is compressed (NONE: raw bytes).
    pub algorithm: CompressionAlgorithm,
    /// FLAG_CHAINED on the first payload, FLAG_NONE after.
    pub flags: u16,
    /// OriginalPayloadSize, present for LZNT1, LZ77, LZ77+Huffman and LZ4.
    pub original_size: Option<u32>,
    /// The payload's bytes (after OriginalPayloadSize).
    pub data: &'a [u8],
}

/// A decoded COMPRESSION_TRANSFORM_HEADER with the bytes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompressedMessage<'a> {
    /// 2.2.42.1.
    Unchained {
        /// OriginalCompressedSegmentSize: the size the compressed part expands to.
        original_size: u32,
        /// The algorithm.
        algorithm: CompressionAlgorithm,
        /// The uncompressed bytes sent ahead of the compressed part (`Offset` bytes).
        prefix: &'a [u8],
        /// The compressed part.
        data: &'a [u8],
    },
    /// 2.2.42.2.
    Chained {
        /// OriginalCompressedSegmentSize: the size of the whole message.
        original_size: u32,
        /// The payloads, in order.
        payloads: Vec<ChainedPayload<'a>>,
    },
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Whether OriginalPayloadSize is present for `alg` in a chained payload header.
fn has_original_size(alg: CompressionAlgorithm) -> bool {
    !matches!(
        alg,
        CompressionAlgorithm::NONE | CompressionAlgorithm::PATTERN_V1
    )
}

/// The `lwio-xca` algorithm of a wire id (NONE and unknown ids have none).
pub fn xca_algorithm(alg: CompressionAlgorithm) -> Option<Algorithm> {
    Some(match alg {
        CompressionAlgorithm::LZNT1 => Algorithm::Lznt1,
        CompressionAlgorithm::LZ77 => Algorithm::Lz77,
        CompressionAlgorithm::LZ77_HUFFMAN => Algorithm::Lz77Huffman,
        CompressionAlgorithm::PATTERN_V1 => Algorithm::PatternV1,
        CompressionAlgorithm::LZ4 => Algorithm::Lz4,
        _ => return None,
    })
}

impl<'a> CompressedMessage<'a> {
    /// Decodes a whole frame. Every length and offset is checked against the frame; a
    /// payload list that does not end exactly at the end of the frame is refused.
    pub fn decode(frame: &'a [u8]) -> Result<Self, CompressionError> {
        if frame.get(..4) != Some(&COMPRESSION_PROTOCOL_ID[..]) {
            return Err(CompressionError::Malformed("protocol id"));
        }
        let original_size = u32_at(frame, 4).ok_or(CompressionError::Malformed("short header"))?;
        let flags = u16_at(frame, 10).ok_or(CompressionError::Malformed("short header"))?;
        match flags {
            FLAG_NONE => {
                let algorithm = CompressionAlgorithm(u16_at(frame, 8).unwrap_or(0));
                let offset =
                    u32_at(frame, 12).ok_or(CompressionError::Malformed("short header"))?;
                let body = &frame[UNCHAINED_HEADER_LEN..];
                let offset = usize::try_from(offset)
                    .ok()
                    .filter(|&o| o <= body.len())
                    .ok_or(CompressionError::Malformed(
                        "offset past the end of the frame",
                    ))?;
                let (prefix, data) = body.split_at(offset);
                Ok(CompressedMessage::Unchained {
                    original_size,
                    algorithm,
                    prefix,
                    data,
                })
            }
            FLAG_CHAINED => {
                let mut payloads = Vec::new();
                let mut at = CHAINED_HEADER_LEN;
                while at < frame.len() {
                    let (Some(alg), Some(flags), Some(length)) = (
                        u16_at(frame, at),
                        u16_at(frame, at + 2),
                        u32_at(frame, at + 4),
                    ) else {
                        return Err(CompressionError::Malformed("cut payload header"));
                    };
                    let algorithm = CompressionAlgorithm(alg);
                    if payloads.is_empty() && flags != FLAG_CHAINED {
                        return Err(CompressionError::Malformed(
                            "first payload not flagged chained",
                        ));
                    }
                    let start = at + 8;
                    let end = usize::try_from(length)
                        .ok()
                        .and_then(|l| start.checked_add(l))
                        .filter(|&e| e <= frame.len())
                        .ok_or(CompressionError::Malformed("payload length past the end"))?;
                    let mut body = &frame[start..end];
                    let mut original = None;
                    if has_original_size(algorithm) {
                        original = u32_at(body, 0);
                        if original.is_none() {
                            return Err(CompressionError::Malformed("payload without its size"));
                        }
                        body = &body[4..];
                    }
                    payloads.push(ChainedPayload {
                        algorithm,
                        flags,
                        original_size: original,
                        data: body,
                    });
                    at = end;
                }
                if payloads.is_empty() {
                    return Err(CompressionError::Malformed(
                        "chained message without payloads",
                    ));
                }
                Ok(CompressedMessage::Chained {
                    original_size,
                    payloads,
                })
            }
            _ => Err(CompressionError::Malformed("flags")),
        }
    }
}

fn allowed(
    alg: CompressionAlgorithm,
    negotiated: &[CompressionAlgorithm],
) -> Result<Algorithm, CompressionError> {
    match xca_algorithm(alg) {
        Some(a) if negotiated.contains(&alg) => Ok(a),
        _ => Err(CompressionError::NotNegotiated(alg)),
    }
}

/// Decompresses a whole compressed frame to the SMB2 message it carries, refusing any
/// announced size above `limit` before allocating, and any algorithm not in `negotiated`
/// (chained frames are refused unless `chained` was negotiated).
pub fn decompress(
    frame: &[u8],
    negotiated: &[CompressionAlgorithm],
    chained: bool,
    limit: usize,
) -> Result<Vec<u8>, CompressionError> {
    match CompressedMessage::decode(frame)? {
        CompressedMessage::Unchained {
            original_size,
            algorithm,
            prefix,
            data,
        } => {
            let alg = allowed(algorithm, negotiated)?;
            if alg == Algorithm::PatternV1 {
                return Err(CompressionError::NotNegotiated(algorithm));
            }
            let total = u64::from(original_size) + prefix.len() as u64;
            if total > limit as u64 {
                return Err(CompressionError::TooLarge {
                    announced: total,
                    limit,
                });
            }
            let rest = alg.decompress(data, original_size as usize, limit - prefix.len())?;
            let mut out = Vec::with_capacity(total as usize);
            out.extend_from_slice(prefix);
            out.extend_from_slice(&rest);
            Ok(out)
        }
        CompressedMessage::Chained {
            original_size,
            payloads,
        } => {
            if !chained {
                return Err(CompressionError::Malformed(
                    "chained compression not negotiated",
                ));
            }
            let total = original_size as usize;
            if total > limit {
                return Err(CompressionError::TooLarge {
                    announced: u64::from(original_size),
                    limit,
                });
            }
            let mut out = Vec::with_capacity(total);
            for p in payloads {
                let room = total - out.len();
                if p.algorithm == CompressionAlgorithm::NONE {
                    if p.data.len() > room {
                        return Err(lwio_xca::Error::Overrun.into());
                    }
                    out.extend_from_slice(p.data);
                    continue;
                }
                let alg = allowed(p.algorithm, negotiated)?;
                let expected = match p.original_size {
                    Some(n) => n as usize,
                    None => lwio_xca::pattern::PatternV1::decode(p.data)?.repetitions as usize,
                };
                if expected > room {
                    return Err(lwio_xca::Error::Overrun.into());
                }
                out.extend_from_slice(&alg.decompress(p.data, expected, room)?);
            }
            if out.len() != total {
                return Err(lwio_xca::Error::Truncated.into());
            }
            Ok(out)
        }
    }
}

/// Compresses a whole SMB2 message unchained (`Offset` 0: the whole message is the
/// compressed segment). `None` when `alg` cannot be used unchained or the frame would
/// not be smaller than `msg`.
pub fn compress_unchained(msg: &[u8], alg: CompressionAlgorithm) -> Option<Vec<u8>> {
    let xca = xca_algorithm(alg).filter(|a| *a != Algorithm::PatternV1)?;
    let size = u32::try_from(msg.len()).ok()?;
    let body = xca.compress(msg)?;
    if UNCHAINED_HEADER_LEN + body.len() >= msg.len() {
        return None;
    }
    let mut out = Vec::with_capacity(UNCHAINED_HEADER_LEN + body.len());
    out.extend_from_slice(&COMPRESSION_PROTOCOL_ID);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&alg.0.to_le_bytes());
    out.extend_from_slice(&FLAG_NONE.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

fn push_payload(
    out: &mut Vec<u8>,
    first: &mut bool,
    alg: CompressionAlgorithm,
    original: Option<u32>,
    data: &[u8],
) {
    out.extend_from_slice(&alg.0.to_le_bytes());
    out.extend_from_slice(&(if *first { FLAG_CHAINED } else { FLAG_NONE }).to_le_bytes());
    let len = data.len() + if original.is_some() { 4 } else { 0 };
    out.extend_from_slice(&(len as u32).to_le_bytes());
    if let Some(n) = original {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(data);
    *first = false;
}

/// Compresses a whole SMB2 message chained: the runs of one byte at its front and back as
/// Pattern_V1 payloads when `pattern_v1` (and the run is long enough to pay), the middle
/// with `alg` (NONE when that does not shrink it). `None` when the frame would not be
/// smaller than `msg`.
pub fn compress_chained(
    msg: &[u8],
    alg: CompressionAlgorithm,
    pattern_v1: bool,
) -> Option<Vec<u8>> {
    let size = u32::try_from(msg.len()).ok()?;
    let (mut lead, mut trail) = (0, 0);
    if pattern_v1 {
        lead = lwio_xca::pattern::leading_run(msg);
        if lead < MIN_PATTERN_RUN {
            lead = 0;
        }
        if lead < msg.len() {
            trail = lwio_xca::pattern::trailing_run(&msg[lead..]);
            if trail < MIN_PATTERN_RUN {
                trail = 0;
            }
        }
    }
    let mut out = Vec::with_capacity(msg.len() / 2);
    out.extend_from_slice(&COMPRESSION_PROTOCOL_ID);
    out.extend_from_slice(&size.to_le_bytes());
    let mut first = true;
    if lead > 0 {
        let p = lwio_xca::pattern::PatternV1 {
            pattern: msg[0],
            repetitions: lead as u32,
        };
        push_payload(
            &mut out,
            &mut first,
            CompressionAlgorithm::PATTERN_V1,
            None,
            &p.encode(),
        );
    }
    let middle = &msg[lead..msg.len() - trail];
    if !middle.is_empty() {
        let packed = xca_algorithm(alg)
            .filter(|a| *a != Algorithm::PatternV1)
            .and_then(|a| a.compress(middle))
            .filter(|c| c.len() + 4 < middle.len());
        match packed {
            Some(c) => push_payload(&mut out, &mut first, alg, Some(middle.len() as u32), &c),
            None => push_payload(
                &mut out,
                &mut first,
                CompressionAlgorithm::NONE,
                None,
                middle,
            ),
        }
    }
    if trail > 0 {
        let p = lwio_xca::pattern::PatternV1 {
            pattern: msg[msg.len() - 1],
            repetitions: trail as u32,
        };
        push_payload(
            &mut out,
            &mut first,
            CompressionAlgorithm::PATTERN_V1,
            None,
            &p.encode(),
        );
    }
    (out.len() < msg.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [CompressionAlgorithm; 5] = [
        CompressionAlgorithm::LZNT1,
        CompressionAlgorithm::LZ77,
        CompressionAlgorithm::LZ77_HUFFMAN,
        CompressionAlgorithm::PATTERN_V1,
        CompressionAlgorithm::LZ4,
    ];

    fn message() -> Vec<u8> {
        let mut m = vec![0xFE, b'S', b'M', b'B'];
        m.extend((0..60u8).collect::<Vec<_>>());
        m.extend(b"compress me please ".repeat(200));
        m.extend(vec![0u8; 5000]);
        m
    }

    #[test]
    fn unchained_round_trip_every_algorithm() {
        let msg = message();
        for alg in [
            CompressionAlgorithm::LZNT1,
            CompressionAlgorithm::LZ77,
            CompressionAlgorithm::LZ77_HUFFMAN,
            CompressionAlgorithm::LZ4,
        ] {
            let frame = compress_unchained(&msg, alg).expect("shrinks");
            assert!(frame.len() < msg.len() / 4);
            assert_eq!(
                decompress(&frame, &ALL, false, 1 << 20).expect("decodes"),
                msg,
                "{alg:?}"
            );
            assert_eq!(
                decompress(&frame, &[CompressionAlgorithm::PATTERN_V1], false, 1 << 20),
                Err(CompressionError::NotNegotiated(alg))
            );
        }
        assert!(compress_unchained(&msg, CompressionAlgorithm::PATTERN_V1).is_none());
    }

    #[test]
    fn chained_round_trip_with_patterns() {
        let msg = message();
        let frame = compress_chained(&msg, CompressionAlgorithm::LZ4, true).expect("shrinks");
        let CompressedMessage::Chained {
            payloads,
            original_size,
        } = CompressedMessage::decode(&frame).expect("decodes")
        else {
            panic!("chained")
        };
        assert_eq!(original_size as usize, msg.len());
        assert_eq!(payloads.len(), 2);
        assert_eq!(payloads[0].flags, FLAG_CHAINED);
        assert_eq!(payloads[1].algorithm, CompressionAlgorithm::PATTERN_V1);
        assert_eq!(
            decompress(&frame, &ALL, true, 1 << 20).expect("decodes"),
            msg
        );
        assert!(matches!(
            decompress(&frame, &ALL, false, 1 << 20),
            Err(CompressionError::Malformed(_))
        ));
    }

    #[test]
    fn incompressible_middle_goes_raw() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut msg: Vec<u8> = (0..3000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        msg.extend(vec![7u8; 4000]);
        let frame = compress_chained(&msg, CompressionAlgorithm::LZ77, true).expect("shrinks");
        let CompressedMessage::Chained { payloads, .. } =
            CompressedMessage::decode(&frame).expect("decodes")
        else {
            panic!("chained")
        };
        assert_eq!(payloads[0].algorithm, CompressionAlgorithm::NONE);
        assert_eq!(
            decompress(&frame, &ALL, true, 1 << 20).expect("decodes"),
            msg
        );
    }

    #[test]
    fn lying_sizes_are_refused_before_allocation() {
        let msg = message();
        let mut frame = compress_unchained(&msg, CompressionAlgorithm::LZ4).expect("shrinks");
        frame[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decompress(&frame, &ALL, false, 1 << 20),
            Err(CompressionError::TooLarge {
                announced: u64::from(u32::MAX),
                limit: 1 << 20
            })
        );
        // Announcing less than the data holds: an overrun, stopped at the announced size.
        frame[4..8].copy_from_slice(&100u32.to_le_bytes());
        assert_eq!(
            decompress(&frame, &ALL, false, 1 << 20),
            Err(CompressionError::Data(lwio_xca::Error::Overrun))
        );
        let mut chained = compress_chained(&msg, CompressionAlgorithm::LZ4, true).expect("shrinks");
        chained[4..8].copy_from_slice(&(64u32 << 20).to_le_bytes());
        assert!(matches!(
            decompress(&chained, &ALL, true, 1 << 20),
            Err(CompressionError::TooLarge { .. })
        ));
        // A payload claiming more than the whole message.
        let mut chained = compress_chained(&msg, CompressionAlgorithm::LZ4, true).expect("shrinks");
        chained[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decompress(&chained, &ALL, true, 1 << 20),
            Err(CompressionError::Data(lwio_xca::Error::Overrun))
        );
    }

    #[test]
    fn cut_and_garbled_frames_are_malformed() {
        let msg = message();
        let frame = compress_chained(&msg, CompressionAlgorithm::LZ4, true).expect("shrinks");
        for cut in 0..frame.len() {
            assert!(
                decompress(&frame[..cut], &ALL, true, 1 << 20).is_err(),
                "cut at {cut}"
            );
        }
        let mut bad = frame.clone();
        bad[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            CompressedMessage::decode(&bad),
            Err(CompressionError::Malformed(_))
        ));
        let mut unchained = compress_unchained(&msg, CompressionAlgorithm::LZ77).expect("shrinks");
        unchained[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            CompressedMessage::decode(&unchained),
            Err(CompressionError::Malformed(_))
        ));
    }
}
