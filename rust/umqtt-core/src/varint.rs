//! The variable byte integer that carries the remaining length (MQTT 3.1.1 §2.2.3).
//!
//! Seven value bits per byte, least significant group first, high bit set on
//! every byte but the last. At most four bytes, so the largest value is
//! 268_435_455.

/// Largest value four bytes can carry, and so the largest remaining length.
pub const MAX_VALUE: usize = 268_435_455;

/// Longest encoding in bytes.
pub const MAX_LEN: usize = 4;

/// Why a variable byte integer could not be encoded or decoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum VarIntError {
    /// The value is above [`MAX_VALUE`] (encode).
    TooLarge,
    /// The fourth byte still has its continuation bit set (decode).
    Malformed,
}

/// Number of bytes `value` takes on the wire; values above [`MAX_VALUE`]
/// (which [`encode`] rejects) report [`MAX_LEN`].
// Out of line: the length computations inlined it 11 times, ~30 B each on
// rv32imc (140 B more in all).
#[inline(never)]
pub const fn encoded_len(value: usize) -> usize {
    if value < 128 {
        1
    } else if value < 16_384 {
        2
    } else if value < 2_097_152 {
        3
    } else {
        4
    }
}

/// Writes `value` into `out`, [`encoded_len`]`(value)` bytes long (the
/// caller checked `value` and the room): seven bits a byte, low first, the
/// high bit set on all but the last (§2.2.3). Straight into the packet, not through
/// [`encode`]'s array and a copy (40 to 80 B less a caller on rv32imc).
#[inline]
pub(crate) fn write_into(out: &mut [u8], value: usize) {
    let mut rest = value;
    for slot in out {
        // Truncation keeps exactly the low seven bits.
        let mut byte = (rest % 128) as u8;
        rest /= 128;
        if rest > 0 {
            byte |= 0x80;
        }
        *slot = byte;
    }
}

/// Encodes `value`; returns the bytes and how many of them are used.
pub fn encode(value: usize) -> Result<([u8; MAX_LEN], usize), VarIntError> {
    if value > MAX_VALUE {
        return Err(VarIntError::TooLarge);
    }
    let mut out = [0u8; MAX_LEN];
    let mut rest = value;
    let mut used = 0;
    for slot in out.iter_mut() {
        // Truncation keeps exactly the low seven bits we want.
        let mut byte = (rest % 128) as u8;
        rest /= 128;
        if rest > 0 {
            byte |= 0x80;
        }
        *slot = byte;
        used += 1;
        if rest == 0 {
            break;
        }
    }
    Ok((out, used))
}

/// Decodes from the start of `bytes`.
///
/// Returns `Ok(None)` when `bytes` ends before the last byte of the integer
/// (read more and retry), `Ok(Some((value, bytes_used)))` otherwise.
pub fn decode(bytes: &[u8]) -> Result<Option<(usize, usize)>, VarIntError> {
    let mut value = 0usize;
    for (index, &byte) in bytes.iter().enumerate().take(MAX_LEN) {
        value |= usize::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Ok(Some((value, index + 1)));
        }
    }
    if bytes.len() >= MAX_LEN {
        Err(VarIntError::Malformed)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The boundary table of MQTT 3.1.1 §2.2.3.
    const SPEC_TABLE: &[(usize, &[u8])] = &[
        (0, &[0x00]),
        (127, &[0x7f]),
        (128, &[0x80, 0x01]),
        (16_383, &[0xff, 0x7f]),
        (16_384, &[0x80, 0x80, 0x01]),
        (2_097_151, &[0xff, 0xff, 0x7f]),
        (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
        (268_435_455, &[0xff, 0xff, 0xff, 0x7f]),
    ];

    #[test]
    fn encode_matches_spec_table() {
        for &(value, bytes) in SPEC_TABLE {
            let (out, used) = encode(value).unwrap();
            assert_eq!(&out[..used], bytes, "value {value}");
            assert_eq!(encoded_len(value), bytes.len());
            let mut written = [0xaa; MAX_LEN];
            write_into(&mut written[..bytes.len()], value);
            assert_eq!(&written[..bytes.len()], bytes, "value {value}");
        }
    }

    #[test]
    fn decode_matches_spec_table() {
        for &(value, bytes) in SPEC_TABLE {
            assert_eq!(decode(bytes), Ok(Some((value, bytes.len()))));
        }
    }

    #[test]
    fn value_above_max_is_rejected() {
        assert_eq!(encode(MAX_VALUE + 1), Err(VarIntError::TooLarge));
    }

    #[test]
    fn fifth_continuation_byte_is_malformed() {
        assert_eq!(
            decode(&[0xff, 0xff, 0xff, 0xff]),
            Err(VarIntError::Malformed)
        );
        assert_eq!(
            decode(&[0x80, 0x80, 0x80, 0x80, 0x01]),
            Err(VarIntError::Malformed)
        );
    }

    #[test]
    fn incomplete_integer_asks_for_more() {
        assert_eq!(decode(&[]), Ok(None));
        assert_eq!(decode(&[0x80]), Ok(None));
        assert_eq!(decode(&[0xff, 0xff, 0xff]), Ok(None));
    }

    #[test]
    fn decode_stops_at_the_last_byte() {
        assert_eq!(decode(&[0x05, 0xff, 0xff]), Ok(Some((5, 1))));
    }

    proptest! {
        #[test]
        fn round_trip(value in 0..=MAX_VALUE) {
            let (out, used) = encode(value).unwrap();
            prop_assert_eq!(used, encoded_len(value));
            prop_assert_eq!(decode(&out[..used]), Ok(Some((value, used))));
            let mut written = [0u8; MAX_LEN];
            write_into(&mut written[..used], value);
            prop_assert_eq!(&written[..used], &out[..used]);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..8)) {
            let _ = decode(&bytes);
        }
    }
}
