//! Topic names and topic filters, validated once (MQTT 3.1.1 §4.7).
//!
//! A [`TopicName`] is what a PUBLISH is sent to: no wildcards. A
//! [`TopicFilter`] is what a SUBSCRIBE asks for: it may contain `+` (one
//! level) and `#` (all remaining levels). Both are 1..=65535 bytes of UTF-8
//! without U+0000 (§1.5.3, §4.7.3).
//!
//! MQTT 5 adds two things: [`TopicName::EMPTY`], the topic of a PUBLISH
//! that names it by a Topic Alias only, and shared subscriptions
//! (`$share/{ShareName}/{filter}`, MQTT 5 §4.8.2): see [`TopicFilter::shared`]
//! and [`TopicFilter::new_v5`].

use core::fmt;

/// Longest topic: its length is a 16-bit prefix on the wire (§1.5.3).
pub const MAX_TOPIC_LEN: usize = 65_535;

/// Why bytes are not a valid topic name or filter.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TopicError {
    /// Topics must be at least one byte long (§4.7.3).
    Empty,
    /// Longer than [`MAX_TOPIC_LEN`] bytes.
    TooLong,
    /// Not valid UTF-8 (§1.5.3).
    InvalidUtf8,
    /// Contains U+0000 (§1.5.3).
    ContainsNul,
    /// A topic name contains `+` or `#` (§3.3.2.1).
    WildcardInName,
    /// A filter uses `+` or `#` other than as a whole level, or `#` not last (§4.7.1).
    MisplacedWildcard,
    /// MQTT 5: a filter starts with `$share/` but is not a valid shared
    /// subscription: the share name is empty or contains `+` or `#`, or no
    /// filter follows it (MQTT 5 §4.8.2).
    InvalidSharedSubscription,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TopicError::Empty => "topic is empty",
            TopicError::TooLong => "topic is longer than 65535 bytes",
            TopicError::InvalidUtf8 => "topic is not valid UTF-8",
            TopicError::ContainsNul => "topic contains U+0000",
            TopicError::WildcardInName => "topic name contains a wildcard",
            TopicError::MisplacedWildcard => "topic filter has a misplaced wildcard",
            TopicError::InvalidSharedSubscription => "invalid shared subscription filter",
        })
    }
}

/// `bytes` as text if it is well-formed UTF-8: what `core::str::from_utf8`
/// accepts (no overlong forms, no surrogates, nothing above U+10FFFF), in a
/// fraction of its code (about 0.8 KB less flash on rv32imc with its table).
// `extern "C"` (called from Rust only): its two-word result comes back in
// two registers on rv32, not through a stack slot (Rust ABI).
#[allow(improper_ctypes_definitions)]
pub extern "C" fn utf8(bytes: &[u8]) -> Option<&str> {
    let mut rest = bytes;
    while let Some((&lead, tail)) = rest.split_first() {
        rest = tail;
        if lead < 0x80 {
            continue;
        }
        // Continuation bytes after `lead`, and the range of the first one
        // (which rules out overlong forms, surrogates and > U+10FFFF).
        let (extra, low, high) = match lead {
            0xC2..=0xDF => (1, 0x80, 0xBF),
            0xE0 => (2, 0xA0, 0xBF),
            0xED => (2, 0x80, 0x9F),
            0xE1..=0xEF => (2, 0x80, 0xBF),
            0xF0 => (3, 0x90, 0xBF),
            0xF1..=0xF3 => (3, 0x80, 0xBF),
            0xF4 => (3, 0x80, 0x8F),
            _ => return None,
        };
        let (cont, tail) = rest.split_at_checked(extra)?;
        match cont.split_first() {
            Some((&first, others))
                if (low..=high).contains(&first) && others.iter().all(|&b| b & 0xC0 == 0x80) => {}
            _ => return None,
        }
        rest = tail;
    }
    // SAFETY: every sequence was checked above to be well-formed UTF-8.
    Some(unsafe { core::str::from_utf8_unchecked(bytes) })
}

