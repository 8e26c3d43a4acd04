//! The shared store conformance suite against PostgreSQL: every check gets a fresh database
//! (created on the server from KASDA_TEST_DATABASE_URL and dropped when its store drops).

kasda_store::conformance_tests!(kasda_store_postgres::testing::fresh_store);
