"""The domain's arithmetic, one home for each rule: region codes and tiers (:mod:`.regions`) and
the election rules used by several stages (:mod:`.rules`). Pure functions, no I/O; ``docs/domain.md``
explains each rule in words."""
