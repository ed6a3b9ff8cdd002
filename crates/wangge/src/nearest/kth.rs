//! The k-th smallest squared chord among the candidates of a k-NN search, kept up to date as
//! candidates arrive, without an allocation of its own.

/// Up to this `k`, the k smallest chords are kept sorted in an array; above it, the candidate
/// list itself is compacted now and then (`select_nth_unstable`) to find the k-th.
const SMALL_K: usize = 16;

/// Tracks the k-th smallest squared chord of a growing candidate list.
pub(crate) enum KthChord {
    /// The `len` smallest chords so far, sorted (`k ≤ SMALL_K`).
    Small {
        k: usize,
        len: usize,
        smallest: [f64; SMALL_K],
    },
    /// Large `k`: compact the list when it grows past `limit`.
    Large { k: usize, limit: usize },
}

impl KthChord {
    /// For a search of the `k ≥ 1` nearest.
    pub(crate) fn new(k: usize) -> KthChord {
        if k <= SMALL_K {
            KthChord::Small {
                k,
                len: 0,
                smallest: [0.0; SMALL_K],
            }
        } else {
            KthChord::Large { k, limit: k - 1 }
        }
    }

    /// Called after a candidate `(chord², index)` was pushed onto `candidates`. When there
    /// are at least `k` candidates and the k-th smallest chord² may have changed (it never
    /// grows), returns `to_threshold` of it: the squared chord beyond which no point can make
    /// the answer any more. The large-k variant then drops the candidates beyond that
    /// threshold from the list.
    pub(crate) fn offer(
        &mut self,
        candidates: &mut Vec<(f64, u32)>,
        to_threshold: impl Fn(f64) -> f64,
    ) -> Option<f64> {
        match self {
            KthChord::Small { k, len, smallest } => {
                let c2 = candidates.last()?.0;
                if *len == *k {
                    if c2 >= smallest[*k - 1] {
                        return None;
                    }
                    *len -= 1;
                }
                let at = smallest[..*len].partition_point(|&x| x <= c2);
                smallest.copy_within(at..*len, at + 1);
                smallest[at] = c2;
                *len += 1;
                (*len == *k).then(|| to_threshold(smallest[*k - 1]))
            }
            KthChord::Large { k, limit } => {
                if candidates.len() <= *limit {
                    return None;
                }
                let (_, &mut (kth, _), _) =
                    candidates.select_nth_unstable_by(*k - 1, |a, b| a.0.total_cmp(&b.0));
                let threshold = to_threshold(kth);
                candidates.retain(|c| c.0 <= threshold);
                *limit = 2 * candidates.len();
                Some(threshold)
            }
        }
    }
}
