"""Privacy: what may leave the process, and under which identity.

One-way hashing (:mod:`.hashing`), the consent switch the hot path reads (:mod:`.consent`), the
anonymous installation id (:mod:`.installation`) and the small state files behind both
(:mod:`.state`). The lowest wing: it imports only the ground floor (``config``, ``guard``,
``semconv``, ``environment_variables``...), never another wing.
"""
