"""``make field``: real projects' test suites, plainly and under zero-code (not make test)."""
