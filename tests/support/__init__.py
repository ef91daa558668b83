"""Loopback servers that speak real protocols, for tests and the bench (no mocks of our code).

`twilio_server.TwilioServer` speaks Twilio's Messages API over HTTP; `smtp_server.SmtpSink` is an
aiosmtpd server with STARTTLS and AUTH on a certificate made on the spot; `outbox_data` builds
outbox rows through the real `enqueue`.
"""
