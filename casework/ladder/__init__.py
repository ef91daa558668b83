"""The escalation ladder: pure rules, one per stage, returning decisions; then the guards.

Start at `engine.decide(view, policy)`: values in (`view.PupilView`), decisions out
(`decisions.Decision`), no I/O and no clock. `stages` is the catalogue, `registry` the rule
registry, `guards` the statutory guards no policy can switch off, `outcomes` what a recorded
task outcome sets going.
"""
