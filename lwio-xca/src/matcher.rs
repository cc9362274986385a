//! The match finder the LZ compressors share: a hash of the next three bytes, a chain of
//! earlier positions with that hash (bounded in depth), greedy longest match.

const HASH_BITS: u32 = 15;
const CHAIN: usize = 1 << 16;
const NONE: u32 = u32::MAX;
const MAX_CHAIN_DEPTH: usize = 24;

pub(crate) struct Matcher {
    head: Vec<u32>,
    prev: Vec<u32>,
}

fn hash(data: &[u8], pos: usize) -> usize {
    let v = u32::from(data[pos]) | u32::from(data[pos + 1]) << 8 | u32::from(data[pos + 2]) << 16;
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

impl Matcher {
    pub(crate) fn new() -> Self {
        Matcher {
            head: vec![NONE; 1 << HASH_BITS],
            prev: vec![NONE; CHAIN],
        }
    }

    /// Records `pos` as a match candidate for later positions.
    pub(crate) fn insert(&mut self, data: &[u8], pos: usize) {
        if pos + 3 > data.len() {
            return;
        }
        let h = hash(data, pos);
        self.prev[pos % CHAIN] = self.head[h];
        self.head[h] = pos as u32;
    }

    /// The longest match for `pos` starting at or after `min_pos`, no further back than
    /// `max_dist` (at most 65,535) and no longer than `max_len`: `(distance, length)`,
    /// length at least 3.
    pub(crate) fn find(
        &self,
        data: &[u8],
        pos: usize,
        min_pos: usize,
        max_dist: usize,
        max_len: usize,
    ) -> Option<(usize, usize)> {
        let max_len = max_len.min(data.len() - pos);
        if max_len < 3 {
            return None;
        }
        let mut cand = self.head[hash(data, pos)];
        let mut best: Option<(usize, usize)> = None;
        let mut depth = 0;
        let mut last = pos;
        while cand != NONE && depth < MAX_CHAIN_DEPTH {
            let c = cand as usize;
            if c >= last || c < min_pos || pos - c > max_dist {
                break;
            }
            last = c;
            let mut len = 0;
            while len < max_len && data[c + len] == data[pos + len] {
                len += 1;
            }
            if len >= 3 && best.is_none_or(|(_, l)| len > l) {
                best = Some((pos - c, len));
                if len == max_len {
                    break;
                }
            }
            cand = self.prev[c % CHAIN];
            depth += 1;
        }
        best
    }
}
