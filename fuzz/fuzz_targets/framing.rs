//! `FrameReader` over an arbitrary byte stream cut into arbitrary reads,
//! with a small `max_body`. Checked against a straightforward reference
//! framer: the same frames with the same bodies, the same error at the same
//! point, never a read past the current packet, and `bytes_needed() >= 1`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use umqtt_core::{FrameError, FrameReader};

#[derive(Arbitrary, Debug)]
struct Input {
    max_body: u8,
    /// Read sizes, cycled; 0 is a read that returned nothing.
    chunks: Vec<u8>,
    stream: Vec<u8>,
}

#[derive(Debug, PartialEq)]
enum Item {
    Frame(u8, Vec<u8>),
    Malformed,
    TooLarge(usize),
}

/// Frames `stream` the obvious way; stops at the first error or at a
/// packet the stream does not finish. Returns the items and how many bytes
/// they consumed.
fn reference(stream: &[u8], max_body: usize) -> (Vec<Item>, usize) {
    let mut items = Vec::new();
    let mut pos = 0;
    loop {
        let Some(&first) = stream.get(pos) else { break };
        let mut len = 0usize;
        let mut i = 0;
        let header_end = loop {
            let Some(&b) = stream.get(pos + 1 + i) else {
                return (items, pos);
            };
            len |= usize::from(b & 0x7f) << (7 * i);
            i += 1;
            if b & 0x80 == 0 {
                break pos + 1 + i;
            }
            if i == 4 {
                items.push(Item::Malformed);
                return (items, pos + 1 + i);
            }
        };
        if len > max_body {
            items.push(Item::TooLarge(len));
            return (items, header_end);
        }
        let Some(body) = stream.get(header_end..header_end + len) else {
            return (items, pos);
        };
        items.push(Item::Frame(first, body.to_vec()));
        pos = header_end + len;
    }
    (items, pos)
}

fuzz_target!(|input: Input| {
    let max_body = usize::from(input.max_body);
    let mut reader = FrameReader::new(max_body);
    assert!(reader.is_idle());
    let mut body = vec![0u8; max_body];
    let mut items = Vec::new();
    let mut rest: &[u8] = &input.stream;
    let mut chunks = input.chunks.iter().cycle();
    let mut zero_reads = 0;
    while !rest.is_empty() {
        let want = reader.bytes_needed();
        assert!(want >= 1);
        let chunk = usize::from(chunks.next().copied().unwrap_or(255));
        let target = reader.read_buf(&mut body);
        assert_eq!(target.len(), want, "read_buf is exactly bytes_needed long");
        let n = chunk.min(target.len()).min(rest.len());
        if n == 0 {
            zero_reads += 1;
            if zero_reads > 1000 {
                break; // chunks of all zeros: nothing would ever be read
            }
        }
        target[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
        match reader.handle_read(n) {
            Ok(Some(frame)) => {
                assert!(frame.body_len <= max_body);
                assert!(reader.is_idle());
                items.push(Item::Frame(
                    frame.first_byte,
                    body[..frame.body_len].to_vec(),
                ));
            }
            Ok(None) => {}
            Err(FrameError::MalformedLength) => {
                assert!(reader.is_idle());
                items.push(Item::Malformed);
                break;
            }
            Err(FrameError::TooLarge { len }) => {
                assert!(reader.is_idle());
                assert!(len > max_body);
                items.push(Item::TooLarge(len));
                break;
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    if zero_reads > 1000 {
        return;
    }
    let consumed = input.stream.len() - rest.len();
    let (expected, expected_consumed) = reference(&input.stream, max_body);
    assert_eq!(items, expected);
    // Never read past a packet: on an error or a complete stream, exactly
    // what the reference consumed; on a cut-off packet, the whole stream.
    if matches!(items.last(), Some(Item::Malformed | Item::TooLarge(_))) {
        assert_eq!(consumed, expected_consumed);
    } else {
        assert_eq!(consumed, input.stream.len());
    }
    // Asking for more than was handed out is refused and resets.
    let over = reader.bytes_needed() + 1;
    assert_eq!(reader.handle_read(over), Err(FrameError::ReadPastBuffer));
    assert!(reader.is_idle());
});
