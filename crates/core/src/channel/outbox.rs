//! The wire format of a send outbox: a buffer (a `SharedArrayBuffer` in the
//! binding) in which one thread's JS appends the values it sends without a
//! native call, read by native code when that thread flushes, detaches or
//! dies. Little endian:
//!
//! - bytes [`COUNT`]`..+4`: the number of committed values (an `i32`, stored
//!   last, after the value's bytes);
//! - bytes [`AVAIL`]`..+4`: the reserved slots not claimed yet (an `i32`,
//!   see [`super::credits`]);
//! - from byte [`DATA`]: each value as `[u32 length][bytes]`.

/// Byte offset of the committed-values count.
pub const COUNT: usize = 0;
/// Byte offset of the unclaimed reserved slots.
pub const AVAIL: usize = 4;
/// Byte offset of the first value.
pub const DATA: usize = 8;
/// Bytes of each value's length prefix.
pub const LEN_BYTES: usize = 4;

/// The first `count` values in `outbox` (the whole buffer, header
/// included), oldest first. Reading stops at a value that would run past the
/// end of the buffer, so a garbled count or length never reads out of bounds.
pub fn read_values(outbox: &[u8], count: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(count.min(outbox.len() / LEN_BYTES));
    let mut at = DATA;
    for _ in 0..count {
        let Some(prefix) = outbox.get(at..at + LEN_BYTES) else {
            break;
        };
        let n = u32::from_le_bytes(prefix.try_into().expect("LEN_BYTES bytes")) as usize;
        let Some(value) = outbox.get(at + LEN_BYTES..at + LEN_BYTES + n) else {
            break;
        };
        out.push(value.to_vec());
        at += LEN_BYTES + n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An outbox as JS writes it: the header, then the values.
    fn outbox(values: &[&[u8]], spare: usize) -> Vec<u8> {
        let mut b = vec![0u8; DATA];
        b[COUNT..COUNT + 4].copy_from_slice(&(values.len() as i32).to_le_bytes());
        for v in values {
            b.extend_from_slice(&(v.len() as u32).to_le_bytes());
            b.extend_from_slice(v);
        }
        b.resize(b.len() + spare, 0xee);
        b
    }

    #[test]
    fn reads_the_committed_values_in_order() {
        let b = outbox(&[b"one", b"", b"three"], 16);
        assert_eq!(read_values(&b, 3), vec![b"one".to_vec(), vec![], b"three".to_vec()]);
    }

    #[test]
    fn reads_only_the_committed_count() {
        // A value being written (its bytes there, the count not bumped yet) is not read.
        let b = outbox(&[b"a", b"b"], 0);
        assert_eq!(read_values(&b, 1), vec![b"a".to_vec()]);
        assert_eq!(read_values(&b, 0), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn a_count_or_length_past_the_end_stops_the_read() {
        let b = outbox(&[b"abc"], 0);
        assert_eq!(read_values(&b, 5), vec![b"abc".to_vec()], "count too high");
        let mut torn = outbox(&[b"abc"], 0);
        torn[DATA..DATA + 4].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(read_values(&torn, 1), Vec::<Vec<u8>>::new(), "length past the end");
        assert_eq!(
            read_values(&[0u8; 3], 1),
            Vec::<Vec<u8>>::new(),
            "shorter than the header"
        );
        let max = outbox(&[], 2);
        assert_eq!(
            read_values(&max, usize::MAX),
            Vec::<Vec<u8>>::new(),
            "no room for a prefix"
        );
    }
}
