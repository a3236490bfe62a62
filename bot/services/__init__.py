"""The use cases, free of Telegram: what the bot does for a student or staff, whichever channel they use."""
