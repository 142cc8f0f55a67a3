"""Pure domain rules: no database, web or template imports; the clock is always passed in."""
