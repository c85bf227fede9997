//! The texts of the C glue's MQTT 5 exception messages: the reason of a
//! broker's DISCONNECT and the broker limit a call broke. Stored packed
//! (the pieces they share, such as "the broker" or " not support", once)
//! and expanded into the caller's buffer by [`umqtt_text`]: 1 KB of text
//! in about 700 B.

use core::slice;

use umqtt_core::codec::v5::ReasonCode;

/// The size of the buffer [`umqtt_text`] writes: the longest text fits.
pub const UMQTT_TEXT_MAX: usize = 64;

/// [`umqtt_text`]'s key of a broker-limit refusal: this plus its `detail`
/// (1..=8, 0 for an unnamed limit). No DISCONNECT reason code is in
/// 0x40..=0x48.
pub const UMQTT_TEXT_LIMIT: u8 = 0x40;

/// The pieces the texts share: byte `PIECE_KEY` + i of a packed text
/// stands for piece i. Where two could start at one place, the first
/// listed wins. Picked by a greedy search for the smallest [`PACKED`]
/// (each piece costs its length and 2 B; 27 is all the keys there are).
const PIECES: [&str; 27] = [
    "ed ",
    " not support",
    "the broker",
    "ubscription",
    "Maximum",
    " invalid",
    "ed",
    "opic ",
    "er",
    "acket",
    " does",
    "onnect",
    "essage",
    "ve ",
    " exceeded",
    "ti",
    "on ",
    "'s ",
    "ildcard ",
    "specifi",
    "Server ",
    "lias",
    "th",
    "or",
    "dentifiers",
    "ta",
    " a",
];

/// The reason codes a DISCONNECT may carry (§2.4), named as
/// [`ReasonCode::name`] names them.
const DISCONNECT_CODES: [u8; 30] = [
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];

/// The limit texts by `detail` (see `v5::limit_code`), 0 first.
const LIMIT_TEXTS: [&str; 9] = [
    "refused by the broker's limits",
    "QoS above the broker's Maximum QoS",
    "the broker does not support retained messages",
    "packet larger than the broker's Maximum Packet Size",
    "the broker's Receive Maximum is reached",
    "topic alias above the broker's Topic Alias Maximum",
    "the broker does not support wildcard subscriptions",
    "the broker does not support shared subscriptions",
    "the broker does not support subscription identifiers",
];

/// Every text with its key; the last one is for a key not listed.
const TEXTS: [(u8, &str); 40] = keyed_texts();

