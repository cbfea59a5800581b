"""A small shop: the sample project that `catalog check` is tested on (never imported)."""
