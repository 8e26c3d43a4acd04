//! kasda-report (being written; see ARCHITECTURE.md).
