"""Leave of absence (DOMAIN rule 32): the school office records, the headteacher decides."""