/// Checks the rules names and filters share and returns the text.
// `extern "C"` (called from Rust only): its two-word result comes back in
// two registers on rv32, not through a stack slot (Rust ABI).
#[allow(improper_ctypes_definitions)]
extern "C" fn validate_common(bytes: &[u8]) -> Result<&str, TopicError> {
    if bytes.is_empty() {
        return Err(TopicError::Empty);
    }
    if bytes.len() > MAX_TOPIC_LEN {
        return Err(TopicError::TooLong);
    }
    let text = utf8(bytes).ok_or(TopicError::InvalidUtf8)?;
    // ASCII bytes never occur inside a multi-byte UTF-8 sequence: the
    // wildcard and separator checks here and below can look at bytes.
    // Not `contains(&0)`: that inlines a word-at-a-time search, 140 B more
    // on rv32imc for topics that are a few dozen bytes.
    #[allow(clippy::manual_contains)]
    if bytes.iter().any(|&b| b == 0) {
        return Err(TopicError::ContainsNul);
    }
    Ok(text)
}

/// A valid topic name: the destination of a PUBLISH (§4.7).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TopicName<'a>(&'a str);

impl<'a> TopicName<'a> {
    /// The empty topic name: only in a v5 PUBLISH that names its topic by a
    /// Topic Alias (MQTT 5 §3.3.2.3.4); the receiver must resolve it before
    /// delivery. [`TopicName::new`] never returns it.
    pub const EMPTY: TopicName<'static> = TopicName("");

    /// Validates `bytes` as a topic name.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub extern "C" fn new(bytes: &'a [u8]) -> Result<TopicName<'a>, TopicError> {
        let text = validate_common(bytes)?;
        if bytes.iter().any(|&b| b == b'+' || b == b'#') {
            return Err(TopicError::WildcardInName);
        }
        Ok(TopicName(text))
    }

    /// `bytes` as a topic name without checking them again: for a driver
    /// that publishes to the very bytes it had accepted before (the same
    /// immutable object), where the check would repeat the same answer.
    ///
    /// # Safety
    /// [`TopicName::new`] accepted these exact bytes, and they have not
    /// changed since (in particular they are valid UTF-8).
    pub unsafe fn new_unchecked(bytes: &'a [u8]) -> TopicName<'a> {
        debug_assert!(TopicName::new(bytes).is_ok());
        // SAFETY: per the contract above, `bytes` is valid UTF-8.
        TopicName(unsafe { core::str::from_utf8_unchecked(bytes) })
    }

    /// The name as text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The name as wire bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0.as_bytes()
    }
}

/// A valid topic filter: what a SUBSCRIBE or UNSUBSCRIBE names (§4.7).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TopicFilter<'a>(&'a str);

