"""Every user-visible text: Jinja2 templates and their rendering for Telegram HTML."""
