//! Cutting a byte stream into packets without ever reading past one
//! (MQTT 3.1.1 §2.2).
//!
//! ```text
//!  byte 1        bytes 2..=5                    remaining length bytes
//! +------------+------------------------------+------------------------+
//! | type|flags | remaining length (1-4 bytes) | body                   |
//! +------------+------------------------------+------------------------+
//! ```
//!
//! [`FrameReader::read_buf`] hands out the exact slice to read into next:
//! the fixed header goes into a small internal array, the body into the
//! caller's buffer. Because the reader never asks for a byte beyond the
//! current packet, the socket keeps whatever follows, and a blocking caller
//! never waits for bytes that are not coming. The caller's buffer need not
//! hold the largest packet allowed: once the header announces a body larger
//! than it, the caller brings a buffer of exactly that size, or skips it.
//!
//! ```
//! use umqtt_core::{FrameReader, decode, ProtocolVersion};
//!
//! let mut stream: &[u8] = &[0xd0, 0x00, 0x40, 0x02, 0x00, 0x07];
//! let mut reader = FrameReader::new(64);
//! let mut body = [0u8; 64];
//! let mut packets = 0;
//! while !stream.is_empty() {
//!     let target = reader.read_buf(&mut body);
//!     let n = target.len().min(stream.len()); // a socket read
//!     target[..n].copy_from_slice(&stream[..n]);
//!     stream = &stream[n..];
//!     if let Some(frame) = reader.handle_read(n).unwrap() {
//!         decode(frame.first_byte, &body[..frame.body_len], ProtocolVersion::V311).unwrap();
//!         packets += 1;
//!     }
//! }
//! assert_eq!(packets, 2);
//! ```

use core::fmt;

use crate::varint;

/// The smallest packet is two bytes (type and a zero length), so the reader
/// can ask for two bytes at first without over-reading.
const MIN_PACKET_LEN: usize = 2;
// `bytes_needed` asks for the rest of the two at once only when it is 1.
const _: () = assert!(MIN_PACKET_LEN == 2);

/// First byte plus at most four length bytes.
const MAX_HEADER_LEN: usize = 1 + varint::MAX_LEN;

/// A complete packet: its first byte, and its body in `body[..body_len]` of
/// the buffer given to [`FrameReader::read_buf`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Frame {
    /// Packet type and flags, for [`crate::decode`].
    pub first_byte: u8,
    /// Length of the body (the remaining length).
    pub body_len: usize,
}

/// Why the stream cannot be framed. The connection is out of sync after any
/// of these and must be closed; the reader resets itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum FrameError {
    /// The remaining length has a fifth byte (§2.2.3).
    MalformedLength,
    /// The remaining length is above the reader's `max_body`; detected from
    /// the header, before any body byte is read.
    TooLarge {
        /// The announced remaining length.
        len: usize,
    },
    /// `handle_read` was told more bytes than the slice it handed out holds.
    ReadPastBuffer,
    /// The body [`FrameReader::skip_body`] was asked to drop is gone: the
    /// reader is between packets again, so unlike the others this one
    /// leaves the stream in step.
    Skipped {
        /// The dropped packet's first byte.
        first_byte: u8,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FrameError::MalformedLength => "malformed remaining length",
            FrameError::TooLarge { .. } => "packet larger than the receive buffer",
            FrameError::ReadPastBuffer => "read count larger than the buffer given",
            FrameError::Skipped { .. } => "packet body skipped",
        })
    }
}

/// What the reader is collecting. One struct for every phase, not an
/// enum of them: the phases share their counters, so each operation is one
/// piece of code, not one per phase (smaller, and as fast).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// The first byte and the remaining length, into `header`.
    Header,
    /// `len` body bytes, into the caller's buffer.
    Body,
    /// The rest of a body nobody can hold, dropped.
    Skip,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct State {
    phase: Phase,
    /// The packet's first byte (once the header is complete).
    first_byte: u8,
    /// The body's length (once the header is complete).
    len: usize,
    /// Bytes of the header (phase `Header`) or of the body received.
    received: usize,
}

impl State {
    const IDLE: State = State {
        phase: Phase::Header,
        first_byte: 0,
        len: 0,
        received: 0,
    };
}

/// Incremental packet framer. Holds 5 header bytes and a few counters
/// (about 24 bytes on 32-bit targets); the body lives in the caller's buffer.
#[derive(Clone, Debug)]
pub struct FrameReader {
    max_body: usize,
    header: [u8; MAX_HEADER_LEN],
    state: State,
}

