"""The Telegram-free core: knowledge, matching, quiz and alert planning."""
