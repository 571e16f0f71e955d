//! End-to-end tests across services live in `tests/tests/`; this library is empty on purpose.