impl FrameReader {
    /// A reader for bodies of at most `max_body` bytes (clamped to the
    /// protocol maximum of 268_435_455). `max_body` is a limit, not a
    /// buffer: a body longer than the buffer passed to
    /// [`FrameReader::read_buf`] waits for a larger one (see
    /// [`FrameReader::pending_body`]) or is skipped.
    pub const fn new(max_body: usize) -> FrameReader {
        let max_body = if max_body > varint::MAX_VALUE {
            varint::MAX_VALUE
        } else {
            max_body
        };
        FrameReader {
            max_body,
            header: [0; MAX_HEADER_LEN],
            state: State::IDLE,
        }
    }

    /// Writes `new`, a reader [`FrameReader::new`] made, at `this`, a block
    /// of zero bytes: only its limit, the rest of a new reader is zero bytes
    /// (see [`Client::init_in_place`]).
    ///
    /// # Safety
    /// `this` is valid for writes, aligned, and every byte of it is zero.
    ///
    /// [`Client::init_in_place`]: crate::client::Client::init_in_place
    pub(crate) unsafe fn init_in_place(this: *mut FrameReader, new: FrameReader) {
        let FrameReader { max_body, .. } = new;
        // SAFETY: `this` is valid for writes and aligned (the contract).
        unsafe { core::ptr::addr_of_mut!((*this).max_body).write(max_body) };
    }

    /// The largest body this reader accepts.
    pub const fn max_body(&self) -> usize {
        self.max_body
    }

    /// True between packets: no byte of a next packet has been read.
    pub const fn is_idle(&self) -> bool {
        matches!(self.state.phase, Phase::Header) && self.state.received == 0
    }

    /// Drops any partial packet, e.g. after reconnecting.
    pub fn reset(&mut self) {
        // The first byte and the length are not read in this phase.
        self.state.phase = Phase::Header;
        self.state.received = 0;
    }

    /// How many bytes the next read should ask for: 2 for a new packet,
    /// then 1 per further length byte, then the rest of the body. Never 0.
    pub fn bytes_needed(&self) -> usize {
        let State {
            phase,
            len,
            received,
            ..
        } = self.state;
        match phase {
            // MIN_PACKET_LEN (2) at first, then 1 at a time.
            Phase::Header if received == 0 => MIN_PACKET_LEN,
            Phase::Header => 1,
            // A body being read has `received < len` (`handle_read`).
            Phase::Body | Phase::Skip => len.wrapping_sub(received),
        }
    }

    /// The first byte and the length of the body being read, once its
    /// header is complete: a driver whose buffer is too small for it (an
    /// empty [`FrameReader::read_buf`]) provides a larger one, or skips it.
    pub const fn pending_body(&self) -> Option<(u8, usize)> {
        match self.state.phase {
            Phase::Body => Some((self.state.first_byte, self.state.len)),
            _ => None,
        }
    }

    /// Drops the rest of the body being read: from now on `read_buf` hands
    /// out scratch space (up to the size of the buffer given) and, once the
    /// body has gone by, `handle_read` reports [`FrameError::Skipped`].
    /// `false` if no body is being read.
    pub fn skip_body(&mut self) -> bool {
        if self.state.phase != Phase::Body {
            return false;
        }
        self.state.phase = Phase::Skip;
        true
    }

    /// The exact slice to read into next; its length is
    /// [`FrameReader::bytes_needed`]. Header bytes land in the reader itself,
    /// body bytes in `body`. If `body` is shorter than the packet's body,
    /// the slice is empty: the caller finds a larger buffer for
    /// [`FrameReader::pending_body`] or calls [`FrameReader::skip_body`].
    pub fn read_buf<'s>(&'s mut self, body: &'s mut [u8]) -> &'s mut [u8] {
        let needed = self.bytes_needed();
        let State {
            phase,
            len,
            received,
            ..
        } = self.state;
        let slice = match phase {
            Phase::Header => self
                .header
                .get_mut(received..received.saturating_add(needed)),
            Phase::Body => body.get_mut(received..len),
            Phase::Skip => {
                let end = needed.min(body.len());
                body.get_mut(..end)
            }
        };
        slice.unwrap_or_default()
    }

    /// `n` bytes were read into the slice last returned by
    /// [`FrameReader::read_buf`]. Returns the frame once a packet is complete;
    /// the reader is then ready for the next packet. `n == 0` is a no-op
    /// (end of stream is the caller's business).
    pub fn handle_read(&mut self, n: usize) -> Result<Option<Frame>, FrameError> {
        if n > self.bytes_needed() {
            self.reset();
            return Err(FrameError::ReadPastBuffer);
        }
        if n == 0 {
            return Ok(None);
        }
        // `n` is at most `bytes_needed` (checked above): this cannot
        // overflow, and wrap-around arithmetic is simpler than saturating.
        let received = self.state.received.wrapping_add(n);
        self.state.received = received;
        let State {
            phase,
            first_byte,
            len,
            ..
        } = self.state;
        if phase == Phase::Header {
            let result = self.header_read(received);
            if result.is_err() {
                self.reset();
            }
            return result;
        }
        if received < len {
            return Ok(None);
        }
        self.reset();
        match phase {
            Phase::Skip => Err(FrameError::Skipped { first_byte }),
            _ => Ok(Some(Frame {
                first_byte,
                body_len: len,
            })),
        }
    }

