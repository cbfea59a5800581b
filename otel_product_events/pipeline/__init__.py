"""The SDK wiring: what happens to telemetry after a call hands it over.

``configure``/``shutdown`` and the providers (:mod:`.providers`), the OTLP exporters and batch
sizes (:mod:`.exporters`), built on first use (:mod:`.lazy_exporter`, :mod:`.lazy_metrics`),
bounded flushes and the exit window (:mod:`.flushing`), our tracer and logger bound to the SDK
(:mod:`.bound`), the export ledger (:mod:`.accounting`) and :func:`stats` (:mod:`.stats`).
Imports the ground floor, ``privacy`` and ``catalog``.
"""
