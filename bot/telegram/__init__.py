"""The Telegram edge: the application, keyboards, callbacks and the one outbox."""
