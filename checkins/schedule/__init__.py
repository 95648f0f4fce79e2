"""Rounds on the calendar: when each round opens, reminds and closes, and the timer that makes it happen.

Owns the pure planning of a group's rounds from its calendar (`planning`), the service the timer calls to open,
remind and close on time and to skip sessions (`scheduler`) and what people read about it (`view`). The top of the
domain: it may import `rounds` and everything below.
"""
