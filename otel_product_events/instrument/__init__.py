"""What runs on the application's call: the public decorators and ``emit``.

``track``/``emit`` (:mod:`.api`), one wrapper per callable kind (:mod:`.wrappers`), compiled
attribute sources (:mod:`.extract`), value conversion (:mod:`.values`), product context
(:mod:`.context`), the one place an event is built (:mod:`.events`), the span and event of a
call (:mod:`.tracking`), the recorder built once per tracked function (:mod:`.recorders`),
``track_lifecycle`` (:mod:`.lifecycle`) and the usage ping (:mod:`.usage_ping`). Imports the
ground floor, ``privacy``, ``catalog`` and ``pipeline``.
"""
