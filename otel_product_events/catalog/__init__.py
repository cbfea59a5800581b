"""The event catalog: one YAML file that documents and enforces what is collected.

The model and its validation (:mod:`.model`), the catalog in force at run time
(:mod:`.policy`), the zero-code targets it and ``OTEL_PRODUCT_EVENTS_TRACK`` declare
(:mod:`.targets`), and its tools: the "What we collect" page (:mod:`.docs`), the CI check of
a project's sources (:mod:`.check`, :mod:`.sources`), the collector allow-list
(:mod:`.collector`) and their CLI (:mod:`.cli`). Imports the ground floor and ``privacy``.
"""
