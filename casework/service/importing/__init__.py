"""Imports: files parsed by the core, stored in bulk, rejected rows quarantined and reported."""
