"""The exchange-programme assistant of the Embassy of Japan in Belgium."""
