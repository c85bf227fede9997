//! A client's session tables, in a block the C side allocates when the
//! first exchange opens and grows as more do (up to
//! [`DEFAULT_CAPACITY`] rows of [`umqtt_row_size`] bytes): nothing is
//! preallocated for a limit. Before a call that may add an entry (a QoS 1/2
//! publish, a subscribe, a receive, an accepted message), C asks
//! [`umqtt_client_rows_wanted`] and, if it says so, moves the tables to a
//! larger block with [`umqtt_client_move_tables`].

use core::{ptr, slice};

use umqtt_core::session::DEFAULT_CAPACITY;
use umqtt_core::{Row, Tables};

use crate::{client_mut, client_ref, umqtt_client, umqtt_status};

/// Rows in a block the C side owns.
// repr(C), the length first: rustc's own order cost the row lookups 8 B.
#[derive(Debug)]
#[repr(C)]
pub struct Grown {
    /// How many rows `ptr` holds.
    len: usize,
    /// `len` initialised rows (dangling when `len` is 0).
    ptr: *mut Row,
}

impl Grown {
    /// No rows.
    pub(crate) const NONE: Grown = Grown {
        ptr: ptr::NonNull::dangling().as_ptr(),
        len: 0,
    };
}

impl Tables for Grown {
    fn rows(&self) -> &[Row] {
        // SAFETY: `ptr` holds `len` initialised rows (umqtt_client_move_tables),
        // and the C side keeps the block while the client uses it.
        unsafe { slice::from_raw_parts(self.ptr, self.len) }
    }
    fn rows_mut(&mut self) -> &mut [Row] {
        // SAFETY: as in `rows`; `&mut self` makes this the only view.
        unsafe { slice::from_raw_parts_mut(self.ptr, self.len) }
    }
    fn limit(&self) -> usize {
        DEFAULT_CAPACITY
    }
}

/// Bytes of one row (the block for `n` rows is `n` times this, aligned as
/// the GC aligns every block).
#[no_mangle]
pub extern "C" fn umqtt_row_size() -> usize {
    size_of::<Row>()
}

/// 0 if the tables have room for one more entry each; else the number of
/// rows to move them to (1 at first, then doubling, at most the limit). A
/// client that only publishes at QoS 0 and receives gets one row (an ack
/// owed for a PUBREL the broker resends from an earlier connection).
///
/// # Safety
/// `client` is null or initialised.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_rows_wanted(client: *const umqtt_client) -> usize {
    // SAFETY: forwarded contract.
    let Some(c) = (unsafe { client_ref(client) }) else {
        return 0;
    };
    let session = c.session();
    let have = session.tables().rows().len();
    let want = session.rows_wanted();
    if want <= have {
        return 0;
    }
    want.max(have.saturating_mul(2)).min(DEFAULT_CAPACITY)
}

/// Moves the client's tables into `block`, `rows` rows of
/// [`umqtt_row_size`] bytes; the previous block (if any) is no longer
/// used and may be freed. `InvalidArgument` (nothing moved) if the rows
/// cannot hold what is in the tables.
///
/// # Safety
/// `client` initialised; `block` valid for writes of `rows` rows, aligned
/// for them, and kept alive, unmoved, until the next move or the client's end.
#[no_mangle]
pub unsafe extern "C" fn umqtt_client_move_tables(
    client: *mut umqtt_client,
    block: *mut u8,
    rows: usize,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    let Ok(c) = (unsafe { client_mut(client) }) else {
        return umqtt_status::InvalidArgument;
    };
    let block = block.cast::<Row>();
    if block.is_null() || !block.is_aligned() {
        return umqtt_status::InvalidArgument;
    }
    for i in 0..rows {
        // SAFETY: `block` has room for `rows` rows (the contract).
        unsafe { block.add(i).write(Row::EMPTY) };
    }
    let grown = Grown {
        ptr: block,
        len: rows,
    };
    match c.session_mut().replace_tables(grown) {
        Ok(_) => umqtt_status::Ok,
        Err(_) => umqtt_status::InvalidArgument,
    }
}
