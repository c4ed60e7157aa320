/**
 * Test helper: a sweep worker whose module fails as it loads, as a worker does when the library it
 * imports no longer parses.
 *
 * @module
 */
throw new Error("this worker cannot start");
