//! The property tables against the matches they are built from.

use super::{Context, PropertyId};

/// The bit test and the match agree on every byte.
#[test]
fn from_u8_is_the_match() {
    for value in 0..=255u8 {
        assert_eq!(PropertyId::from_u8(value), PropertyId::lookup(value));
    }
}

/// The table and the matches agree on every identifier.
#[test]
fn id_table_is_the_matches() {
    for id in (0..=255u8).filter_map(PropertyId::lookup) {
        assert_eq!(id.kind(), id.kind_of(), "{id:?}");
        for context in Context::ALL {
            assert_eq!(
                id.allowed_in(context),
                id.contexts() & context.bit() != 0,
                "{id:?} {context:?}"
            );
        }
    }
}

/// The writer (MQTT 5 only) against its earlier code.
#[cfg(feature = "mqtt5")]
mod writer {
    use std::vec;
    use std::vec::Vec;

    use proptest::prelude::*;

    use super::super::{check_block, PropertyError, PropertyKind, PropertyWriter};
    use super::{Context, PropertyId};

    /// The integer properties as `PropertyWriter::append` wrote them before
    /// its one arm for the three widths: the id, then the number in its
    /// kind's width, or `InvalidValue` when it does not fit.
    fn integer_property_before(id: PropertyId, number: u32) -> Result<Vec<u8>, PropertyError> {
        let mut bytes = vec![id as u8];
        match id.kind() {
            PropertyKind::Byte => {
                bytes.push(u8::try_from(number).map_err(|_| PropertyError::InvalidValue)?)
            }
            PropertyKind::TwoByteInt => bytes.extend_from_slice(
                &u16::try_from(number)
                    .map_err(|_| PropertyError::InvalidValue)?
                    .to_be_bytes(),
            ),
            _ => bytes.extend_from_slice(&number.to_be_bytes()),
        }
        Ok(bytes)
    }

    fn edge_number() -> impl Strategy<Value = u32> {
        prop_oneof![
            any::<u32>(),
            0u32..=2,
            250u32..=260,
            65_530u32..=65_540,
            Just(u32::MAX),
        ]
    }

    proptest! {
        /// `number` as every one-, two- and four-byte integer property, in
        /// every context that allows it, on its own in a block: the bytes (or
        /// the refusal) of the per-width encoding.
        #[test]
        fn integer_properties_are_written_as_before(number in edge_number()) {
            let integers = (0..=255u8).filter_map(PropertyId::from_u8).filter(|id| {
                matches!(
                    id.kind(),
                    PropertyKind::Byte | PropertyKind::TwoByteInt | PropertyKind::FourByteInt
                )
            });
            for id in integers {
                for context in Context::ALL.into_iter().filter(|&c| id.allowed_in(c)) {
                    let mut buf = [0u8; 8];
                    let written =
                        PropertyWriter::append_to(&mut buf, 0, context, id as u8, number, &[], &[]);
                    // The block is parsed after it is written (a value the
                    // reader refuses, e.g. a Maximum QoS of 2, is refused
                    // either way).
                    let expected = integer_property_before(id, number)
                        .and_then(|bytes| check_block(&bytes, context).map(|()| bytes));
                    let written = written.map(|len| buf[..len].to_vec());
                    prop_assert_eq!(written, expected, "{:?} {:?}", id, context);
                }
            }
        }
    }
}