// Evaluated only at compile time: an index out of range fails the build,
// it cannot panic at run time (so in the const fns below).
#[allow(clippy::indexing_slicing)]
const fn keyed_texts() -> [(u8, &'static str); 40] {
    let mut texts = [(0, ""); 40];
    let mut i = 0;
    while i < LIMIT_TEXTS.len() {
        texts[i] = (UMQTT_TEXT_LIMIT + i as u8, LIMIT_TEXTS[i]);
        i += 1;
    }
    let mut j = 0;
    while j < DISCONNECT_CODES.len() {
        let code = DISCONNECT_CODES[j];
        texts[i + j] = (code, ReasonCode(code).name());
        j += 1;
    }
    texts[i + j] = (0xFF, "Unknown reason code");
    texts
}

/// The token at `text[at..]`: a piece's key and its length, or the byte
/// itself.
#[allow(clippy::indexing_slicing)]
const fn token_at(text: &[u8], at: usize) -> (u8, usize) {
    let mut p = 0;
    while p < PIECES.len() {
        let piece = PIECES[p].as_bytes();
        let mut k = 0;
        while k < piece.len() && at + k < text.len() && text[at + k] == piece[k] {
            k += 1;
        }
        if k == piece.len() {
            return (PIECE_KEY + p as u8, k);
        }
        p += 1;
    }
    (text[at], 1)
}

/// The key of piece 0 (pieces are entries of [`PACKED`] too, keyed by the
/// byte that stands for them: a control character, in no text, after 0x04,
/// the one reason code below 0x20 but 0x00).
const PIECE_KEY: u8 = 0x05;

/// Calls `entry` with each entry of [`PACKED`] in order: the pieces
/// (unpacked), then [`TEXTS`] (packed).
macro_rules! for_each_entry {
    (|$key:ident, $text:ident, $packed:ident| $body:block) => {
        let mut e = 0;
        while e < PIECES.len() + TEXTS.len() {
            let ($key, $text, $packed) = if e < PIECES.len() {
                (PIECE_KEY + e as u8, PIECES[e].as_bytes(), false)
            } else {
                (TEXTS[e - PIECES.len()].0, TEXTS[e - PIECES.len()].1.as_bytes(), true)
            };
            $body
            e += 1;
        }
    };
}

/// Bytes [`pack`] writes: per entry its key, its tokens and a NUL.
#[allow(clippy::indexing_slicing)]
const fn packed_len() -> usize {
    let mut n = 0;
    for_each_entry!(|key, text, packed| {
        let _ = key;
        let mut at = 0;
        while at < text.len() {
            at += if packed { token_at(text, at).1 } else { 1 };
            n += 1;
        }
        n += 2;
    });
    n
}

#[allow(clippy::indexing_slicing)]
const fn pack() -> [u8; packed_len()] {
    let mut out = [0; packed_len()];
    let mut o = 0;
    for_each_entry!(|key, text, packed| {
        out[o] = key;
        o += 1;
        let mut at = 0;
        while at < text.len() {
            assert!(text[at] >= 0x20 && text[at] < 0x80);
            let (token, len) = if packed {
                token_at(text, at)
            } else {
                (text[at], 1)
            };
            out[o] = token;
            o += 1;
            at += len;
        }
        o += 1; // the NUL
    });
    assert!(PIECE_KEY as usize + PIECES.len() <= 0x20);
    out
}

/// Per entry: its key, its tokens (a byte from 0x20 is itself, a control
/// character the piece it keys), a NUL. The pieces first, the texts
/// after; the last text is for a key not listed.
static PACKED: [u8; packed_len()] = pack();

/// Writes the text of `key` to `out` and returns its length (at most
/// [`UMQTT_TEXT_MAX`]; not NUL-terminated). Keys: a DISCONNECT's reason
/// code, its name ("Not authorized", ...; 0x00 "Success"), for exception
/// messages; [`UMQTT_TEXT_LIMIT`] plus the `detail` of a `BrokerLimit`
/// status, the limit. Any other key from 0x20 on: "Unknown reason code".
///
/// # Safety
/// `out` writable for [`UMQTT_TEXT_MAX`] bytes.
#[no_mangle]
pub unsafe extern "C" fn umqtt_text(key: u8, out: *mut u8) -> usize {
    // SAFETY: the caller's contract: writable for UMQTT_TEXT_MAX bytes.
    let out = unsafe { slice::from_raw_parts_mut(out, UMQTT_TEXT_MAX) };
    expand(key, out, 0)
}

/// The tokens of the entry of `key` in [`PACKED`] (the last entry's if
/// none has it).
fn entry(key: u8) -> &'static [u8] {
    let mut rest: &'static [u8] = &PACKED;
    while let [entry_key, tail @ ..] = rest {
        let end = tail.iter().position(|&b| b == 0).unwrap_or(tail.len());
        let (tokens, next) = tail.split_at_checked(end).unwrap_or((tail, &[]));
        rest = next.get(1..).unwrap_or_default();
        if *entry_key == key || rest.is_empty() {
            return tokens;
        }
    }
    &[]
}

/// Appends the text of `key` to `out[..len]`, as far as it fits; the new
/// length. A piece is expanded by the same call (one level: pieces hold no
/// pieces), so the search is in the firmware once.
fn expand(key: u8, out: &mut [u8], mut len: usize) -> usize {
    for &token in entry(key) {
        if token < 0x20 {
            len = expand(token, out, len);
        } else if let Some(slot) = out.get_mut(len) {
            *slot = token;
            len += 1;
        }
    }
    len
}