impl<'a> TopicFilter<'a> {
    /// Validates `bytes` as a topic filter.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub extern "C" fn new(bytes: &'a [u8]) -> Result<TopicFilter<'a>, TopicError> {
        let text = validate_common(bytes)?;
        // A wildcard is a whole level; `#` is also the last one. Each byte
        // is checked against the one before it (no look-ahead): the start
        // counts as a `/`, a level boundary.
        let mut previous = b'/';
        for &b in bytes {
            let misplaced = (matches!(b, b'+' | b'#') && previous != b'/')
                || previous == b'#'
                || (previous == b'+' && b != b'/');
            if misplaced {
                return Err(TopicError::MisplacedWildcard);
            }
            previous = b;
        }
        Ok(TopicFilter(text))
    }

    /// The filter as text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The filter as wire bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0.as_bytes()
    }

    /// Whether this filter selects `name`; see [`matches()`]. A shared
    /// subscription selects what its inner filter selects: match against
    /// the filter [`TopicFilter::shared`] returns.
    pub fn matches(&self, name: &TopicName<'_>) -> bool {
        matches(self, name)
    }

    /// MQTT 5: validates `bytes` as a topic filter that, if it starts with
    /// `$share/`, is a valid shared subscription (see [`TopicFilter::shared`]).
    pub fn new_v5(bytes: &'a [u8]) -> Result<TopicFilter<'a>, TopicError> {
        let filter = TopicFilter::new(bytes)?;
        filter.check_shared()?;
        Ok(filter)
    }

    /// MQTT 5 shared subscription (§4.8.2): for `$share/{ShareName}/{filter}`
    /// the share name and the inner filter. `None` for any other filter,
    /// and for a malformed one (see [`TopicFilter::check_shared`]).
    pub fn shared(&self) -> Option<(&'a str, TopicFilter<'a>)> {
        let rest = self.0.strip_prefix(SHARED_PREFIX)?;
        let slash = share_name_len(rest.as_bytes())?;
        let (share_name, inner) = (rest.get(..slash)?, rest.get(slash + 1..)?);
        // Not validated again: the levels after a `/` of a valid filter are
        // one (UTF-8 split at an ASCII byte, wildcards placed as before,
        // since a level boundary is where `new` starts too).
        Some((share_name, TopicFilter(inner)))
    }

    /// MQTT 5: a filter that starts with `$share/` must be a valid shared
    /// subscription: a share name of at least one character without `+`,
    /// `#` (or `/`), then `/` and a non-empty filter (§4.8.2). In 3.1.1 such
    /// a filter is an ordinary one.
    pub fn check_shared(&self) -> Result<(), TopicError> {
        self.is_shared().map(|_| ())
    }

    /// MQTT 5: whether this is a shared subscription; a filter that starts
    /// with `$share/` but is not a valid one is refused as by
    /// [`TopicFilter::check_shared`] (one parse for both answers).
    pub fn is_shared(&self) -> Result<bool, TopicError> {
        match self.as_bytes().strip_prefix(SHARED_PREFIX.as_bytes()) {
            None => Ok(false),
            Some(rest) if share_name_len(rest).is_some() => Ok(true),
            Some(_) => Err(TopicError::InvalidSharedSubscription),
        }
    }
}

/// What follows `$share/` in a shared subscription (§4.8.2): the share
/// name's length, if it is at least one byte without `+` or `#`, then a
/// `/` and a filter of at least one byte. Bytes, not `str` patterns:
/// core's searchers cost flash.
fn share_name_len(rest: &[u8]) -> Option<usize> {
    let slash = rest.iter().position(|&b| b == b'/')?;
    let share_name = rest.get(..slash)?;
    let valid = slash > 0 && slash + 1 < rest.len() && !has_wildcard(share_name);
    valid.then_some(slash)
}

/// Whether `text` holds a wildcard, `+` or `#`.
pub(crate) fn has_wildcard(text: &[u8]) -> bool {
    text.iter().any(|&b| b == b'+' || b == b'#')
}

/// The prefix of an MQTT 5 shared subscription's filter (§4.8.2).
pub const SHARED_PREFIX: &str = "$share/";

