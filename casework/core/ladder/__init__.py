"""The escalation ladder: pure rules, one per stage, returning proposals; then the guards.

Start at `engine.decide(view, policy)`: values in (`view.PupilView`), proposals out
(`proposals.Proposal`), no I/O and no clock. A proposal becomes rows, audit entries and outbox
rows only in the service layer (`casework/service/proposals.py`); a legal step is proposed as a
`RequestDecision`, which a person decides. `stages` is the catalogue, `registry` the rule
registry, `guards` the statutory guards no policy can switch off, `outcomes` what a recorded
task outcome sets going.
"""
