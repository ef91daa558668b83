"""The caseworker and auditor web app: FastAPI, server-rendered Jinja pages, sessions and CSRF.

Start at `app.create_app`. Every route reaches the database through the scope in `deps.py`.
"""
