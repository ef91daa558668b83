"""Attendance reports for governors and the LA: pure figures, suppression, charts, documents.

The shell that loads rows and writes HTML/PDF is `casework.service.reports`; see README.md here.
"""
