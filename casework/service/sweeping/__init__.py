"""The daily sweep: each open school's pupils decided and their proposals applied."""
