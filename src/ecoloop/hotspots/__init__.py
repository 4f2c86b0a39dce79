"""Hotspot dispatch orders (高值热点消除指令, issue 20 part 1): an order from a hotspot alert (or by hand) to the
responsible units with the suspect sources nearby, a response clock, the reply, the on-site check and its effect."""
