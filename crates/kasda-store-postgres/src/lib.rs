//! kasda-store-postgres (being written; see ARCHITECTURE.md).
