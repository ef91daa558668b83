"""Route modules of the web app, one per area: auth, tasks, pupils, decisions, audit, overview."""
