//! Puts this crate's memory.x where cortex-m-rt's link.x looks for it.
include!("../common/memory_x.rs");

fn main() {
    link_memory_x();
}
