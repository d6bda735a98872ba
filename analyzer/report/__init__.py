"""Report model and its renderings (HTML, Markdown, JUnit, console)."""
