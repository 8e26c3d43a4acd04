//! The conformance suite against the in-memory oracle store.

kasda_store::conformance_tests!(kasda_store::MemoryStore::new);

/// The whole suite in one go, as `run_all` callers use it.
#[test]
fn run_all_on_memory() {
    kasda_store::conformance::run_all(&mut kasda_store::MemoryStore::new);
}
