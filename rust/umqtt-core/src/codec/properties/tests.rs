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
