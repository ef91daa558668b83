"""Caseworker tasks: acknowledge, complete, assign, and the deadlines that fall due."""