    /// The header now holds `received` bytes: finish it if the length is complete.
    fn header_read(&mut self, received: usize) -> Result<Option<Frame>, FrameError> {
        let length_bytes = self.header.get(1..received).unwrap_or_default();
        let Some((len, _)) =
            varint::decode(length_bytes).map_err(|_| FrameError::MalformedLength)?
        else {
            return Ok(None);
        };
        if len > self.max_body {
            return Err(FrameError::TooLarge { len });
        }
        let first_byte = self.header.first().copied().unwrap_or_default();
        if len == 0 {
            self.reset();
            return Ok(Some(Frame {
                first_byte,
                body_len: 0,
            }));
        }
        self.state = State {
            phase: Phase::Body,
            first_byte,
            len,
            received: 0,
        };
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// Feeds `stream` in reads of at most `chunk` bytes; collects frames with their bodies.
    fn feed(
        reader: &mut FrameReader,
        body: &mut [u8],
        mut stream: &[u8],
        chunk: usize,
    ) -> Result<Vec<(u8, Vec<u8>)>, FrameError> {
        let mut frames = Vec::new();
        while !stream.is_empty() {
            let target = reader.read_buf(body);
            assert!(!target.is_empty());
            let n = target.len().min(stream.len()).min(chunk);
            target[..n].copy_from_slice(&stream[..n]);
            stream = &stream[n..];
            if let Some(frame) = reader.handle_read(n)? {
                frames.push((frame.first_byte, body[..frame.body_len].to_vec()));
            }
        }
        Ok(frames)
    }

    #[test]
    fn a_body_too_large_for_the_buffer_waits_for_a_larger_one_or_is_skipped() {
        let mut reader = FrameReader::new(1000);
        let mut small = [0u8; 4];
        reader.read_buf(&mut small).copy_from_slice(&[0x30, 0x0a]);
        assert_eq!(reader.handle_read(2), Ok(None));
        assert!(reader.read_buf(&mut small).is_empty());
        assert_eq!(reader.pending_body(), Some((0x30, 10)));
        // A larger buffer takes the body...
        let mut large = [0u8; 10];
        assert_eq!(reader.read_buf(&mut large).len(), 10);
        assert_eq!(reader.handle_read(3), Ok(None));
        // ...or the rest is dropped through the small one, in step.
        assert!(reader.skip_body());
        assert_eq!(reader.pending_body(), None);
        assert_eq!(reader.read_buf(&mut small).len(), 4);
        assert_eq!(reader.handle_read(4), Ok(None));
        assert_eq!(reader.read_buf(&mut small).len(), 3);
        assert_eq!(
            reader.handle_read(3),
            Err(FrameError::Skipped { first_byte: 0x30 })
        );
        assert!(reader.is_idle());
        assert!(!reader.skip_body());
    }

    #[test]
    fn empty_body_completes_after_header() {
        let mut reader = FrameReader::new(16);
        let mut body = [0u8; 16];
        assert_eq!(reader.read_buf(&mut body).len(), 2);
        reader.read_buf(&mut body).copy_from_slice(&[0xd0, 0x00]);
        assert_eq!(
            reader.handle_read(2),
            Ok(Some(Frame {
                first_byte: 0xd0,
                body_len: 0
            }))
        );
        assert!(reader.is_idle());
    }

    #[test]
    fn asks_for_exactly_what_the_packet_needs() {
        let mut reader = FrameReader::new(1000);
        let mut body = [0u8; 1000];
        assert_eq!(reader.bytes_needed(), 2);
        reader.read_buf(&mut body).copy_from_slice(&[0x30, 0xc8]); // 200: two length bytes
        assert_eq!(reader.handle_read(2), Ok(None));
        assert!(!reader.is_idle());
        assert_eq!(reader.read_buf(&mut body).len(), 1);
        reader.read_buf(&mut body)[0] = 0x01;
        assert_eq!(reader.handle_read(1), Ok(None));
        assert_eq!(reader.read_buf(&mut body).len(), 200);
        assert_eq!(reader.handle_read(150), Ok(None));
        assert_eq!(reader.read_buf(&mut body).len(), 50);
        assert_eq!(
            reader.handle_read(50),
            Ok(Some(Frame {
                first_byte: 0x30,
                body_len: 200
            }))
        );
        assert_eq!(reader.bytes_needed(), 2);
    }

    #[test]
    fn partial_reads_of_the_first_two_bytes() {
        let mut reader = FrameReader::new(8);
        let mut body = [0u8; 8];
        reader.read_buf(&mut body)[0] = 0x40;
        assert_eq!(reader.handle_read(1), Ok(None));
        assert_eq!(reader.read_buf(&mut body).len(), 1);
        reader.read_buf(&mut body)[0] = 0x02;
        assert_eq!(reader.handle_read(1), Ok(None));
        assert_eq!(reader.read_buf(&mut body).len(), 2);
    }

    #[test]
    fn too_large_is_detected_from_the_header() {
        let mut reader = FrameReader::new(127);
        let mut body = [0u8; 127];
        reader.read_buf(&mut body).copy_from_slice(&[0x30, 0x80]);
        assert_eq!(reader.handle_read(2), Ok(None));
        reader.read_buf(&mut body)[0] = 0x01;
        assert_eq!(
            reader.handle_read(1),
            Err(FrameError::TooLarge { len: 128 })
        );
        assert!(reader.is_idle());
    }

    #[test]
    fn fifth_length_byte_is_malformed() {
        let mut reader = FrameReader::new(varint::MAX_VALUE + 10);
        assert_eq!(reader.max_body(), varint::MAX_VALUE);
        let stream = [0x30, 0xff, 0xff, 0xff, 0xff];
        let result = feed(&mut reader, &mut [], &stream, 5);
        assert_eq!(result, Err(FrameError::MalformedLength));
    }

    #[test]
    fn overlong_read_count_is_an_error() {
        let mut reader = FrameReader::new(8);
        assert_eq!(reader.handle_read(3), Err(FrameError::ReadPastBuffer));
        assert_eq!(reader.handle_read(0), Ok(None));
    }

    #[test]
    fn short_body_buffer_yields_empty_slice() {
        let mut reader = FrameReader::new(100);
        let mut small = [0u8; 4];
        reader.read_buf(&mut small).copy_from_slice(&[0x30, 0x10]);
        assert_eq!(reader.handle_read(2), Ok(None));
        assert!(reader.read_buf(&mut small).is_empty());
    }

    #[test]
    fn back_to_back_packets_byte_by_byte() {
        let stream = [0xd0, 0x00, 0x40, 0x02, 0x00, 0x07, 0x20, 0x02, 0x00, 0x00];
        let mut reader = FrameReader::new(4);
        let mut body = [0u8; 4];
        let frames = feed(&mut reader, &mut body, &stream, 1).unwrap();
        assert_eq!(
            frames,
            [
                (0xd0, Vec::new()),
                (0x40, std::vec![0x00, 0x07]),
                (0x20, std::vec![0x00, 0x00])
            ]
        );
        assert!(reader.is_idle());
    }

    proptest! {
        /// Arbitrary bytes in arbitrary chunks: no panic, never a request
        /// beyond `max_body`, and a body never exceeds it.
        #[test]
        fn arbitrary_stream_never_panics(
            stream in proptest::collection::vec(any::<u8>(), 0..300),
            chunks in proptest::collection::vec(1usize..10, 1..50),
            max_body in 0usize..64,
        ) {
            let mut reader = FrameReader::new(max_body);
            let mut body = std::vec![0u8; max_body];
            let mut rest = &stream[..];
            let mut chunk_sizes = chunks.iter().cycle();
            while !rest.is_empty() {
                let target = reader.read_buf(&mut body);
                prop_assert!(target.len() <= max_body.max(2));
                prop_assert!(!target.is_empty());
                let n = target.len().min(rest.len()).min(*chunk_sizes.next().unwrap());
                target[..n].copy_from_slice(&rest[..n]);
                rest = &rest[n..];
                match reader.handle_read(n) {
                    Ok(Some(frame)) => prop_assert!(frame.body_len <= max_body),
                    Ok(None) => {}
                    Err(FrameError::TooLarge { len }) => prop_assert!(len > max_body),
                    Err(_) => {}
                }
            }
        }

        /// Well-formed packets come out whole however the stream is chunked.
        #[test]
        fn packets_survive_any_chunking(
            bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..5),
            chunk in 1usize..300,
        ) {
            let mut stream = Vec::new();
            for body in &bodies {
                stream.push(0x30);
                let (length, used) = varint::encode(body.len()).unwrap();
                stream.extend_from_slice(&length[..used]);
                stream.extend_from_slice(body);
            }
            let mut reader = FrameReader::new(200);
            let mut buffer = [0u8; 200];
            let frames = feed(&mut reader, &mut buffer, &stream, chunk).unwrap();
            let expected: Vec<(u8, Vec<u8>)> = bodies.into_iter().map(|body| (0x30, body)).collect();
            prop_assert_eq!(frames, expected);
        }
    }
}