/// Whether `filter` selects the topic `name` (§4.7.1, §4.7.2).
///
/// `#` also matches the parent level (`a/#` matches `a`), `+` matches exactly
/// one level (possibly empty), and a filter starting with a wildcard does not
/// match names starting with `$` (those are server topics such as `$SYS`).
pub fn matches(filter: &TopicFilter<'_>, name: &TopicName<'_>) -> bool {
    let (filter, name) = (filter.as_bytes(), name.as_bytes());
    if name.first() == Some(&b'$') && matches!(filter.first(), Some(b'+' | b'#')) {
        return false;
    }
    // Byte by byte (slice splitting and level comparisons cost 150 B more):
    // a valid filter's wildcards are whole levels, `#` the last one, and a
    // name has none.
    let (mut f, mut n) = (0, 0);
    loop {
        match (filter.get(f), name.get(n)) {
            (Some(b'#'), _) => return true,
            (Some(b'+'), _) => {
                // The name's level, possibly empty.
                while name.get(n).is_some_and(|&b| b != b'/') {
                    n += 1;
                }
                f += 1;
            }
            (Some(a), Some(b)) if a == b => {
                f += 1;
                n += 1;
            }
            // The name ends where the filter goes on with `/#`, which also
            // matches the parent level.
            (Some(b'/'), None) => return filter.get(f + 1) == Some(&b'#'),
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(text: &str) -> TopicName<'_> {
        TopicName::new(text.as_bytes()).unwrap()
    }

    fn filter(text: &str) -> TopicFilter<'_> {
        TopicFilter::new(text.as_bytes()).unwrap()
    }

    /// `matches` as it was written first: level by level.
    fn matches_by_levels(filter: &TopicFilter<'_>, name: &TopicName<'_>) -> bool {
        if name.as_bytes().first() == Some(&b'$')
            && core::matches!(filter.as_bytes().first(), Some(b'+' | b'#'))
        {
            return false;
        }
        let mut filter_levels = filter.as_bytes().split(|&b| b == b'/');
        let mut name_levels = name.as_bytes().split(|&b| b == b'/');
        loop {
            match (filter_levels.next(), name_levels.next()) {
                (Some(b"#"), _) => return true,
                (Some(b"+"), Some(_)) => {}
                (Some(filter_level), Some(name_level)) if filter_level == name_level => {}
                (None, None) => return true,
                _ => return false,
            }
        }
    }

    fn is_match(filter_text: &str, name_text: &str) -> bool {
        matches(&filter(filter_text), &name(name_text))
    }

    #[test]
    fn valid_names() {
        for text in [
            "a",
            "/",
            "a/b",
            "sport/tennis/player1",
            "$SYS/x",
            " ",
            "a//b",
            "ü/€",
        ] {
            assert!(TopicName::new(text.as_bytes()).is_ok(), "{text}");
        }
    }

    #[test]
    fn invalid_names() {
        assert_eq!(TopicName::new(b""), Err(TopicError::Empty));
        assert_eq!(TopicName::new(b"a/+"), Err(TopicError::WildcardInName));
        assert_eq!(TopicName::new(b"#"), Err(TopicError::WildcardInName));
        assert_eq!(TopicName::new(b"a\0b"), Err(TopicError::ContainsNul));
        assert_eq!(TopicName::new(b"\xff"), Err(TopicError::InvalidUtf8));
        let long = std::vec![b'a'; MAX_TOPIC_LEN + 1];
        assert_eq!(TopicName::new(&long), Err(TopicError::TooLong));
        assert!(TopicName::new(&long[..MAX_TOPIC_LEN]).is_ok());
    }

    /// The valid and invalid filters of §4.7.1.2 and §4.7.1.3.
    #[test]
    fn spec_filter_examples() {
        for text in [
            "sport/tennis/#",
            "#",
            "sport/#",
            "+",
            "+/tennis/#",
            "sport/+/player1",
            "/+",
            "+/+",
            "sport/",
        ] {
            assert!(TopicFilter::new(text.as_bytes()).is_ok(), "{text}");
        }
        for text in [
            "sport/tennis#",
            "sport/tennis/#/ranking",
            "sport+",
            "a/#b",
            "#/a",
        ] {
            assert_eq!(
                TopicFilter::new(text.as_bytes()),
                Err(TopicError::MisplacedWildcard),
                "{text}"
            );
        }
    }

    /// The matching examples of §4.7.1.2, §4.7.1.3 and §4.7.2.
    #[test]
    fn spec_matching_examples() {
        assert!(is_match("sport/tennis/player1/#", "sport/tennis/player1"));
        assert!(is_match(
            "sport/tennis/player1/#",
            "sport/tennis/player1/ranking"
        ));
        assert!(is_match(
            "sport/tennis/player1/#",
            "sport/tennis/player1/score/wimbledon"
        ));
        assert!(is_match("sport/#", "sport"));
        assert!(is_match("sport/tennis/+", "sport/tennis/player1"));
        assert!(is_match("sport/tennis/+", "sport/tennis/player2"));
        assert!(!is_match("sport/tennis/+", "sport/tennis/player1/ranking"));
        assert!(!is_match("sport/+", "sport"));
        assert!(is_match("sport/+", "sport/"));
        assert!(is_match("+/+", "/finance"));
        assert!(is_match("/+", "/finance"));
        assert!(!is_match("+", "/finance"));
        assert!(is_match("#", "a/b/c"));
        assert!(!is_match("#", "$SYS/broker"));
        assert!(!is_match("+/monitor/Clients", "$SYS/monitor/Clients"));
        assert!(is_match("$SYS/#", "$SYS/monitor/Clients"));
        assert!(is_match("$SYS/monitor/+", "$SYS/monitor/Clients"));
        assert!(!is_match("a/b", "a/b/c"));
        assert!(!is_match("a/b/c", "a/b"));
        assert!(is_match("a/b", "a/b"));
    }

    #[test]
    fn utf8_every_boundary() {
        for c in [
            '\u{0}',
            '\u{7F}',
            '\u{80}',
            '\u{7FF}',
            '\u{800}',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFF}',
            '\u{10000}',
            '\u{10FFFF}',
        ] {
            let mut buf = [0; 4];
            let text = c.encode_utf8(&mut buf);
            assert_eq!(utf8(text.as_bytes()), Some(&*text));
            // Every truncation of a multi-byte sequence is invalid.
            for n in 1..text.len() {
                assert_eq!(utf8(&text.as_bytes()[..n]), None);
            }
        }
        // Surrogates, overlong forms, beyond U+10FFFF.
        for bad in [
            &b"\xED\xA0\x80"[..],
            b"\xC0\x80",
            b"\xE0\x9F\xBF",
            b"\xF0\x8F\xBF\xBF",
            b"\xF4\x90\x80\x80",
            b"\xF5\x80\x80\x80",
            b"\x80",
            b"\xE1\x80\xC0",
        ] {
            assert_eq!(utf8(bad), None, "{bad:?}");
            assert!(core::str::from_utf8(bad).is_err());
        }
    }

    #[test]
    fn empty_name_is_only_the_constant() {
        assert_eq!(TopicName::EMPTY.as_bytes(), b"");
        assert_eq!(TopicName::EMPTY.as_str(), "");
        assert_eq!(TopicName::new(b""), Err(TopicError::Empty));
    }

    /// The shared subscription examples and rules of MQTT 5 §4.8.2.
    #[test]
    fn shared_subscriptions() {
        let shared = |text: &'static str| filter(text).shared();
        assert_eq!(
            shared("$share/consumer1/sport/tennis/+"),
            Some(("consumer1", filter("sport/tennis/+")))
        );
        assert_eq!(
            shared("$share/consumer2/sport/tennis/+"),
            Some(("consumer2", filter("sport/tennis/+")))
        );
        assert_eq!(shared("$share/g/#"), Some(("g", filter("#"))));
        assert_eq!(shared("$share/g//"), Some(("g", filter("/"))));
        assert_eq!(shared("$share/g/$SYS/x"), Some(("g", filter("$SYS/x"))));
        // Not shared at all: ordinary filters in both versions.
        for text in [
            "a/b",
            "$share",
            "$SHARE/g/a",
            "$shared/g/a",
            "x/$share/g/a",
            "#",
        ] {
            assert_eq!(shared(text), None, "{text}");
            assert_eq!(filter(text).check_shared(), Ok(()), "{text}");
            assert!(TopicFilter::new_v5(text.as_bytes()).is_ok(), "{text}");
        }
        // Start with "$share/" but are malformed: valid 3.1.1 filters, invalid v5 ones.
        for text in [
            "$share/",
            "$share//a",
            "$share/g",
            "$share/g/",
            "$share/+/a",
            "$share/#",
            "$share/+",
        ] {
            assert_eq!(shared(text), None, "{text}");
            assert_eq!(
                filter(text).check_shared(),
                Err(TopicError::InvalidSharedSubscription),
                "{text}"
            );
            assert_eq!(
                TopicFilter::new_v5(text.as_bytes()),
                Err(TopicError::InvalidSharedSubscription),
                "{text}"
            );
        }
        // A share name with a wildcard inside a level is no filter at all.
        assert_eq!(
            TopicFilter::new_v5(b"$share/g+/a"),
            Err(TopicError::MisplacedWildcard)
        );
        assert_eq!(
            TopicFilter::new_v5(b"$share/g/a#"),
            Err(TopicError::MisplacedWildcard)
        );
        use std::string::ToString;
        assert!(!TopicError::InvalidSharedSubscription.to_string().is_empty());
    }

    proptest! {
        #[test]
        fn validation_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let name = TopicName::new(&bytes);
            let filter = TopicFilter::new(&bytes);
            // Every valid name is also a valid filter, and matches itself.
            if let Ok(name) = name {
                let filter = filter.unwrap();
                prop_assert!(matches(&filter, &name));
            }
            if let Ok(filter) = filter {
                if let Some((share_name, inner)) = filter.shared() {
                    prop_assert!(!share_name.is_empty());
                    prop_assert!(filter.as_str().ends_with(inner.as_str()));
                }
            }
        }

        #[test]
        fn shared_parsing_agrees_with_validation(text in "\\$share[/a+#é]{0,6}") {
            if let Ok(filter) = TopicFilter::new(text.as_bytes()) {
                let shared = filter.shared();
                prop_assert_eq!(
                    filter.is_shared(),
                    filter.check_shared().map(|()| shared.is_some())
                );
                if text.starts_with(SHARED_PREFIX) {
                    prop_assert_eq!(shared.is_some(), filter.check_shared().is_ok());
                } else {
                    prop_assert!(shared.is_none() && filter.check_shared().is_ok());
                }
                if let Some((share_name, inner)) = shared {
                    // `shared` does not validate it again: it is valid.
                    prop_assert_eq!(TopicFilter::new(inner.as_bytes()), Ok(inner));
                    prop_assert_eq!(
                        std::format!("$share/{share_name}/{}", inner.as_str()),
                        text
                    );
                }
            }
        }

        #[test]
        fn utf8_agrees_with_core(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            prop_assert_eq!(utf8(&bytes), core::str::from_utf8(&bytes).ok());
        }

        #[test]
        fn utf8_agrees_with_core_near_boundaries(
            bytes in proptest::collection::vec(
                proptest::sample::select(&[0x7F_u8, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                    0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4,
                    0xF5, 0xFF, b'a'][..]),
                0..10)
        ) {
            prop_assert_eq!(utf8(&bytes), core::str::from_utf8(&bytes).ok());
        }

        #[test]
        fn matching_never_panics(f in "[a+#/$]{1,8}", n in "[a/$]{1,8}") {
            if let (Ok(f), Ok(n)) = (TopicFilter::new(f.as_bytes()), TopicName::new(n.as_bytes())) {
                let _ = matches(&f, &n);
            }
        }

        /// The wildcard check answers as looking one byte ahead did: a
        /// wildcard at a level's start, `#` last, `+` before `/` or the end.
        #[test]
        fn filter_check_agrees_with_look_ahead(f in "[ab+#/]{1,9}") {
            let bytes = f.as_bytes();
            let mut level_start = true;
            let mut valid = true;
            for (i, &b) in bytes.iter().enumerate() {
                let next = bytes.get(i + 1);
                valid &= match b {
                    b'#' => level_start && next.is_none(),
                    b'+' => level_start && matches!(next, None | Some(&b'/')),
                    _ => true,
                };
                level_start = b == b'/';
            }
            let expected = if valid { Ok(f.as_str()) } else { Err(TopicError::MisplacedWildcard) };
            prop_assert_eq!(TopicFilter::new(bytes).map(|f| f.as_str()), expected);
        }

        /// The byte loop answers as matching level by level does.
        #[test]
        fn matching_agrees_with_levels(f in "[ab+#/$]{1,9}", n in "[ab/$]{1,9}") {
            if let (Ok(f), Ok(n)) = (TopicFilter::new(f.as_bytes()), TopicName::new(n.as_bytes())) {
                prop_assert_eq!(matches(&f, &n), matches_by_levels(&f, &n), "{:?} {:?}", f, n);
            }
        }
    }
}
