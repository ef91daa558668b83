"""The headteacher's own decisions (DOMAIN rules 32 and 34): leave of absence, which the school
office records, and deletion from the roll under Ground I, which an enquiry asks for."""
