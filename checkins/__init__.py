"""Check-in content: what members write and what of it may reach the supervisor."""
